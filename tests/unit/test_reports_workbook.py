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


def _has_cards(page) -> bool:
    return any(isinstance(b, list) and b for s in page.sections for b in s.blocks)


def test_first_sheet_holds_the_headline_figures_as_numbers(files):
    book = load_workbook(files.coverage_xlsx)
    first = book.worksheets[0]
    assert first.title == "Số liệu chính"
    rows = {r[0]: r[1:] for r in first.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0]}
    status = query(synthetic_home(), "select phase, count(*) as n, count(connected_date) as c "
                   "from mart_phase_status group by phase")  # fmt: skip
    for row in status:
        (value, of, *_) = next(
            v for k, v in rows.items() if k.startswith(f"Giai đoạn {row['phase']}:")
        )
        assert (value, of) == (row["c"], row["n"])
    assert all(isinstance(v[0], int | float) or v[0] is None for v in rows.values())


def test_every_sheet_prints_landscape_one_page_wide_with_its_header(files):
    book = load_workbook(files.coverage_xlsx)
    for sheet in book.worksheets[2:]:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    laggards = book["Chậm gửi"]
    header = [c.value for c in laggards[HEADER_ROW]]
    # The facility name column stays in view when scrolling right.
    assert (
        laggards.freeze_panes == f"{chr(ord('A') + header.index('Tên cơ sở') + 1)}{HEADER_ROW + 1}"
    )


def test_withheld_counts_are_empty_cells_named_in_a_suppressed_column(files):
    book = load_workbook(files.dashboard_xlsx)
    found = 0
    for sheet in book.worksheets[2:]:
        header = [c.value for c in sheet[HEADER_ROW]]
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
            assert "<5" not in row, sheet.title
            if "Ô bị ẩn (số nhỏ)" in header and row[header.index("Ô bị ẩn (số nhỏ)")]:
                found += 1
    assert found, "the synthetic dashboard withholds some ward counts"


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
    # The headline figures come first when the page has cards, then the table of contents.
    before = 1 if _has_cards(page) else 0
    about = book.worksheets[before]
    listed = [r[0] for r in about.iter_rows(min_row=6, values_only=True) if r[0]]
    tables = page.tables()
    assert len(listed) == len(tables) == len(book.worksheets) - 1 - before
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
    assert en.worksheets[0].title == "Headline figures"
    assert en.worksheets[2].title == "Overview"
    vi_rows = _sheet_rows(vi.worksheets[2])
    en_rows = _sheet_rows(en.worksheets[2])
    assert vi_rows.keys() == en_rows.keys()
    numbers_vi = [v for v in vi_rows["city:hanoi"] if isinstance(v, int | float)]
    numbers_en = [v for v in en_rows["city:hanoi"] if isinstance(v, int | float)]
    assert numbers_vi == numbers_en and numbers_vi
