"""The facility coverage report for managers: who is connected and sending on time, against the
city plan's phase targets; who is behind; how good their data is."""

from __future__ import annotations

from hanoi_health_lake.reports import charts
from hanoi_health_lake.reports.common import SHARES, basis, column, rows
from hanoi_health_lake.reports.freshness import freshness_section
from hanoi_health_lake.reports.headline import headline_section, phase_targets
from hanoi_health_lake.reports.health_book import health_book_section
from hanoi_health_lake.reports.labels import label
from hanoi_health_lake.reports.laggards import laggards_section
from hanoi_health_lake.reports.model import Chart, Note, Section, Table
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.quality import quality_section
from hanoi_health_lake.reports.scorecards import scorecards_section
from hanoi_health_lake.reports.source import ReportSource
from hanoi_health_lake.reports.timeliness import timeliness_section
from hanoi_health_lake.reports.wards import wards_section


def trend_section(src: ReportSource, period: Period, targets: dict[str, dict]) -> Section:
    trend = src.frame("trend", trend_start=period.trend_start, end=period.end)
    if trend.is_empty():
        return Section("trend", label("section.trend"), blocks=[Note(label("note.no_data"))])
    days = trend["service_date"].to_list()
    on_time = targets.get("on_time")
    chart = Chart(
        "trend",
        label("chart.trend"),
        charts.in_both(
            charts.coverage_trend,
            days,
            {m: trend[m].to_list() for m in SHARES},
            on_time["min_share"] if on_time else None,
        ),
        basis(src, days[0], period.end),
    )
    table = Table(
        id="trend",
        title=label("table.trend"),
        columns=[column("service_date", "date"), column("facilities_expected"), column("expected")]
        + [column(m, "share") for m in SHARES],
        rows=[
            [r["service_date"], r["facilities_expected"], r["expected"]] + [r[m] for m in SHARES]
            for r in rows(trend)
        ],
        row_ids=[d.isoformat() for d in days],
        sheet=label("sheet.trend"),
        collapsed=True,
        note=label("note.trend_no_history") if trend["complete_share"].null_count() else None,
    )
    return Section("trend", label("section.trend"), label("intro.trend"), [chart, table])


def coverage_sections(src: ReportSource, period: Period) -> list[Section]:
    targets = phase_targets(src)
    return [
        headline_section(src, period, targets),
        trend_section(src, period, targets),
        wards_section(src, period),
        laggards_section(src, period),
        timeliness_section(src, period),
        health_book_section(src, period),
        freshness_section(src, period),
        quality_section(src, period),
        scorecards_section(src, period),
    ]
