"""One rule decides when a facility is due (int_facility_due): coverage, the phase table, the
registry counts and the report's "not connected" list agree on a simulated week, and a facility
whose go-live date is after the report day is never "overdue" in the phase table."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest

from hanoi_health_lake.reports.build import build_pages
from hanoi_health_lake.reports.period import week_period
from tests.browser.report_page import WEEK_START, query, simulated_week_home, table_rows

pytestmark = pytest.mark.slow
END = WEEK_START + timedelta(days=6)


@pytest.fixture(scope="module")
def home():
    return simulated_week_home()


def _registry(home) -> dict[str, dict]:
    with (home / "registry" / "facilities.csv").open(encoding="utf-8", newline="") as fh:
        return {r["facility_code"]: r for r in csv.DictReader(fh)}


def _due_in_registry(home, day: date) -> set[str]:
    """Worked out from the registry file alone: go-live set and passed, and opened by then."""
    return {
        code
        for code, r in _registry(home).items()
        if r["go_live_date"]
        and date.fromisoformat(r["go_live_date"]) <= day
        and (not r["opened_date"] or date.fromisoformat(r["opened_date"]) <= day)
    }


def test_the_week_has_facilities_not_yet_due(home):
    assert set(_registry(home)) - _due_in_registry(home, END), "pick a seed with a late go-live"


def test_coverage_expects_exactly_the_due_facilities(home):
    for k in (0, 6):
        day = WEEK_START + timedelta(days=k)
        expected = query(
            home,
            "select distinct facility_code from mart_coverage_daily "
            "where service_date = ? and is_expected",
            [day],
        )
        assert {r["facility_code"] for r in expected} == _due_in_registry(home, day)


def test_phase_table_never_calls_a_facility_not_yet_due_overdue(home):
    rows = query(home, "select * from mart_phase_status")
    as_of = rows[0]["as_of_date"]
    due = _due_in_registry(home, as_of)
    assert {r["facility_code"] for r in rows if r["is_due"]} == due & {
        r["facility_code"] for r in rows
    }
    not_due = [r for r in rows if r["facility_code"] not in due]
    assert not_due, "the registry has facilities not yet due"
    assert {r["status"] for r in not_due} <= {"not_due", "met", "met_late"}
    assert all(r["status"] != "overdue" for r in not_due)
    # The facilities the coverage mart expects on as_of are the due ones of the phase table.
    expected = query(
        home,
        "select distinct facility_code from mart_coverage_daily where service_date = ? "
        "and is_expected",
        [as_of],
    )
    in_scope = {r["facility_code"] for r in rows}
    assert {r["facility_code"] for r in expected} & in_scope == due & in_scope


def test_report_counts_and_lists_by_the_same_rule(home):
    coverage = next(p for p in build_pages(home, week_period(WEEK_START)) if p.kind == "coverage")
    headline = table_rows(coverage, "headline")["city:hanoi"]
    due = _due_in_registry(home, END)
    assert headline["registered"] == len(_registry(home))
    phases = table_rows(coverage, "phases")
    status = query(home, "select phase, status from mart_phase_status")
    for phase_id, row in phases.items():
        phase = int(phase_id.split(":")[1])
        mine = [r for r in status if r["phase"] == phase]
        assert row["not_due"] == sum(r["status"] == "not_due" for r in mine)
        assert row["overdue"] == sum(r["status"] == "overdue" for r in mine)
    # The card "n facilities past their go-live date" is the due count.
    cards = [b for s in coverage.sections for b in s.blocks if isinstance(b, list)]
    registered = next(c for c in cards[1] if c.metric == "headline.registered")
    assert str(len(due)) in registered.detail.vi
