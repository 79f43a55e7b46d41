"""The coverage report's health-book line per facility type: what reached citizens' books, what
was withheld, and how much within the 24-hour rule (QĐ 1332/QĐ-BYT; docs/health-book.md)."""

from __future__ import annotations

from hanoi_health_lake.reports.common import by_key, column, label_column, type_order
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Note, Section, Table
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

METRICS = {
    "episodes_accepted": "int",
    "episodes_sent": "int",
    "withheld_no_citizen_id": "int",
    "withheld_by_citizen_or_category": "int",
    "sent_share": "share",
    "within_24h_share": "share",
    "book_p50_hours": "hours",
}


def health_book_section(src: ReportSource, period: Period) -> Section:
    frame = src.frame("health_book_by_type", start=period.start, end=period.end)
    types = type_order(frame["facility_type"].to_list())
    if not types:
        return Section(
            "health_book", label("section.health_book"), blocks=[Note(label("note.no_data"))]
        )
    found = by_key(frame, "facility_type")
    table = Table(
        id="health_book_by_type",
        title=label("table.health_book_by_type"),
        columns=[label_column("facility_type")] + [column(m, k) for m, k in METRICS.items()],
        rows=[[code_label("facility_type", t)] + [found[(t,)][m] for m in METRICS] for t in types],
        row_ids=[f"facility_type:{t}" for t in types],
        sheet=label("sheet.health_book"),
    )
    return Section("health_book", label("section.health_book"), label("intro.health_book"), [table])
