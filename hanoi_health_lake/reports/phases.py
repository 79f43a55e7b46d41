"""The city plan's phases: how many facilities meet each phase's target, overall and per
facility type and ownership (mart_phase_status, as of its own latest day), and the first
screen's answer to "how many of our facilities are connected, against each phase": one card per
phase, facilities connected out of those the registry puts in the phase, with days left or
overdue.

A facility whose own go-live date is still ahead is "not due" (int_facility_due, the rule
coverage uses too), never "overdue", whatever the phase deadline."""

from __future__ import annotations

import polars as pl

from hanoi_health_lake.reports.common import both, column, group_label, label_column, rows
from hanoi_health_lake.reports.labels import label
from hanoi_health_lake.reports.model import Card, Note, Table, Text
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource


def phase_summary(status: pl.DataFrame) -> pl.DataFrame:
    """One row per phase: facilities in scope, connected, and how many of them meet, met late,
    are overdue, pending or not due yet."""
    return (
        status.group_by("phase", maintain_order=True)
        .agg(
            pl.first("phase_name_vi", "phase_name_en", "deadline", "requirement", "min_share"),
            pl.first("max_lag_hours"),
            pl.len().alias("in_scope"),
            (pl.col("status") == "met").sum().alias("met"),
            (pl.col("status") == "met_late").sum().alias("met_late"),
            (pl.col("status") == "overdue").sum().alias("overdue"),
            (pl.col("status") == "pending").sum().alias("pending"),
            (pl.col("status") == "not_due").sum().alias("not_due"),
            pl.col("connected_date").is_not_null().sum().alias("connected"),
            pl.first("days_to_deadline"),
        )
        .sort("phase")
    )


def phase_cards(src: ReportSource) -> list[Card] | Note:
    """The first screen: per phase, facilities connected out of those in the registry the phase
    covers, the deadline and the days left (or overdue)."""
    status = src.frame("phase_status")
    if status.is_empty():
        return Note(label("note.no_phase_status"), "warn")
    cards = []
    for p in rows(phase_summary(status)):
        met = p["met"] + p["met_late"]
        days = p["days_to_deadline"]
        if days >= 0:
            when = label("card.phase_days_left", n=both(days, "int"))
        else:
            when = label("card.phase_overdue", n=both(-days, "int"))
        done = p["connected"] == p["in_scope"] and met == p["in_scope"]
        cards.append(
            Card(
                f"headline.phase{p['phase']}.connected",
                label(
                    "card.phase_title",
                    phase=str(p["phase"]),
                    goal=Text(p["phase_name_vi"], p["phase_name_en"]),
                ),
                p["connected"],
                "int",
                detail=label(
                    "card.phase_connected",
                    n=both(p["connected"], "int"),
                    of=both(p["in_scope"], "int"),
                    met=both(met, "int"),
                    not_due=both(p["not_due"], "int"),
                ),
                target=label(
                    "card.phase_deadline", deadline=both(p["deadline"], "date"), when=when
                ),
                status="good" if done else "bad" if days < 0 else "warn",
                of=p["in_scope"],
            )
        )
    return cards


def phase_tables(src: ReportSource, period: Period, groups: list) -> list:
    status = src.frame("phase_status")
    if status.is_empty():
        return [Note(label("note.no_phase_status"), "warn")]
    as_of = status["as_of_date"][0]
    by_phase = phase_summary(status)
    phase_rows = []
    for p in rows(by_phase):
        met = p["met"] + p["met_late"]
        phase_rows.append(
            [
                p["phase"],
                Text(p["phase_name_vi"], p["phase_name_en"]),
                p["deadline"],
                _requirement(p),
                p["in_scope"],
                met,
                met / p["in_scope"] if p["in_scope"] else None,
                p["met_late"],
                p["overdue"],
                p["pending"],
                p["not_due"],
                p["days_to_deadline"],
            ]
        )
    phases = Table(
        id="phases",
        title=label("table.phases", as_of=both(as_of, "date")),
        columns=[
            column("phase"),
            label_column("phase_name", wrap=True),
            column("deadline", "date"),
            label_column("requirement", wrap=True),
            column("in_scope"),
            column("met"),
            column("met_share", "share"),
            column("met_late"),
            column("overdue"),
            column("pending"),
            column("not_due"),
            column("days_to_deadline"),
        ],
        rows=phase_rows,
        row_ids=[f"phase:{p['phase']}" for p in rows(by_phase)],
        sheet=label("sheet.phases"),
    )
    blocks: list = [phases]
    if as_of != period.end:
        blocks.append(Note(label("note.phase_as_of", as_of=both(as_of, "date")), "warn"))
    blocks.append(_phase_by_group(status, groups))
    return blocks


def _requirement(p: dict) -> Text:
    text = label(f"requirement.{p['requirement']}")
    if p["min_share"] is None:
        return text
    detail = label("requirement.share", share=both(p["min_share"], "share"))
    if p["max_lag_hours"]:
        lag = label("requirement.lag", hours=both(p["max_lag_hours"], "hours"))
        detail = Text(f"{detail.vi}, {lag.vi}", f"{detail.en}, {lag.en}")
    return Text(f"{text.vi} ({detail.vi})", f"{text.en} ({detail.en})")


def _phase_by_group(status: pl.DataFrame, groups: list) -> Table:
    phases = sorted(status["phase"].unique().to_list())
    columns = [label_column("group")]
    for p in phases:
        columns += [
            column(f"p{p}_in_scope", key="phase_in_scope", phase=p),
            column(f"p{p}_met", key="phase_met", phase=p),
            column(f"p{p}_met_share", "share", key="phase_met_share", phase=p),
        ]
    met = pl.col("status").is_in(["met", "met_late"])
    table_rows, ids = [], []
    for dimension, value, _ in groups:
        subset = status if dimension == "city" else status.filter(pl.col(dimension) == value)
        row: list = [group_label(dimension, value)]
        for p in phases:
            in_phase = subset.filter(pl.col("phase") == p)
            n, ok = in_phase.height, in_phase.filter(met).height
            row += [n, ok, ok / n if n else None]
        table_rows.append(row)
        ids.append(f"{dimension}:{value}")
    return Table(
        id="phase_by_group",
        title=label("table.phase_by_group"),
        columns=columns,
        rows=table_rows,
        row_ids=ids,
        sheet=label("sheet.phase_by_group"),
    )
