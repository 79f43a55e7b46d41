"""The city dashboard: its figures come from the marts, ward-level health counts stay withheld
below the publication threshold, and each chart says what it rests on."""

from __future__ import annotations

import pytest

from hanoi_health_lake.reports.model import Chart, Text
from tests.browser.report_page import (
    query,
    synthetic_home,
    synthetic_pages,
    synthetic_period,
    table_of,
    table_rows,
)


@pytest.fixture(scope="module")
def home():
    return synthetic_home()


def test_activity_totals_are_the_activity_marts(home):
    week = synthetic_period("weekly")
    mart = query(
        home,
        "select facility_type, sum(encounters) as encounters, sum(prescriptions) as rx "
        "from mart_facility_activity_daily where service_date between ? and ? group by all",
        [week.start, week.end],
    )
    rows = table_rows(synthetic_pages("weekly")["dashboard"], "activity_by_type")
    for r in mart:
        row = rows[f"facility_type:{r['facility_type']}"]
        assert (row["encounters"], row["prescriptions"]) == (r["encounters"], r["rx"])
    assert rows["city:hanoi"]["encounters"] == sum(r["encounters"] for r in mart)


def test_ward_counts_below_the_threshold_are_never_shown(home):
    threshold = query(home, "select suppress_below as n from int_settings")[0]["n"]
    week = synthetic_period("weekly")
    table = table_of(synthetic_pages("weekly")["dashboard"], "notifiable_by_ward")
    cases = [c.id for c in table.columns].index("cases")
    shown = [row[cases] for row in table.rows]
    assert shown, "the synthetic lake has no notifiable case"
    assert any(isinstance(v, Text) for v in shown), "nothing was withheld: weak test data"
    for value in shown:
        if isinstance(value, Text):
            assert value.vi == f"<{threshold}" or value.vi.startswith("≥ ")
        else:
            assert value >= threshold
    published = query(
        home,
        "select coalesce(sum(cases), 0) as n from mart_disease_counts_daily "
        "where classification = 'disease_group' and notifiable_class is not null "
        "and service_date between ? and ?",
        [week.start, week.end],
    )[0]["n"]
    plain = sum(v for v in shown if isinstance(v, int))
    at_least = sum(int(v.vi[2:]) for v in shown if isinstance(v, Text) and v.vi.startswith("≥"))
    assert plain + at_least == published


def test_prescribing_indicators_are_ratios_of_the_marts_sums(home):
    day = synthetic_period("daily").end
    mart = query(
        home,
        "select facility_type, sum(prescriptions_with_antibiotic) / sum(prescriptions) as ab, "
        "sum(drugs_prescribed) / sum(prescriptions) as dpp "
        "from mart_prescribing_indicators_daily where service_date = ? group by all",
        [day],
    )
    rows = table_rows(synthetic_pages("daily")["dashboard"], "prescribing")
    assert "who_reference" in rows
    for r in mart:
        row = rows[f"facility_type:{r['facility_type']}"]
        assert row["antibiotic_share"] == pytest.approx(r["ab"])
        assert row["drugs_per_prescription"] == pytest.approx(r["dpp"])


def test_every_chart_states_its_days_and_coverage():
    for kind in ("coverage", "dashboard"):
        page = synthetic_pages("weekly")[kind]
        charts = [b for s in page.sections for b in s.blocks if isinstance(b, Chart)]
        assert len(charts) >= 5
        for chart in charts:
            assert "/2026" in chart.basis.vi, chart.id
            assert "%" in chart.basis.vi or "không có" in chart.basis.vi, chart.id
            assert set(chart.figures) == {"vi", "en"}
            assert chart.figures["vi"] != chart.figures["en"], chart.id


def test_diagnoses_read_in_vietnamese_where_a_name_is_shipped(home):
    from hanoi_health_lake.reference import icd10

    rows = table_rows(synthetic_pages("daily")["dashboard"], "top_diagnoses")
    assert rows
    for code, row in rows.items():
        assert row["icd10_name"].vi == (icd10.name_vi(code) or icd10.description(code) or "")
        assert row["icd10_name"].en == (icd10.description(code) or "")
    assert any(row["icd10_name"].vi != row["icd10_name"].en for row in rows.values())


@pytest.mark.parametrize("chart_id", ["adherence", "activity"])
def test_date_and_number_axes_never_repeat_a_tick_and_read_in_vi_vn(chart_id):
    from hanoi_health_lake.reports.charts import DAY_MS

    page = synthetic_pages("weekly")["dashboard"]
    chart = next(
        b for s in page.sections for b in s.blocks if isinstance(b, Chart) and b.id == chart_id
    )
    vi, en = chart.figures["vi"]["layout"], chart.figures["en"]["layout"]
    assert vi["separators"] == ",." and en["separators"] == ".,"  # 1.500 and 1,25 in vi
    if chart_id == "adherence":
        assert vi["xaxis"]["dtick"] in (DAY_MS, 7 * DAY_MS) and vi["xaxis"]["tickformat"] == "%d/%m"
        assert vi["yaxis2"]["dtick"] == 0.2 and vi["yaxis"]["tickformat"] == ",d"
