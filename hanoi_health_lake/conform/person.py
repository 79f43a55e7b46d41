"""Person facts derived the same way for the contracts and for silver: visit day and age."""

from __future__ import annotations

import polars as pl

# The time a record's person is "seen": age in silver and the birth-before-visit rule use it.
VISIT_FIELDS: dict[str, tuple[str, ...]] = {
    "encounters": ("admitted_at",),
    "prescriptions": ("ordered_at",),
    "referrals": ("admitted_at", "discharged_at"),
    "appointments": ("admitted_at", "issued_date"),
    "imaging_studies": ("study_at",),
    "services": ("ordered_at", "result_at"),
    "lab_results": ("result_at",),
    "checkins": ("admitted_at",),
}


def visit_date(dataset: str) -> pl.Expr:
    return pl.coalesce([pl.col(name).cast(pl.Date) for name in VISIT_FIELDS[dataset]])


def birth_year() -> pl.Expr:
    """QĐ 130 may leave day and month unknown; the year stands alone then."""
    return pl.coalesce(pl.col("birth_year"), pl.col("birth_date").dt.year().cast(pl.Int64))


def age_years(visit: pl.Expr) -> pl.Expr:
    """Completed years at `visit`; from the birth year alone when the birth date is absent."""
    born = pl.col("birth_date")
    not_yet = (visit.dt.month().cast(pl.Int32) * 100 + visit.dt.day()) < (
        born.dt.month().cast(pl.Int32) * 100 + born.dt.day()
    )
    exact = visit.dt.year() - born.dt.year() - not_yet.cast(pl.Int32)
    by_year = visit.dt.year().cast(pl.Int64) - pl.col("birth_year")
    return pl.coalesce(exact.cast(pl.Int32), by_year.cast(pl.Int32))
