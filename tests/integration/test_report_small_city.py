"""A simulated tiny week read as a manager would: every ward count of notifiable diseases is
below the publication threshold, so the dashboard says so in a sentence instead of an empty
chart; the feedback cards locate rejected records in Vietnamese ("dòng 12")."""

from __future__ import annotations

import pytest

from hanoi_health_lake.reports.build import build_pages
from hanoi_health_lake.reports.model import Chart, Note
from hanoi_health_lake.reports.period import day_period, week_period
from tests.browser.report_page import WEEK_START, query, simulated_week_home, table_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pages():
    return {p.kind: p for p in build_pages(simulated_week_home(), week_period(WEEK_START))}


def test_all_ward_counts_withheld_is_a_sentence_not_an_empty_chart():
    home = simulated_week_home()
    per_day = query(
        home,
        "select service_date, count(*) as rows, count(cases) as shown "
        "from mart_disease_counts_daily where classification = 'disease_group' "
        "and notifiable_class is not null and ward_code is not null group by all order by all",
    )
    quiet = [r["service_date"] for r in per_day if r["rows"] and not r["shown"]]
    shown = [r["service_date"] for r in per_day if r["shown"]]
    assert quiet and shown, "the tiny city should have days with and without a published count"
    for day, has_chart in ((quiet[0], False), (shown[0], True)):
        dashboard = next(p for p in build_pages(home, day_period(day)) if p.kind == "dashboard")
        section = next(s for s in dashboard.sections if s.id == "notifiable")
        assert any(isinstance(b, Chart) for b in section.blocks) == has_chart, day
        notes = [b.text.vi for b in section.blocks if isinstance(b, Note)]
        assert any("không có biểu đồ" in n for n in notes) != has_chart, day


def test_record_locators_read_in_vietnamese(pages):
    locators = table_of(pages["coverage"], "scorecard_locators")
    at = [c.id for c in locators.columns].index("locator")
    shown = [r[at] for r in locators.rows]
    texts = [v.vi if hasattr(v, "vi") else v for v in shown]
    assert any(t.startswith("dòng ") for t in texts)
    assert not any(t.startswith(("row ", "line ")) for t in texts)
    english = [v.en for v in shown if hasattr(v, "en") and v.vi.startswith("dòng ")]
    assert all(e.startswith(("row ", "line ")) for e in english)


def test_the_reports_overdue_datasets_are_mart_laggards(pages):
    laggards = table_of(pages["coverage"], "laggards")
    overdue = {
        tuple(row_id.split(":"))
        for row_id, row in zip(laggards.row_ids, laggards.rows, strict=True)
        if row[[c.id for c in laggards.columns].index("laggard_status")].en == "No file for days"
    }
    mart = query(simulated_week_home(), "select facility_code, dataset from mart_laggards")
    assert overdue == {(r["facility_code"], r["dataset"]) for r in mart}


def test_the_per_ward_list_holds_the_same_datasets_ward_by_ward(pages):
    laggards = table_of(pages["coverage"], "laggards")
    by_ward = table_of(pages["coverage"], "laggards_by_ward")
    assert {tuple(i.split(":")[1:]) for i in by_ward.row_ids} == {
        tuple(i.split(":")) for i in laggards.row_ids
    }
    wards = [r[0] or "" for r in by_ward.rows]
    assert wards == sorted(wards) and len(set(wards)) > 1
