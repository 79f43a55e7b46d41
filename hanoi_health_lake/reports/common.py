"""Pieces both report pages use: ordering of facility types, reading query rows, the sentence
under each chart saying which days and what coverage it rests on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from hanoi_health_lake.reports.charts import TYPE_COLOURS
from hanoi_health_lake.reports.formatting import format_cell
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Column, Text
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

OWNERSHIPS = ("public_central", "public_city", "private")
SHARES = ("delivered_share", "on_time_share", "complete_share", "valid_share", "connected_share")


def column(id: str, kind: str = "int", key: str | None = None, **params: object) -> Column:
    """A column titled by its label `col.<key or id>`."""
    return Column(id, label(f"col.{key or id}", **params), kind)  # type: ignore[arg-type]


def label_column(id: str, wrap: bool = False) -> Column:
    """A column of translated values (types, datasets, statuses)."""
    return Column(id, label(f"col.{id}"), "label", wrap)


def group_label(dimension: str, value: str) -> Text:
    if dimension == "city":
        return label("group.city")
    return code_label(dimension, value)


def type_order(types: Iterable[str | None]) -> list[str]:
    """Facility types largest first (central hospitals … private clinics), unknown ones last."""
    known = list(TYPE_COLOURS)
    present = {t for t in types if t is not None}
    return [t for t in known if t in present] + sorted(present - set(known))


def rows(frame: pl.DataFrame) -> list[dict]:
    return frame.to_dicts()


def by_key(frame: pl.DataFrame, *keys: str) -> dict[tuple, dict]:
    return {tuple(r[k] for k in keys): r for r in frame.to_dicts()}


def both(value: object, kind: str) -> Text:
    """A value formatted for each language, to fill a sentence."""
    return Text(format_cell(value, kind, "vi"), format_cell(value, kind, "en"))  # type: ignore[arg-type]


def period_text(start: date, end: date) -> Text:
    if start == end:
        return label("period.day", day=both(start, "date"))
    return label("period.range", start=both(start, "date"), end=both(end, "date"))


def basis(
    src: ReportSource, start: date, end: date, dataset: str = "all", extra: Text | None = None
) -> Text:
    """`<days> · based on <share> of the expected <dataset> deliveries (delivered / expected)`."""
    found = src.frame("dataset_coverage", from_date=start, end=end).filter(
        pl.col("dataset") == dataset
    )
    days = period_text(start, end)
    if found.is_empty() or not found["expected"][0]:
        text = label("basis.no_coverage", days=days)
    else:
        row = found.row(0, named=True)
        text = label(
            "basis.coverage_all" if dataset == "all" else "basis.coverage",
            days=days,
            share=both(row["delivered_share"], "share"),
            delivered=both(row["delivered"], "int"),
            expected=both(row["expected"], "int"),
            dataset=code_label("dataset", dataset),
        )
    if extra is not None:
        text = Text(f"{text.vi} · {extra.vi}", f"{text.en} · {extra.en}")
    return text


def period_title(period: Period) -> Text:
    kind = label(f"period.kind.{period.kind}")
    return Text(
        f"{kind.vi}: {period_text(period.start, period.end).vi}",
        f"{kind.en}: {period_text(period.start, period.end).en}",
    )
