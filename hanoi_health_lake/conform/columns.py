"""Typed Polars columns from the Python values parsers hand over.

Values of the expected Python type go straight in (the fast path, checked per column); anything
else is converted when that is unambiguous (an int for a float, an aware time to local time, a
`;`-joined string for a list) and otherwise dropped with a `conformance.value_type` error on the
row, so nothing is silently coerced to null. A number its column cannot hold (beyond the range
of the silver column it feeds, or not finite) is dropped the same way with
`conformance.out_of_range`, so one absurd value quarantines its record instead of failing the day.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pyarrow as pa

from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.records import RecordError

VALUE_TYPE_RULE = "conformance.value_type"
OUT_OF_RANGE_RULE = "conformance.out_of_range"
DATETIME = pl.Datetime("us")  # naive, local time (records.py)
_LOCAL_ZONE = ZoneInfo(TIMEZONE)

Problems = dict[int, list[RecordError]]  # row → values dropped for their type
Limits = tuple[int, int] | tuple[float, float]  # the smallest and largest value a column holds
INT64_LIMITS = (-(2**63), 2**63 - 1)


_SCALAR_TYPES: dict[pl.DataType, tuple[type, ...]] = {
    pl.Utf8(): (str,),
    pl.Int64(): (int,),
    pl.Float64(): (float, int),
    pl.Date(): (date,),
    DATETIME: (datetime,),
}


def typed_column(
    name: str,
    dtype: pl.DataType,
    values: list[Any],
    problems: Problems,
    limits: Limits | None = None,
) -> pl.Series:
    """`values` as a column of `dtype`; a number outside `limits` (default: what `dtype` holds;
    a float must also be finite) is dropped with `conformance.out_of_range` on its row."""
    if isinstance(dtype, pl.List):
        return _list_column(name, dtype, values, problems)
    if not _well_typed(values, _SCALAR_TYPES[dtype]):
        values = [_coerce_or_flag(name, dtype, v, i, problems) for i, v in enumerate(values)]
    if dtype == pl.Int64:
        limits = limits or INT64_LIMITS
        try:
            series = pl.Series(name, values, dtype=dtype)
        except (TypeError, OverflowError):  # an int beyond 64 bits: found the slow way, once
            lo, hi = INT64_LIMITS
            beyond = [i for i, v in enumerate(values) if v is not None and not lo <= v <= hi]
            values = _drop_out_of_range(name, values, beyond, limits, problems)
            series = pl.Series(name, values, dtype=dtype)
    elif dtype == pl.Float64:
        series = pl.Series(name, values, dtype=dtype).fill_nan(None)
    else:
        return pl.Series(name, values, dtype=dtype)
    return _within(series, limits, problems)


def _within(series: pl.Series, limits: Limits | None, problems: Problems) -> pl.Series:
    """`series` with values outside `limits` (and infinities) dropped and flagged."""
    if series.dtype == pl.Float64:
        outside = series.is_infinite()
    else:
        outside = pl.repeat(False, len(series), eager=True)
    if limits is not None:
        outside = outside | (series < limits[0]) | (series > limits[1])
    rows = outside.fill_null(False).arg_true().to_list()
    if not rows:
        return series
    values = _drop_out_of_range(series.name, series.to_list(), rows, limits, problems)
    return pl.Series(series.name, values, dtype=series.dtype)


def _drop_out_of_range(
    name: str, values: list[Any], rows: list[int], limits: Limits | None, problems: Problems
) -> list[Any]:
    values = list(values)
    held = f"{limits[0]}..{limits[1]}" if limits else "finite numbers"
    for row in rows:
        message = f"{name}: {values[row]!r} is out of range for its column ({held}); dropped"
        problems.setdefault(row, []).append(RecordError(OUT_OF_RANGE_RULE, name, message))
        values[row] = None
    return values


def _well_typed(values: list[Any], allowed: tuple[type, ...]) -> bool:
    # Exact types: bool is not an int and datetime is not a date here; aware times need converting.
    seen = set(map(type, values)) - {type(None)}
    if not seen <= set(allowed):
        return False
    return datetime not in seen or all(v.tzinfo is None for v in values if v is not None)


def _list_column(name: str, dtype: pl.List, values: list[Any], problems: Problems) -> pl.Series:
    inner = dtype.inner
    lists = [_as_list(value) for value in values]
    flat = list(chain.from_iterable(lists))
    if not _well_typed(flat, _SCALAR_TYPES[inner]):
        lists = [
            [_coerce_or_flag(name, inner, v, i, problems) for v in items]
            for i, items in enumerate(lists)
        ]
        flat = list(chain.from_iterable(lists))
    series = nest(name, list(map(len, lists)), pl.Series(flat, dtype=inner).to_arrow())
    element = pl.element().str.strip_chars() if inner == pl.Utf8 else pl.element()
    return (
        series.cast(dtype)
        .list.eval(element.filter(element.is_not_null() & (element.cast(pl.Utf8) != "")))
        .rename(name)
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        return value.split(";")
    return [value]


def nest(name: str, lengths: list[int], flat: pa.Array) -> pl.Series:
    # From a flat array and offsets: far faster than letting Polars walk nested Python lists.
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pl.Series(name, pa.LargeListArray.from_arrays(pa.array(offsets), flat))


def _coerce_or_flag(
    name: str,
    dtype: pl.DataType,
    value: Any,
    row: int,
    problems: Problems,
) -> Any:
    if value is None:
        return None
    try:
        return _coerce(dtype, value)
    except (TypeError, ValueError):
        message = f"{name}: {value!r} is not a {dtype} value; dropped"
        problems.setdefault(row, []).append(RecordError(VALUE_TYPE_RULE, name, message))
        return None


def _coerce(dtype: pl.DataType, value: Any) -> Any:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a field value")
    if dtype == pl.Utf8:
        if isinstance(value, str | int):
            return str(value)
    elif dtype == pl.Int64:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int | str):
            return int(value)
    elif dtype == pl.Float64:
        if isinstance(value, int | float | str):
            return float(value)
    elif dtype == pl.Date:
        if isinstance(value, datetime):
            return _local(value).date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            return date.fromisoformat(value)
    elif dtype == DATETIME:
        if isinstance(value, datetime):
            return _local(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        if isinstance(value, str):
            return _local(datetime.fromisoformat(value))
    raise TypeError(f"cannot read {type(value).__name__} as {dtype}")


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(_LOCAL_ZONE).replace(tzinfo=None)
