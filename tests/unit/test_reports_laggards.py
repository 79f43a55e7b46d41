"""The facilities behind come with whom to call there: the registry's optional contact columns
reach the laggard list, the per-ward list, the not-connected list and the feedback cards, on the
page and in the workbook; a registry without those columns still gives the whole report."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import load_workbook

from hanoi_health_lake.reference.registry import CONTACT_COLUMNS
from hanoi_health_lake.reports.model import Scorecards
from hanoi_health_lake.reports.workbook import HEADER_ROW
from tests.browser.report_page import (
    build_marts,
    synthetic_home,
    synthetic_pages,
    synthetic_reports,
    table_rows,
)

CONTACT_HEADERS = {
    "contact_name": "Người liên hệ",
    "contact_phone": "Điện thoại liên hệ",
    "contact_email": "Thư điện tử liên hệ",
}
LISTS = ("laggards", "laggards_by_ward", "not_connected")


def _registry_contacts(home: Path) -> dict[str, dict[str, str | None]]:
    """Contacts by facility code, read from the registry CSV the home was built from."""
    with (home / "registry" / "facilities.csv").open(encoding="utf-8", newline="") as fh:
        return {
            r["facility_code"]: {c: r[c] or None for c in CONTACT_COLUMNS}
            for r in csv.DictReader(fh)
        }


def _code(table_id: str, row_id: str) -> str:
    return row_id.split(":")[1] if table_id == "laggards_by_ward" else row_id.split(":")[0]


@pytest.mark.parametrize("table_id", LISTS)
def test_each_listed_facility_carries_its_registry_contact(table_id):
    registry = _registry_contacts(synthetic_home())
    listed = table_rows(synthetic_pages("weekly")["coverage"], table_id)
    assert listed, f"the synthetic week lists nobody in {table_id}"
    for row_id, row in listed.items():
        assert {c: row[c] for c in CONTACT_COLUMNS} == registry[_code(table_id, row_id)], row_id
    assert any(row["contact_phone"] for row in listed.values())


def test_the_laggard_lists_show_the_contacts_on_the_page_and_in_the_workbook():
    registry = _registry_contacts(synthetic_home())
    files = synthetic_reports("daily")
    html = files.coverage_html.read_text(encoding="utf-8")
    book = load_workbook(files.coverage_xlsx)
    sheets = {"laggards": "Chậm gửi", "laggards_by_ward": "Chậm gửi theo phường"}
    for table_id, sheet_name in sheets.items():
        phones = re.findall(
            rf'data-v="([^"]*)" data-metric="{table_id}\.([^"]+)\.contact_phone"', html
        )
        assert phones, f"{table_id}: no contact phone cell on the page"
        for phone, row_id in phones:
            assert phone == (registry[_code(table_id, row_id)]["contact_phone"] or ""), row_id
        sheet = book[sheet_name]
        header = [c.value for c in sheet[HEADER_ROW]]
        at = {c: header.index(title) for c, title in CONTACT_HEADERS.items()}
        seen = 0
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
            if row[0] is None:
                continue
            expected = registry[_code(table_id, row[0])]
            assert {c: row[i] for c, i in at.items()} == expected, row[0]
            seen += expected["contact_phone"] is not None
        assert seen, f"{sheet_name}: no row with a contact"


def test_each_feedback_card_names_the_contact_or_says_there_is_none():
    registry = _registry_contacts(synthetic_home())
    page = synthetic_pages("weekly")["coverage"]
    deck = next(b for s in page.sections for b in s.blocks if isinstance(b, Scorecards))
    registered = [r for r in deck.recipients if r.facility_code in registry]
    assert registered, "the synthetic week has no registered facility with rejections"
    for r in registered:
        given = [v for v in registry[r.facility_code].values() if v]
        if given:
            assert all(v in r.contact.vi for v in given) and r.contact.vi.startswith("Liên hệ:")
        else:
            assert r.contact.vi == "Danh mục chưa có người liên hệ"


def test_a_registry_without_contact_columns_still_builds_the_report(tmp_path):
    from hanoi_health_lake.benchmarks.lake_tables import (
        facilities_table,
        reference_tables,
        write_lake,
    )
    from hanoi_health_lake.benchmarks.synthetic_day import synthetic_day, synthetic_facilities
    from hanoi_health_lake.reports import day_period, write_reports
    from hanoi_health_lake.reports.build import build_pages

    synthetic_facilities(25, tmp_path / "current")
    with (tmp_path / "current" / "facilities.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    older = [{k: v for k, v in r.items() if k not in CONTACT_COLUMNS} for r in rows]
    facilities = facilities_table(older, tmp_path / "registry")
    with (tmp_path / "registry" / "facilities.csv").open(encoding="utf-8") as fh:
        assert not set(CONTACT_COLUMNS) & set(next(csv.reader(fh)))  # an older registry's header
    end = date(2026, 3, 15)
    days = [end - timedelta(days=k) for k in range(9, -1, -1)]
    parts = [synthetic_day(d, facilities, 60, seed=3) for d in days]
    tables = {name: pa.concat_tables([p[name] for p in parts]) for name in parts[0]}
    write_lake(tmp_path / "lake", reference_tables(facilities) | tables)
    build_marts(tmp_path)

    period = day_period(end)
    coverage = next(p for p in build_pages(tmp_path, period) if p.kind == "coverage")
    listed = table_rows(coverage, "laggards") | table_rows(coverage, "not_connected")
    assert listed, "the older registry's day lists nobody behind"
    assert all(row[c] is None for row in listed.values() for c in CONTACT_COLUMNS)
    files = write_reports(tmp_path, period, out_dir=tmp_path / "out")
    assert "Người liên hệ" in files.coverage_html.read_text(encoding="utf-8")
    assert load_workbook(files.coverage_xlsx)["Chậm gửi"].max_row > HEADER_ROW
