"""Who is behind: facility datasets missed, late or silent in the period, and registered
facilities that never delivered anything."""

from __future__ import annotations

from hanoi_health_lake.reference.registry import CONTACT_COLUMNS
from hanoi_health_lake.reports.common import column, label_column, rows
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Column, Note, Section, Table, Text
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

LAGGARD_HTML_ROWS = 500


def contact_columns() -> list[Column]:
    """Whom to call at the facility about its deliveries (optional registry columns: may be
    empty)."""
    return [
        Column("contact_name", label("col.contact_name"), "text", wrap=True),
        column("contact_phone", "text"),
        column("contact_email", "text"),
    ]


def contact_cells(r: dict) -> list:
    return [r[c] for c in CONTACT_COLUMNS]


def _laggard_status(r: dict) -> Text:
    if r["is_laggard_at_end"]:
        return label("laggard.no_file")
    if r["missed_days"]:
        return label("laggard.missed")
    return label("laggard.late")


def _by_ward(laggards: list[dict]) -> Table:
    """The same facilities behind, one block of rows per ward (ward, then facility), to print
    and hand to each ward's health station."""
    ordered = sorted(
        laggards, key=lambda r: (r["ward_name"] or "", r["facility_code"], r["dataset"])
    )
    return Table(
        id="laggards_by_ward",
        title=label("table.laggards_by_ward"),
        columns=[
            column("ward_name", "text"),
            Column("facility_name", label("col.facility_name"), "text", wrap=True),
            column("facility_code", "text"),
            *contact_columns(),
            label_column("dataset"),
            label_column("laggard_status"),
            column("last_delivery_date", "date"),
        ],
        rows=[
            [
                r["ward_name"],
                r["facility_name"],
                r["facility_code"],
                *contact_cells(r),
                code_label("dataset", r["dataset"]),
                _laggard_status(r),
                r["last_delivery_date"],
            ]
            for r in ordered
        ],
        row_ids=[f"{r['ward_code']}:{r['facility_code']}:{r['dataset']}" for r in ordered],
        sheet=label("sheet.laggards_by_ward"),
        collapsed=True,
    )


def laggards_section(src: ReportSource, period: Period) -> Section:
    laggards = rows(src.frame("laggards", start=period.start, end=period.end))
    laggard_days = src.scalar("select laggard_days_since_delivery from int_settings")
    table = Table(
        id="laggards",
        title=label("table.laggards", n=str(len({r["facility_code"] for r in laggards}))),
        columns=[
            Column("facility_name", label("col.facility_name"), "text", wrap=True),
            column("facility_code", "text"),
            label_column("facility_type"),
            column("ward_name", "text"),
            *contact_columns(),
            label_column("dataset"),
            label_column("laggard_status"),
            column("days_since_delivery"),
            column("last_delivery_date", "date"),
            label_column("format"),
            column("missed_days"),
            column("late_days"),
            column("worst_lag_hours", "hours"),
        ],
        rows=[
            [
                r["facility_name"],
                r["facility_code"],
                code_label("facility_type", r["facility_type"]),
                r["ward_name"],
                *contact_cells(r),
                code_label("dataset", r["dataset"]),
                _laggard_status(r),
                r["days_since_delivery"],
                r["last_delivery_date"],
                code_label("format", r["format"]),
                r["missed_days"],
                r["late_days"],
                r["worst_lag_hours"],
            ]
            for r in laggards
        ],
        row_ids=[f"{r['facility_code']}:{r['dataset']}" for r in laggards],
        sheet=label("sheet.laggards"),
        sortable=True,
        html_row_limit=LAGGARD_HTML_ROWS,
        note=label("note.laggards", days=str(laggard_days)),
    )
    never = rows(src.frame("not_connected", end=period.end))
    not_connected = Table(
        id="not_connected",
        title=label("table.not_connected", n=str(len(never))),
        columns=[
            Column("facility_name", label("col.facility_name"), "text", wrap=True),
            column("facility_code", "text"),
            label_column("facility_type"),
            column("ward_name", "text"),
            *contact_columns(),
            column("go_live_date", "date"),
            label_column("connection_status"),
            label_column("format"),
        ],
        rows=[
            [
                r["facility_name"],
                r["facility_code"],
                code_label("facility_type", r["facility_type"]),
                r["ward_name"],
                *contact_cells(r),
                r["go_live_date"],
                label("connection.live_silent" if r["is_live"] else "connection.not_live"),
                code_label("format", r["format"]),
            ]
            for r in never
        ],
        row_ids=[r["facility_code"] for r in never],
        sheet=label("sheet.not_connected"),
        sortable=True,
    )
    blocks: list = [table] if laggards else [Note(label("note.no_laggards"))]
    blocks.append(not_connected)
    if laggards:
        blocks.append(_by_ward(laggards))
    return Section("laggards", label("section.laggards"), label("intro.laggards"), blocks)
