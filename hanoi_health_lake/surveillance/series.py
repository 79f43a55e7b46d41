"""A count series ready for aberration detection: checked counts and, if dated, its step.

Detection methods index points by position, so a dated series must be regular (one point per day
or per week, no gaps): a missing day would silently shift every baseline. The step matters only
to Farrington's reference points, which are found by calendar ("the same week a year ago").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

Step = Literal["day", "week"]
_STEPS: dict[int, Step] = {1: "day", 7: "week"}


class SeriesError(ValueError):
    """The input cannot be read as a regular, non-negative count series."""


@dataclass(frozen=True)
class Series:
    counts: np.ndarray  # float64, finite, >= 0
    dates: tuple[dt.date, ...] | None = None
    step: Step | None = None  # None when undated or a single point

    def __len__(self) -> int:
        return len(self.counts)


def infer_step(dates: Sequence[dt.date]) -> Step | None:
    """'day' or 'week' from strictly regular dates; None for fewer than two points."""
    if len(dates) < 2:
        return None
    first = (dates[1] - dates[0]).days
    for a, b in pairwise(dates):
        gap = (b - a).days
        if gap == 0:
            raise SeriesError(f"duplicate date {a.isoformat()}")
        if gap < 0:
            raise SeriesError(f"dates are not sorted: {b.isoformat()} comes after {a.isoformat()}")
        if first not in _STEPS:
            raise SeriesError(
                f"dates must be consecutive days or weeks; {a.isoformat()} to {b.isoformat()} "
                f"is {gap} days"
            )
        if gap != first:
            raise SeriesError(
                f"the series steps by {first} day(s) but {a.isoformat()} to {b.isoformat()} is "
                f"{gap} days: fill missing {_STEPS[first]}s with 0 counts"
            )
    return _STEPS[first]


def make_series(dates: Sequence[dt.date | str] | None, counts: Sequence[float]) -> Series:
    """Check counts (finite, >= 0) and dates (ISO dates, sorted, regular) and pair them."""
    values = np.asarray([_count(c, i) for i, c in enumerate(counts)], dtype=float)
    if dates is None:
        return Series(values)
    parsed = tuple(parse_date(d, f"point {i + 1}: ") for i, d in enumerate(dates))
    if len(parsed) != len(values):
        raise SeriesError(f"{len(parsed)} dates but {len(values)} counts")
    return Series(values, parsed, infer_step(parsed))


def read_series_csv(path: str | Path, date_column: str | None, count_column: str) -> Series:
    """Read a CSV series; `date_column=None` means undated (points in file order)."""
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SeriesError(f"cannot read {path}: {exc}") from exc
    for column in (count_column, date_column):
        if column is not None and column not in frame.columns:
            raise SeriesError(
                f"{path} has no column {column!r}; columns: {', '.join(frame.columns)}"
            )
    dates = frame[date_column].to_list() if date_column else None
    return make_series(dates, frame[count_column].to_list())


def _count(value: object, row: int) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SeriesError(f"point {row + 1}: count {value!r} is not a number") from None
    if not math.isfinite(number):
        raise SeriesError(f"point {row + 1}: count {value!r} is not a finite number")
    if number < 0:
        raise SeriesError(f"point {row + 1}: count {value!r} is negative")
    return number


def parse_date(value: object, where: str = "") -> dt.date:
    """A date, datetime or YYYY-MM-DD text as a date; `where` prefixes the error message."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SeriesError(f"{where}{value!r} is not a YYYY-MM-DD date") from None
