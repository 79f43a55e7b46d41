"""Typed Polars columns from the Python values parsers hand over.

Values of the expected Python type go straight in (the fast path, checked per column); anything
else is converted when that is unambiguous (an int for a float, an aware time to local time, a
`;`-joined string for a list) and otherwise dropped with a `conformance.value_type` error on the
row, so nothing is silently coerced to null.
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
DATETIME = pl.Datetime("us")  # naive, local time (records.py)
_LOCAL_ZONE = ZoneInfo(TIMEZONE)

Problems = dict[int, list[RecordError]]  # row → values dropped for their type


_SCALAR_TYPES: dict[pl.DataType, tuple[type, ...]] = {
    pl.Utf8(): (str,),
    pl.Int64(): (int,),
    pl.Float64(): (float, int),
    pl.Date(): (date,),
    DATETIME: (datetime,),
}


def typed_column(name: str, dtype: pl.DataType, values: list[Any], problems: Problems) -> pl.Series:
    if isinstance(dtype, pl.List):
        return _list_column(name, dtype, values, problems)
    if not _well_typed(values, _SCALAR_TYPES[dtype]):
        values = [_coerce_or_flag(name, dtype, v, i, problems) for i, v in enumerate(values)]
    series = pl.Series(name, values, dtype=dtype)
    return series.fill_nan(None) if dtype == pl.Float64 else series


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
