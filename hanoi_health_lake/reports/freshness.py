"""How fresh the warehouse is: minutes from a file's arrival to silver and to the marts, per
facility type and dataset, and the phase-3 measure (records arriving within N minutes of care)."""

from __future__ import annotations

from hanoi_health_lake.reports.common import column, label_column, type_order
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Note, Section, Table
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

METRICS = (
    ("files", "int"),
    ("to_silver_p50_minutes", "number"),
    ("to_silver_p95_minutes", "number"),
    ("to_marts_p50_minutes", "number"),
    ("to_marts_p95_minutes", "number"),
    ("facility_days_with_care", "int"),
    ("facility_days_realtime", "int"),
    ("realtime_share", "share"),
)


def freshness_section(src: ReportSource, period: Period) -> Section:
    if not src.scalar(
        "select count(*) from information_schema.tables where table_name = 'mart_freshness_daily'"
    ):
        return Section(
            "freshness", label("section.freshness"), blocks=[Note(label("note.no_data"))]
        )
    frame = src.frame("freshness_by_type", start=period.start, end=period.end)
    if frame.is_empty():
        return Section(
            "freshness", label("section.freshness"), blocks=[Note(label("note.no_data"))]
        )
    order = {t: i for i, t in enumerate(type_order(frame["facility_type"].unique().to_list()))}
    rows = sorted(frame.to_dicts(), key=lambda r: (order.get(r["facility_type"], 99), r["dataset"]))
    minutes = int(frame["realtime_minutes"].max() or 60)
    table = Table(
        id="freshness_by_type",
        title=label("table.freshness_by_type", minutes=minutes),
        columns=[label_column("facility_type"), label_column("dataset")]
        + [column(m, kind) for m, kind in METRICS],
        rows=[
            [code_label("facility_type", r["facility_type"]), code_label("dataset", r["dataset"])]
            + [r[m] for m, _ in METRICS]
            for r in rows
        ],
        row_ids=[f"{r['facility_type']}:{r['dataset']}" for r in rows],
        sheet=label("sheet.freshness"),
        collapsed=True,
    )
    return Section(
        "freshness", label("section.freshness"), label("intro.freshness", minutes=minutes), [table]
    )
