"""The headline of the coverage report: facilities expected, connected, on time, complete and
valid, for the city, each facility type and each ownership, against the phase targets.

Counts are the daily coverage roll-up mart's summed over the period's days (for a one-day
report, the mart's own row), so the page agrees with `mart_coverage_rollup_daily`."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from hanoi_health_lake.reports import charts
from hanoi_health_lake.reports.common import (
    OWNERSHIPS,
    SHARES,
    basis,
    both,
    by_key,
    column,
    group_label,
    label_column,
    rows,
    type_order,
)
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Card, Chart, Note, Section, Table, Text
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.phases import phase_cards, phase_tables
from hanoi_health_lake.reports.source import ReportSource


def _status(value: float | None, target: float | None) -> str:
    if value is None or target is None:
        return "none"
    if value >= target:
        return "good"
    return "warn" if value >= target - 0.1 else "bad"


def phase_targets(src: ReportSource) -> dict[str, dict]:
    """requirement → its phase target (phase, names, deadline, min share)."""
    return {t["requirement"]: t for t in rows(src.frame("targets"))}


def _target_text(target: dict | None, share: float) -> Text | None:
    if target is None:
        return None
    return label(
        "card.target",
        share=both(share, "share"),
        phase=str(target["phase"]),
        deadline=both(target["deadline"], "date"),
    )


def _headline_groups(src: ReportSource, period: Period) -> list[tuple[str, str, dict]]:
    """(dimension, group, figures) for the city, each facility type and each ownership."""
    params = {"start": period.start, "end": period.end}
    coverage = by_key(
        src.frame("coverage_period", **params).filter(pl.col("dataset") == "all"),
        "dimension",
        "group_value",
    )
    facilities = by_key(src.frame("coverage_facilities", **params), "dimension", "group_value")
    registry = by_key(src.frame("registry_counts", end=period.end), "dimension", "group_value")
    keys = set(coverage) | set(registry)
    types = type_order(v for d, v in keys if d == "facility_type")
    owners = [o for o in OWNERSHIPS if ("ownership", o) in keys]
    owners += sorted(v for d, v in keys if d == "ownership" and v not in OWNERSHIPS)
    ordered = [("city", "hanoi")]
    ordered += [("facility_type", t) for t in types] + [("ownership", o) for o in owners]
    groups = []
    for key in ordered:
        figures = {**registry.get(key, {}), **facilities.get(key, {}), **coverage.get(key, {})}
        groups.append((key[0], key[1], figures))
    return groups


HEADLINE_COLUMNS = [
    ("registered", "int"),
    ("facilities_expected", "int"),
    ("expected", "int"),
    ("connected", "int"),
    ("connected_share", "share"),
    ("on_time", "int"),
    ("on_time_share", "share"),
    ("complete", "int"),
    ("complete_share", "share"),
    ("valid_share", "share"),
    ("lag_p50_hours", "hours"),
]


def headline_table(groups: list[tuple[str, str, dict]]) -> Table:
    columns = [label_column("group")]
    columns += [column(name, kind) for name, kind in HEADLINE_COLUMNS]
    return Table(
        id="headline",
        title=label("table.headline"),
        columns=columns,
        rows=[
            [group_label(d, v)] + [f.get(name) for name, _ in HEADLINE_COLUMNS]
            for d, v, f in groups
        ],
        row_ids=[f"{d}:{v}" for d, v, _ in groups],
        sheet=label("sheet.headline"),
        note=label("note.headline"),
    )


def _complete_card(city: dict, history_weeks: int | None) -> Card:
    """Completeness needs history: with none judged yet the card says so, not "0 % (0/n)"."""
    if not city.get("completeness_judged"):
        return Card(
            "headline.complete_share",
            label("card.complete"),
            None,
            "share",
            detail=label(
                "card.no_history",
                weeks=str(history_weeks or "?"),
                n=both(city.get("completeness_insufficient"), "int"),
            ),
        )
    return Card(
        "headline.complete_share",
        label("card.complete"),
        city.get("complete_share"),
        "share",
        detail=label(
            "card.n_of",
            n=both(city.get("complete"), "int"),
            of=both(city.get("completeness_judged"), "int"),
        ),
    )


def headline_cards(
    city: dict, targets: dict[str, dict], history_weeks: int | None = None
) -> list[Card]:
    def n_of(a: str, b: str) -> Text:
        return label("card.n_of", n=both(city.get(a), "int"), of=both(city.get(b), "int"))

    connected, on_time = targets.get("connected"), targets.get("on_time")
    on_time_target = on_time["min_share"] if on_time and on_time["min_share"] else None
    cards = [
        Card(
            "headline.registered",
            label("card.registered"),
            city.get("registered"),
            "int",
            detail=label("card.live", n=both(city.get("live"), "int")),
        ),
        Card(
            "headline.facilities_expected",
            label("card.facilities_expected"),
            city.get("facilities_expected"),
            "int",
            detail=label("card.datasets_expected", n=both(city.get("expected"), "int")),
        ),
        Card(
            "headline.connected_share",
            label("card.connected"),
            city.get("connected_share"),
            "share",
            detail=n_of("connected", "expected"),
            target=_target_text(connected, 1.0),
            status=_status(city.get("connected_share"), 1.0 if connected else None),
        ),
        Card(
            "headline.on_time_share",
            label("card.on_time"),
            city.get("on_time_share"),
            "share",
            detail=n_of("on_time", "expected"),
            target=_target_text(on_time, on_time_target) if on_time_target else None,
            status=_status(city.get("on_time_share"), on_time_target),
        ),
        _complete_card(city, history_weeks),
        Card(
            "headline.valid_share",
            label("card.valid"),
            city.get("valid_share"),
            "share",
            detail=n_of("valid", "delivered"),
        ),
    ]
    return cards


def days_without_data(src: ReportSource, period: Period) -> Note | None:
    """A week's days the warehouse has no coverage for, named: their figures are absent, not 0."""
    found = src.con.sql(
        "select distinct service_date from mart_coverage_rollup_daily "
        "where service_date between ? and ?",
        params=[period.start, period.end],
    ).fetchall()
    present = {d for (d,) in found}
    missing = [
        period.start + timedelta(days=k)
        for k in range(period.days)
        if period.start + timedelta(days=k) not in present
    ]
    if not missing:
        return None
    days = ", ".join(d.strftime("%d/%m/%Y") for d in missing)
    return Note(label("note.days_without_data", days=days, n=str(len(missing))), "warn")


