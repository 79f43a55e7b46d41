"""The report pages in headless Chromium: they load offline with no console error and no
request leaving the file, show the marts' headline numbers, switch language, sort, and pick a
facility's feedback card. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from hanoi_health_lake.reports.formatting import format_cell
from tests.browser.report_page import (
    SYNTHETIC_END,
    browser,
    open_page,
    query,
    synthetic_home,
    synthetic_reports,
)

pytestmark = pytest.mark.browser

CARDS = ("facilities_expected", "connected_share", "on_time_share", "complete_share", "valid_share")


@pytest.fixture(scope="module")
def chromium():
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def files():
    return synthetic_reports("daily")


def _city(home) -> dict:
    return query(
        home,
        "select * from mart_coverage_rollup_daily "
        "where service_date = ? and dimension = 'city' and dataset = 'all'",
        [SYNTHETIC_END],
    )[0]


def test_coverage_page_is_offline_clean_and_shows_the_marts_headline(chromium, files):
    mart = _city(synthetic_home())
    with open_page(chromium, files.coverage_html) as opened:
        assert opened.console_errors == []
        assert opened.page_errors == []
        assert opened.requests and opened.external_requests == []
        for name in CARDS:
            assert float(opened.metric(f"headline.{name}")) == pytest.approx(mart[name]), name
            shown = opened.page.locator(f'[data-metric="headline.{name}"]').inner_text()
            kind = "int" if name == "facilities_expected" else "share"
            assert shown == format_cell(mart[name], kind, "vi")
        for name in ("expected", "connected", "on_time", "complete"):
            assert int(opened.metric(f"headline.city:hanoi.{name}")) == mart[name]
        registered = query(synthetic_home(), "select count(*) as n from lake.facilities")[0]["n"]
        assert int(opened.metric("headline.registered")) == registered
        charts = opened.page.locator(".js-plotly-plot")
        assert charts.count() >= 5
        opened.screenshot("report_coverage_daily.png")


def test_dashboard_page_is_offline_clean(chromium, files):
    with open_page(chromium, files.dashboard_html) as opened:
        assert opened.console_errors == [] and opened.page_errors == []
        assert opened.external_requests == []
        assert opened.page.locator(".js-plotly-plot").count() >= 5
        opened.screenshot("report_dashboard_daily.png")


def test_language_toggle_switches_text_and_redraws_charts(chromium, files):
    with open_page(chromium, files.coverage_html) as opened:
        page = opened.page
        assert page.evaluate("document.documentElement.lang") == "vi"
        heading = page.locator("h1")
        assert heading.inner_text().startswith("Báo cáo kết nối")
        legend = page.locator("#c-trend .legendtext")

        def legend_texts() -> list[str]:
            return legend.evaluate_all("ts => ts.map(t => t.textContent)")

        assert "Đúng hạn" in legend_texts()
        page.click("#lang-toggle")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert heading.inner_text().startswith("Facility connection")
        assert "On time" in legend_texts()
        assert page.title().startswith("Facility connection")
        assert opened.console_errors == [] and opened.page_errors == []
        opened.screenshot("report_coverage_daily_en.png", full_page=False)


def test_laggard_table_sorts_by_a_numeric_column(chromium, files):
    with open_page(chromium, files.coverage_html) as opened:
        table = opened.page.locator("#t-laggards")
        headers = table.locator("thead th")
        kinds = headers.evaluate_all("hs => hs.map(h => h.getAttribute('data-kind'))")
        titles = headers.all_inner_texts()
        column = next(i for i, t in enumerate(titles) if t.startswith("Số ngày gửi muộn"))
        assert kinds[column] == "int"

        def values() -> list[float]:
            cells = table.locator(f"tbody tr td:nth-child({column + 1})")
            return [float(v) for v in cells.evaluate_all("cs => cs.map(c => c.dataset.v)")]

        assert len(values()) > 2
        headers.nth(column).click()
        assert values() == sorted(values())
        headers.nth(column).click()
        assert values() == sorted(values(), reverse=True)


def test_scorecard_picker_shows_one_facilitys_card(chromium, files):
    with open_page(chromium, files.coverage_html) as opened:
        page = opened.page
        options = page.locator("#sc-select option").evaluate_all("os => os.map(o => o.value)")
        assert len(options) >= 2
        page.select_option("#sc-select", options[1])
        visible = page.locator("article.scorecard:visible")
        assert visible.count() == 1
        assert visible.get_attribute("data-facility") == options[1]
        opened.screenshot("report_scorecard.png", full_page=False)
