"""The coverage report's first screen in headless Chromium, at a desktop (1440 px) and a phone
(390 px) width: it answers "how many of our facilities are connected, against each phase" with
the marts' counts, nothing overflows the page sideways (wide tables scroll in their own box),
and completeness without enough history says so instead of showing 0 %."""

from __future__ import annotations

import pytest

from tests.browser.report_page import (
    WEEK_START,
    browser,
    open_page,
    query,
    simulated_week_home,
    surveilled_home,
    synthetic_home,
    synthetic_reports,
)

pytestmark = pytest.mark.browser
HEIGHT = 900  # open_page's viewport height

OVERFLOW = """() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  boxes: Array.from(document.querySelectorAll('.table-wrap, .cards, figure.chart, .embedded'))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map(e => e.className),
})"""


@pytest.fixture(scope="module")
def chromium():
    with browser() as launched:
        yield launched


@pytest.mark.parametrize("width", [1440, 390])
def test_first_screen_counts_connected_facilities_per_phase(chromium, width):
    files = synthetic_reports("daily")
    status = query(
        synthetic_home(),
        "select phase, count(*) as n, count(connected_date) as connected, "
        "any_value(days_to_deadline) as days from mart_phase_status group by phase order by phase",
    )
    assert len(status) == 3
    with open_page(chromium, files.coverage_html, width=width) as opened:
        page = opened.page
        assert opened.console_errors == [] and opened.page_errors == []
        first = page.locator("main .card-value").first
        assert first.get_attribute("data-metric") == "headline.phase1.connected"
        for row in status:
            metric = f"headline.phase{row['phase']}.connected"
            assert int(opened.metric(metric)) == row["connected"]
            card = page.locator(".card", has=page.locator(f'[data-metric="{metric}"]'))
            text = card.inner_text()
            assert f"/ {row['n']}" in text
            days = row["days"]
            assert (f"quá hạn {-days} ngày" if days < 0 else f"còn {days} ngày") in text
        # The phase cards are on the first screen.
        last = page.locator('[data-metric="headline.phase3.connected"]').bounding_box()
        assert last["y"] + last["height"] <= HEIGHT
        overflow = page.evaluate(OVERFLOW)
        assert overflow == {"page": 0, "boxes": []}
        if width == 1440:
            # The phase table fits: its last column is not cut off.
            wrap = page.locator(".table-wrap", has=page.locator("#t-phases"))
            fits = wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
            assert fits
        else:
            header = page.locator("header.top").bounding_box()
            assert header["height"] <= HEIGHT / 6
        opened.screenshot(f"report_first_screen_{width}.png", full_page=False)


def test_completeness_without_history_says_so(chromium):
    from hanoi_health_lake.reports import week_period, write_reports

    home = simulated_week_home()  # seven days: no facility has 4 same-weekday weeks yet
    judged = query(
        home,
        "select sum(completeness_judged) as n, sum(completeness_insufficient) as waiting "
        "from mart_coverage_rollup_daily where dimension = 'city' and dataset = 'all'",
    )[0]
    assert judged["n"] == 0 and judged["waiting"] > 0
    files = write_reports(home, week_period(WEEK_START))
    with open_page(chromium, files.coverage_html, width=390) as opened:
        page = opened.page
        assert opened.metric("headline.complete_share") == ""
        card = page.locator(".card", has=page.locator('[data-metric="headline.complete_share"]'))
        text = card.inner_text()
        assert "Chưa đủ lịch sử" in text and "%" not in text.split("\n")[1]
        legend = page.locator("#c-trend .legendtext").evaluate_all(
            "ts => ts.map(t => t.textContent)"
        )
        assert any("chưa đủ lịch sử" in t for t in legend)
        assert page.evaluate(OVERFLOW)["page"] == 0
        opened.screenshot("report_no_history_390.png", full_page=False)


STYLE = """() => {
  const header = getComputedStyle(document.querySelector('header.top'));
  const block = getComputedStyle(document.querySelector('section.block'));
  return {header: header.backgroundImage, radius: block.borderRadius,
          font: getComputedStyle(document.body).fontFamily};
}"""


@pytest.mark.parametrize("width", [1440, 390])
def test_bulletin_page_looks_like_the_other_reports(chromium, width):
    from hanoi_health_lake.reports.build import write_bulletin
    from tests.browser.report_page import SYNTHETIC_END

    home = surveilled_home()
    bulletin = write_bulletin(home, SYNTHETIC_END)
    coverage = synthetic_reports("daily").coverage_html
    with open_page(chromium, coverage, width=width) as opened:
        reference = opened.page.evaluate(STYLE)
    with open_page(chromium, bulletin, width=width) as opened:
        page = opened.page
        assert opened.console_errors == [] and opened.page_errors == []
        assert opened.external_requests == []
        assert page.evaluate(STYLE) == reference
        assert page.locator("h1").inner_text() == "Bản tin cảnh báo sớm dịch bệnh"
        assert page.locator("#t-bulletin_summary tbody tr").count() > 0
        assert page.evaluate(OVERFLOW) == {"page": 0, "boxes": []}
        opened.screenshot(f"report_bulletin_{width}.png", full_page=False)
