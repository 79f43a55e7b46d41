"""How late first files come, per facility type: the lag distribution and its quantiles."""

from __future__ import annotations

from hanoi_health_lake.reports import charts
from hanoi_health_lake.reports.common import basis, by_key, column, label_column, type_order
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Chart, Note, Section, Table
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

LAG_BUCKETS = {
    "on_time": "#2e7d32",
    "late_24h": "#f1c40f",
    "late_48h": "#e67e22",
    "late_7d": "#c0392b",
    "late_more": "#7b241c",
    "not_delivered": "#9aa5b1",
}


def timeliness_section(src: ReportSource, period: Period) -> Section:
    params = {"start": period.start, "end": period.end}
    buckets = src.frame("lag_buckets", **params)
    by_type = src.frame("lag_by_type", **params)
    types = type_order(by_type["facility_type"].to_list())
    if not types:
        return Section(
            "timeliness", label("section.timeliness"), blocks=[Note(label("note.no_data"))]
        )
    counts = by_key(buckets, "facility_type", "bucket")
    parts = {
        b: [counts.get((t, b), {}).get("facility_days", 0) for t in types] for b in LAG_BUCKETS
    }
    chart = Chart(
        "lag_buckets",
        label("chart.lag_buckets"),
        charts.in_both(
            charts.stacked_shares,
            [code_label("facility_type", t) for t in types],
            parts,
            "bucket",
            LAG_BUCKETS,
        ),
        basis(src, period.start, period.end),
        height=120 + 50 * len(types),
    )
    lag = by_key(by_type, "facility_type")
    metrics = ("expected", "delivered", "on_time", "on_time_share", "lag_p50_hours")
    metrics += ("lag_p90_hours", "lag_p95_hours", "lag_max_hours")
    table = Table(
        id="lag_by_type",
        title=label("table.lag_by_type"),
        columns=[label_column("facility_type")]
        + [
            column(m, "share" if m.endswith("share") else "hours" if "hours" in m else "int")
            for m in metrics
        ],
        rows=[[code_label("facility_type", t)] + [lag[(t,)][m] for m in metrics] for t in types],
        row_ids=[f"facility_type:{t}" for t in types],
        sheet=label("sheet.lag_by_type"),
    )
    return Section(
        "timeliness", label("section.timeliness"), label("intro.timeliness"), [chart, table]
    )