def headline_section(src: ReportSource, period: Period, targets: dict[str, dict]) -> Section:
    groups = _headline_groups(src, period)
    city = groups[0][2]
    typed = [(d, v, f) for d, v, f in groups if d == "facility_type" and f.get("expected")]
    on_time = targets.get("on_time")
    # First the plan's question (facilities connected per phase), then the period's datasets.
    weeks = src.scalar("select band_min_weeks from int_settings")
    blocks: list = [
        phase_cards(src),
        headline_cards(city, targets, weeks),  # type: ignore[arg-type]
        headline_table(groups),
    ]
    gap = days_without_data(src, period)
    if gap is not None:
        blocks.insert(1, gap)
    if typed:
        blocks.append(
            Chart(
                "shares_by_type",
                label("chart.shares_by_type"),
                charts.in_both(
                    charts.grouped_shares,
                    [code_label("facility_type", v) for _, v, _ in typed],
                    {m: [f.get(m) for _, _, f in typed] for m in SHARES[:3]},
                    charts.METRIC_COLOURS,
                    "metric",
                    on_time["min_share"] if on_time else None,
                    True,
                ),
                basis(src, period.start, period.end),
                height=80 + 60 * len(typed),
            )
        )
    blocks += phase_tables(src, period, groups)
    return Section("headline", label("section.headline"), label("intro.headline"), blocks)
