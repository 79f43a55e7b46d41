"""Cross-field and lookup checks, computed as helper columns before Great Expectations runs.

Each check returns a Boolean column: True passes, False fails, null means the rule does not
apply to the row (its inputs are absent; completeness rules cover that). The GX suite then
expects the helper column to be True wherever it is not null, so the counts are GX results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from hanoi_health_lake.conform import person
from hanoi_health_lake.contracts.context import ValidationContext
from hanoi_health_lake.reference import icd10


@dataclass(frozen=True)
class DerivedInput:
    dataset: str
    columns: tuple[str, ...]
    ctx: ValidationContext | None
    params: Mapping[str, Any] = field(default_factory=dict)


# A derived check is an expression over the frame (the frame gives what it needs to know of the
# values first, e.g. which codes occur): `add_helpers` evaluates them all in one pass.
DerivedCheck = Callable[[pl.DataFrame, DerivedInput], pl.Expr]


def citizen_id_consistent(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    """CCCD digit 4 encodes sex and century, digits 5–6 the birth year (STANDARDS.md §2)."""
    cid = pl.col("citizen_id")
    year = person.birth_year()
    digit = cid.str.slice(3, 1).cast(pl.Int64, strict=False)
    century = year // 100 - 19
    sex = pl.col("sex")
    sex_century_ok = (
        pl.when(sex == "male")
        .then(digit == century * 2)
        .when(sex == "female")
        .then(digit == century * 2 + 1)
        .otherwise(digit // 2 == century)  # other / unknown sex: only the century is checked
    )
    year_ok = cid.str.slice(4, 2).cast(pl.Int64, strict=False) == year % 100
    applies = cid.str.contains(r"^\d{12}$") & year.is_not_null()
    return pl.when(applies).then(sex_century_ok & year_ok)


def birth_before_visit(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    """Birth date on or before the visit day; the birth year alone when day/month are unknown."""
    visit = person.visit_date(spec.dataset)
    born = pl.col("birth_date")
    return (
        pl.when(born.is_not_null())
        .then(born <= visit)
        .otherwise(pl.col("birth_year") <= visit.dt.year())
    )


def age_in_range(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    age = person.age_years(person.visit_date(spec.dataset))
    return age.is_between(spec.params["min"], spec.params["max"])


def not_before(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    """Each listed time is on or after the one before it, where both are present.

    A date is compared with a time by its day (an appointment issued on the day it is set for).
    """
    pairs = []
    for earlier, later in zip(spec.columns, spec.columns[1:], strict=False):
        a, b = pl.col(earlier), pl.col(later)
        if frame.schema[earlier] != frame.schema[later]:
            a, b = a.cast(pl.Date), b.cast(pl.Date)
        pairs.append(b >= a)
    return _all_present(pairs)


def _all_known(
    frame: pl.DataFrame, columns: tuple[str, ...], known: Callable[[str], bool]
) -> pl.Expr:
    """Every non-null value (list elements included) satisfies `known`; null when none present."""
    values: set[str] = set()
    for name in columns:
        column = frame[name]
        if isinstance(column.dtype, pl.List):
            column = column.explode()
        values |= set(column.drop_nulls().to_list())
    verdict = {value: known(value) for value in values}

    def check(expr: pl.Expr) -> pl.Expr:
        return expr.replace_strict(verdict, default=None, return_dtype=pl.Boolean)

    parts = []
    for name in columns:
        if isinstance(frame.schema[name], pl.List):
            items = pl.col(name).list.eval(check(pl.element()))
            parts.append(pl.when(items.list.len() > 0).then(items.list.all()))
        else:
            parts.append(check(pl.col(name)))
    return _all_present(parts)


def _all_present(verdicts: list[pl.Expr]) -> pl.Expr:
    """All verdicts that apply pass; a null verdict (absent input) does not decide the row."""
    applies = pl.any_horizontal(v.is_not_null() for v in verdicts)
    passes = pl.all_horizontal(v.fill_null(True) for v in verdicts)
    return pl.when(applies).then(passes)


def icd10_known(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    return _all_known(frame, spec.columns, icd10.is_accepted)


def in_registry(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    codes = spec.ctx.registry_codes
    return _all_known(frame, spec.columns, codes.__contains__)


def in_wards(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    wards = spec.ctx.ward_codes
    return _all_known(frame, spec.columns, wards.__contains__)


def same_value(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    first, second = spec.columns
    return pl.col(first) == pl.col(second)


def amount_consistent(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    """amount ≈ quantity × unit price, within a rounding tolerance."""
    amount, quantity, price = (pl.col(name) for name in spec.columns)
    tolerance = pl.max_horizontal(
        pl.lit(spec.params.get("abs_tolerance", 1.0)),
        amount.abs() * spec.params.get("rel_tolerance", 0.005),
    )
    return (amount - quantity * price).abs() <= tolerance


def one_primary(frame: pl.DataFrame, spec: DerivedInput) -> pl.Expr:
    """Exactly one primary diagnosis per encounter (silver diagnoses)."""
    group = list(spec.columns)
    return pl.col("is_primary").cast(pl.Int32).sum().over(group) == 1


DERIVED: dict[str, DerivedCheck] = {
    "citizen_id_consistent": citizen_id_consistent,
    "birth_before_visit": birth_before_visit,
    "age_in_range": age_in_range,
    "not_before": not_before,
    "icd10_known": icd10_known,
    "in_registry": in_registry,
    "in_wards": in_wards,
    "same_value": same_value,
    "amount_consistent": amount_consistent,
    "one_primary": one_primary,
}
