"""Every chart the reports draw reads its numbers in the page's language: in Vietnamese 1.500 and
1,25 (plotly's layout.separators), and every axis or colour bar carrying numbers has its
tickformat, both set by the one layout helper in reports/charts.py."""

from __future__ import annotations

import pytest

from tests.browser.report_page import synthetic_pages
from tests.chart_numbers import SEPARATORS, charts_of, unformatted_axes


@pytest.mark.parametrize("kind", ["daily", "weekly"])
def test_every_chart_of_both_pages_reads_numbers_in_vi_vn(kind):
    checked = 0
    for page in synthetic_pages(kind).values():
        for chart in charts_of(page):
            for lang, figure in chart.figures.items():
                assert figure["layout"].get("separators") == SEPARATORS[lang], (chart.id, lang)
                assert not unformatted_axes(figure), (chart.id, lang, unformatted_axes(figure))
            checked += 1
    # coverage trend, phases, timeliness, wards, rules, activity, diagnoses, adherence, …
    assert checked >= 8, f"only {checked} charts on the {kind} pages"


def test_the_checker_finds_an_axis_without_format():
    bare = {"layout": {}, "data": [{"type": "bar", "x": ["a", "b"], "y": [1500, 2]}]}
    assert unformatted_axes(bare) == ["yaxis (number): None"]
    dated = {"layout": {"xaxis": {"tickformat": "%d/%m"}, "yaxis": {"tickformat": ",d"}},
             "data": [{"type": "scatter", "x": ["2026-03-01"], "y": [3]}]}  # fmt: skip
    assert unformatted_axes(dated) == []


def test_heat_map_counts_are_written_per_language():
    from hanoi_health_lake.reports.charts import heat_table
    from hanoi_health_lake.reports.dashboard import _heat_text
    from hanoi_health_lake.reports.model import same

    cells = [[_heat_text({"published_cases": 1500, "suppressed_days": 0}, 5),
              _heat_text({"published_cases": 2500, "suppressed_days": 2}, 5),
              _heat_text({"published_cases": None, "suppressed_days": 1}, 5)]]  # fmt: skip
    shown = {
        lang: heat_table(lang, [same("w")], [same(c) for c in "abc"], [[1500, 2500, None]], cells)
        .data[0]
        .text[0]
        for lang in ("vi", "en")
    }
    assert list(shown["vi"]) == ["1.500", "≥2.500", "<5"]
    assert list(shown["en"]) == ["1,500", "≥2,500", "<5"]
