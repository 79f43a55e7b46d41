"""The HTML pages are self-contained: nothing to fetch, plotly.js inline once, text escaped."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from hanoi_health_lake.reports.html import render_html, render_table
from hanoi_health_lake.reports.model import Chart, Column, Page, Section, Table, same
from hanoi_health_lake.reports.period import day_period
from tests.browser.report_page import synthetic_reports

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


@pytest.mark.parametrize("kind", ["coverage", "dashboard"])
def test_pages_fetch_nothing_and_carry_plotly_once(kind):
    html = getattr(synthetic_reports("daily"), f"{kind}_html").read_text(encoding="utf-8")
    # plotly.js mentions URLs in its code; the markup around the scripts must load none.
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)
    assert not EXTERNAL.search(markup)
    assert '<link rel="stylesheet"' not in html and "@import" not in html
    assert len(re.findall(r"<script(?![^>]*application/json)[^>]*>", html)) == 2
    assert html.count("plotly.js v") == 1
    assert re.search(r"<script[^>]+src=", html) is None
    charts = re.search(
        r'<script type="application/json" id="hhl-charts">(.*?)</script>', html, re.S
    )
    data = json.loads(charts.group(1))
    assert data and all(set(v) == {"vi", "en"} for v in data.values())
    assert len(re.findall(r'data-chart="', html)) == len(data)


def _page(table: Table, chart: Chart | None = None) -> Page:
    blocks = [table] + ([chart] if chart else [])
    return Page("coverage", same("T"), same("S"), day_period(date(2026, 3, 1)),
                [Section("s", same("S"), blocks=blocks)], same("g"))  # fmt: skip


def test_text_from_the_data_is_escaped_everywhere():
    hostile = '<script>alert("x")</script>'
    table = Table("t", same(hostile), [Column("name", same(hostile))], [[hostile]], row_ids=["a"])
    chart = Chart("c", same("c"), {"vi": {"data": [], "layout": {"title": hostile}},
                                   "en": {"data": [], "layout": {}}}, same("b"))  # fmt: skip
    html = render_html(_page(table, chart))
    assert hostile not in html
    assert "&lt;script&gt;" in html
    assert "<\\/script>" in html  # inside the chart JSON


def test_table_cells_carry_metric_ids_and_raw_values():
    table = Table(
        "headline",
        same("H"),
        [Column("group", same("G"), "label"), Column("on_time_share", same("%"), "share")],
        [[same("Hà Nội"), 0.8532]],
        row_ids=["city:hanoi"],
    )
    html = render_table(table)
    cell = re.search(r"<td[^>]*headline\.city:hanoi\.on_time_share[^>]*>", html)
    assert cell and 'data-v="0.8532"' in cell.group(0)
    assert "85,3 %" in html and "85.3%" in html


def test_long_tables_are_cut_in_html_and_say_so():
    rows = [[f"r{i}"] for i in range(30)]
    table = Table("t", same("T"), [Column("x", same("x"))], rows, html_row_limit=10)
    html = render_table(table)
    assert html.count("<tr>") == 11  # header and ten rows
    assert "10/30" in html
