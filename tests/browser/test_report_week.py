"""A simulated Hanoi week through the ingest and the marts: the weekly report names as laggards
every facility the simulator kept silent or made late (its ground truth), and only those."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from hanoi_health_lake.reports import week_period, write_reports
from hanoi_health_lake.reports.workbook import HEADER_ROW
from tests.browser.report_page import WEEK_START, browser, open_page, simulated_week_home

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home():
    return simulated_week_home()


@pytest.fixture(scope="module")
def files(home):
    return write_reports(home, week_period(WEEK_START))


def _truth(home, name: str) -> list[dict]:
    with (home / "ground_truth" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _live(home) -> set[str]:
    """Facilities the registry expects to send by the week's end (go-live passed)."""
    end = WEEK_START + timedelta(days=6)
    with (home / "registry" / "facilities.csv").open(encoding="utf-8", newline="") as fh:
        return {
            r["facility_code"]
            for r in csv.DictReader(fh)
            if r["go_live_date"] and date.fromisoformat(r["go_live_date"]) <= end
        }


def _behind_in_truth(home) -> set[tuple[str, str]]:
    """(facility, dataset) the simulator kept silent or made late in the week."""
    live = _live(home)
    days = {(WEEK_START + timedelta(days=k)).isoformat() for k in range(7)}
    return {
        (r["facility_code"], r["dataset"])
        for r in _truth(home, "deliveries.csv")
        if r["service_date"] in days
        and r["facility_code"] in live
        and (r["silent"] in ("silent_stretch", "late") or r["on_time"] == "0")
    }


def _workbook_laggards(path) -> set[tuple[str, str]]:
    sheet = load_workbook(path)["Chậm gửi"]
    ids = [r[0] for r in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0]]
    return {tuple(i.split(":")) for i in ids}


def test_truth_has_both_kinds_of_laggard(home):
    reasons = {r["silent"] for r in _truth(home, "deliveries.csv")}
    assert {"silent_stretch", "late"} <= reasons, "pick a seed with a silence and a late file"
    assert _truth(home, "silences.csv")


def test_weekly_laggards_are_the_simulators_silent_and_late_facilities(home, files):
    truth = _behind_in_truth(home)
    listed = _workbook_laggards(files.coverage_xlsx)
    assert truth <= listed, f"missed: {sorted(truth - listed)}"
    assert listed <= truth, f"not in the ground truth: {sorted(listed - truth)}"
    silenced = {r["facility_code"] for r in _truth(home, "silences.csv")} & _live(home)
    assert silenced <= {code for code, _ in listed}


@pytest.mark.browser
def test_weekly_page_lists_them_and_loads_clean(home, files):
    truth_codes = {code for code, _ in _behind_in_truth(home)}
    with browser() as chromium, open_page(chromium, files.coverage_html) as opened:
        assert opened.console_errors == [] and opened.page_errors == []
        assert opened.external_requests == []
        codes = opened.page.locator("#t-laggards tbody tr td:nth-child(2)").all_inner_texts()
        assert set(codes) == truth_codes
        opened.screenshot("report_coverage_simulated_week.png")
