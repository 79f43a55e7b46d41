"""The coverage report's figures against the marts they come from, on a warehouse built by the real
SQL models from a synthetic lake (silent datasets, late files, quarantined records)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hanoi_health_lake.reference.wards import hanoi_wards
from hanoi_health_lake.reports.model import Text
from tests.browser.report_page import (
    SYNTHETIC_END,
    query,
    synthetic_home,
    synthetic_pages,
    synthetic_period,
    table_of,
    table_rows,
)

SUMMED = ("expected", "connected", "on_time", "complete")
SHARES = ("connected_share", "on_time_share", "complete_share", "valid_share")


@pytest.fixture(scope="module")
def home():
    return synthetic_home()


def _rollup(home, dimension: str, start, end) -> dict[str, dict]:
    rows = query(
        home,
        "select group_value, sum(expected) as expected, sum(connected) as connected, "
        "sum(on_time) as on_time, sum(complete) as complete, "
        "sum(completeness_judged) as judged, sum(valid) as valid, sum(delivered) as delivered, "
        "max(facilities_expected) as facilities_expected, max(lag_p50_hours) as lag_p50_hours "
        "from mart_coverage_rollup_daily where dimension = ? and dataset = 'all' "
        "and service_date between ? and ? group by group_value",
        [dimension, start, end],
    )
    return {r["group_value"]: r for r in rows}


@pytest.mark.parametrize("dimension", ["city", "facility_type", "ownership"])
def test_daily_headline_is_the_rollup_marts_row(home, dimension):
    mart = _rollup(home, dimension, SYNTHETIC_END, SYNTHETIC_END)
    page = synthetic_pages("daily")["coverage"]
    shown = {k.split(":", 1)[1]: v for k, v in table_rows(page, "headline").items()
             if k.startswith(f"{dimension}:")}  # fmt: skip
    assert set(mart) <= set(shown)
    for group, figures in mart.items():
        row = shown[group]
        for name in (*SUMMED, "facilities_expected"):
            assert row[name] == figures[name], (group, name)
        assert row["lag_p50_hours"] == pytest.approx(figures["lag_p50_hours"])
        assert row["on_time_share"] == pytest.approx(figures["on_time"] / figures["expected"])
        assert row["valid_share"] == pytest.approx(figures["valid"] / figures["delivered"])


def test_weekly_headline_sums_the_marts_days(home):
    week = synthetic_period("weekly")
    assert week.end == SYNTHETIC_END and week.days == 7
    city = _rollup(home, "city", week.start, week.end)["hanoi"]
    row = table_rows(synthetic_pages("weekly")["coverage"], "headline")["city:hanoi"]
    for name in SUMMED:
        assert row[name] == city[name]
    assert row["on_time_share"] == pytest.approx(city["on_time"] / city["expected"])
    assert row["complete_share"] == pytest.approx(city["complete"] / city["judged"])
    distinct = query(
        home,
        "select count(distinct facility_code) as n from mart_coverage_daily "
        "where is_expected and service_date between ? and ?",
        [week.start, week.end],
    )[0]["n"]
    assert row["facilities_expected"] == distinct


def _cards(page) -> list:
    return [c for b in page.sections[0].blocks if isinstance(b, list) for c in b]


def test_first_cards_answer_how_many_facilities_are_connected_per_phase(home):
    page = synthetic_pages("daily")["coverage"]
    first = page.sections[0].blocks[0]
    status = query(home, "select * from mart_phase_status")
    phases = sorted({r["phase"] for r in status})
    assert [c.metric for c in first] == [f"headline.phase{p}.connected" for p in phases]
    for card, phase in zip(first, phases, strict=True):
        mine = [r for r in status if r["phase"] == phase]
        assert card.of == len(mine)
        assert card.value == sum(r["connected_date"] is not None for r in mine)
        days = mine[0]["days_to_deadline"]
        wording = f"quá hạn {-days} ngày" if days < 0 else f"còn {days} ngày"
        assert wording in card.target.vi
    # Some phase has facilities connected and some not, so the counts are not trivially all.
    assert any(0 < c.value < c.of for c in first)


def test_headline_cards_repeat_the_citys_row(home):
    page = synthetic_pages("daily")["coverage"]
    cards = {c.metric: c.value for c in _cards(page)}
    city = table_rows(page, "headline")["city:hanoi"]
    for metric in ("facilities_expected", *SHARES):
        assert cards[f"headline.{metric}"] == city[metric]
    registered = query(home, "select count(*) as n from lake.facilities")[0]["n"]
    assert cards["headline.registered"] == registered


def test_every_ward_is_listed_with_the_marts_figures(home):
    page = synthetic_pages("weekly")["coverage"]
    week = synthetic_period("weekly")
    wards = table_rows(page, "wards")
    assert sorted(wards) == sorted(f"ward_code:{w.code}" for w in hanoi_wards())
    assert len(wards) == 126
    mart = _rollup(home, "ward_code", week.start, week.end)
    for code, figures in mart.items():
        row = wards[f"ward_code:{code}"]
        assert row["expected"] == figures["expected"]
        assert row["on_time_share"] == pytest.approx(figures["on_time"] / figures["expected"])
    quiet = [r for k, r in wards.items() if k.split(":")[1] not in mart]
    assert quiet and all(r["expected"] == 0 and r["on_time_share"] is None for r in quiet)


def test_laggards_are_every_missed_late_or_silent_facility_dataset(home):
    week = synthetic_period("weekly")
    behind = query(
        home,
        "select distinct facility_code || ':' || dataset as id from mart_coverage_daily "
        "where is_expected and service_date between ? and ? "
        "and (not is_delivered or not is_on_time or "
        "(service_date = ? and days_since_delivery >= "
        "(select laggard_days_since_delivery from int_settings)))",
        [week.start, week.end, week.end],
    )
    listed = table_rows(synthetic_pages("weekly")["coverage"], "laggards")
    assert behind, "the synthetic lake has no laggard to find"
    assert set(listed) == {r["id"] for r in behind}


def test_laggards_overdue_at_the_warehouses_last_day_are_the_laggards_mart(home):
    mart = query(home, "select facility_code || ':' || dataset as id from mart_laggards")
    page = synthetic_pages("daily")["coverage"]
    table = table_of(page, "laggards")
    status = [c.id for c in table.columns].index("laggard_status")
    overdue = {
        row_id
        for row_id, row in zip(table.row_ids, table.rows, strict=True)
        if row[status] == Text("Không gửi tệp nhiều ngày", "No file for days")
    }
    assert overdue == {r["id"] for r in mart}


def test_lag_by_type_counts_on_time_as_the_coverage_mart(home):
    day = SYNTHETIC_END
    mart = query(
        home,
        "select facility_type, count(*) filter (where is_on_time) as on_time, count(*) as n, "
        "quantile_cont(first_lag_hours, 0.95) as p95 from mart_coverage_daily "
        "where is_expected and service_date = ? group by facility_type",
        [day],
    )
    shown = table_rows(synthetic_pages("daily")["coverage"], "lag_by_type")
    for r in mart:
        row = shown[f"facility_type:{r['facility_type']}"]
        assert (row["on_time"], row["expected"]) == (r["on_time"], r["n"])
        assert row["lag_p95_hours"] == pytest.approx(r["p95"])


def test_scorecards_hold_each_facilitys_rejections_by_rule(home):
    week = synthetic_period("weekly")
    mart = query(
        home,
        "select facility_code, dataset, rule_id, sum(records_quarantined) as n "
        "from mart_data_quality_rules_daily where service_date between ? and ? group by all",
        [week.start, week.end],
    )
    page = synthetic_pages("weekly")["coverage"]
    rules = table_rows(page, "scorecard_rules")
    assert {f"{r['facility_code']}:{r['dataset']}:{r['rule_id']}" for r in mart} == set(rules)
    for r in mart:
        row = rules[f"{r['facility_code']}:{r['dataset']}:{r['rule_id']}"]
        assert row["records_quarantined"] == r["n"]
        assert row["rule_meaning"].vi and row["rule_meaning"].vi != r["rule_id"]


def test_scorecard_locators_point_at_quarantined_records_and_carry_no_content(home):
    week = synthetic_period("weekly")
    page = synthetic_pages("weekly")["coverage"]
    locators = table_of(page, "scorecard_locators")
    ids = [c.id for c in locators.columns]
    assert ids == ["facility_code", "rule_id", "dataset", "service_date", "source_file",
                   "locator", "of_rule"]  # fmt: skip
    quarantine = query(
        home,
        "select facility_code, unnest(rule_ids) as rule_id, source_file, record_no, locator "
        "from lake.quarantine where service_date between ? and ?",
        [week.start, week.end],
    )
    where = {}
    for q in quarantine:
        shown = q["locator"] or (f"record {q['record_no']}" if q["record_no"] else "whole file")
        where.setdefault((q["facility_code"], q["rule_id"], q["source_file"]), set()).add(shown)
    assert locators.rows
    for row in locators.rows:
        facility, rule, _, _, source_file, locator, _ = row
        shown = locator.en if isinstance(locator, Text) else locator
        assert shown in where[(facility, rule, source_file)]


def test_period_without_marts_is_refused(home):
    from hanoi_health_lake.reports import NoCoverageData, day_period
    from hanoi_health_lake.reports.build import build_pages

    with pytest.raises(NoCoverageData, match="no coverage"):
        build_pages(home, day_period(SYNTHETIC_END + timedelta(days=30)))


def test_days_without_data_are_named_not_counted_as_zero(home):
    from datetime import timedelta

    from hanoi_health_lake.config import warehouse_path
    from hanoi_health_lake.reports.headline import days_without_data
    from hanoi_health_lake.reports.period import Period
    from hanoi_health_lake.reports.source import open_source

    week = synthetic_period("weekly")
    later = Period("weekly", week.start + timedelta(days=3), week.end + timedelta(days=3))
    with open_source(warehouse_path(home)) as src:
        assert days_without_data(src, week) is None
        note = days_without_data(src, later)
    assert note is not None
    missing = [(week.end + timedelta(days=k)).strftime("%d/%m/%Y") for k in (1, 2, 3)]
    assert all(d in note.text.vi for d in missing) and note.text.vi.startswith("3 ngày")
