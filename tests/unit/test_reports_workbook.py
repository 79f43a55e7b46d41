"""The Excel workbooks hold the same figures as the pages, typed, one sheet per table."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from hanoi_health_lake.reports.workbook import HEADER_ROW, write_workbook
from tests.browser.report_page import (
    SYNTHETIC_END,
    query,
    synthetic_home,
    synthetic_pages,
    synthetic_reports,
)


@pytest.fixture(scope="module")
def files():
    return synthetic_reports("daily")


def _sheet_rows(sheet) -> dict[str, list]:
    """Data rows of a sheet whose first (hidden) column holds row ids."""
    return {
        row[0]: list(row[1:])
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
        if row[0] is not None
    }


def test_headline_sheet_holds_the_marts_numbers(files):
    home = synthetic_home()
    mart = query(
        home,
        "select * from mart_coverage_rollup_daily "
        "where service_date = ? and dimension = 'city' and dataset = 'all'",
        [SYNTHETIC_END],
    )[0]
    book = load_workbook(files.coverage_xlsx)
    sheet = book["Tổng quan"]
    assert sheet.column_dimensions["A"].hidden
    header = [c.value for c in sheet[HEADER_ROW]][1:]
    city = dict(zip(header, _sheet_rows(sheet)["city:hanoi"], strict=True))
    assert city["Cơ sở phải gửi"] == mart["facilities_expected"]
    assert city["Bộ dữ liệu phải gửi"] == mart["expected"]
    assert city["Đúng hạn"] == mart["on_time"]
    assert city["% đúng hạn"] == pytest.approx(mart["on_time_share"])
    assert city["% kết nối"] == pytest.approx(mart["connected_share"])
    share_cell = sheet.cell(HEADER_ROW + 1, 1 + header.index("% đúng hạn") + 1)
    assert share_cell.number_format == "0.0%"


@pytest.mark.parametrize("kind", ["coverage", "dashboard"])
def test_every_table_of_the_page_is_a_sheet_with_all_its_rows(files, kind):
    page = synthetic_pages("daily")[kind]
    book = load_workbook(getattr(files, f"{kind}_xlsx"))
    about = book.worksheets[0]
    listed = [r[0] for r in about.iter_rows(min_row=6, values_only=True) if r[0]]
    tables = page.tables()
    assert len(listed) == len(tables) == len(book.worksheets) - 1
    for name, table in zip(listed, tables, strict=True):
        sheet = book[name]
        assert sheet.cell(1, 2 if table.row_ids else 1).value == table.title.vi
        data = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
        data = [r for r in data if any(v is not None for v in r)]
        note_rows = 1 if table.note else 0
        assert len(data) == len(table.rows) + note_rows, name


def test_workbook_in_english_translates_headers_not_figures(tmp_path):
    page = synthetic_pages("daily")["coverage"]
    vi = load_workbook(write_workbook(page, tmp_path / "vi.xlsx", "vi"))
    en = load_workbook(write_workbook(page, tmp_path / "en.xlsx", "en"))
    assert en.worksheets[1].title == "Overview"
    vi_rows = _sheet_rows(vi.worksheets[1])
    en_rows = _sheet_rows(en.worksheets[1])
    assert vi_rows.keys() == en_rows.keys()
    numbers_vi = [v for v in vi_rows["city:hanoi"] if isinstance(v, int | float)]
    numbers_en = [v for v in en_rows["city:hanoi"] if isinstance(v, int | float)]
    assert numbers_vi == numbers_en and numbers_vi
