"""Which Delta version of each lake day the warehouse holds a copy of, and so what a refresh of
that day must copy again: nothing (the table did not move), the facilities whose rows the
commits since replaced (lake/changed_slices.py: an arrival batch's), or the whole day.

An arrival batch refreshes the marts of its days (realtime/marts_refresh.py), and copying a city
day's rows into the warehouse cost 4 of the 7 CPU-s of a refresh (2026-12-05), whatever the
batch brought; by facility it follows what the batch changed. The record lives in the build file
(`hhl_copies.copied_days`), beside the copies it describes, and changes in the transaction that
copies: a copy and its record never disagree. A day copied while its ingest was incomplete
(shown empty to the marts, lake.completion) is not recorded, so its next copy is whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from hanoi_health_lake.lake.changed_slices import changed_facilities
from hanoi_health_lake.sqlmodels.sources import SourceOrigin

TABLE = "hhl_copies.copied_days"


@dataclass
class CopyPlan:
    whole: list[date] = field(default_factory=list)  # days copied whole
    facilities: dict[date, frozenset[str]] = field(default_factory=dict)  # day → whose rows

    @property
    def nothing(self) -> bool:
        return not self.whole and not self.facilities


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists hhl_copies")
    con.execute(
        f"create table if not exists {TABLE} "
        "(source varchar, service_date date, table_id varchar, delta_version bigint)"
    )


def plan(
    con: duckdb.DuckDBPyConnection,
    source: str,
    days: list[date],
    origin: SourceOrigin | None,
    by_facility: bool,
) -> CopyPlan:
    """What to copy of `days` of `source`, read at `origin` (None: not from a Delta table, copy
    every day whole); days whose copy is current are left out."""
    copy = CopyPlan()
    held = _recorded(con, source, origin.table_id) if origin is not None else {}
    for day in days:
        since = held.get(day)
        if origin is None or since is None or since > origin.version or not _shown(origin, day):
            copy.whole.append(day)
            continue
        changed = (
            changed_facilities(origin.root, since, origin.version, day)
            if by_facility and since < origin.version
            else (frozenset() if since == origin.version else None)
        )
        if changed is None:
            copy.whole.append(day)
        elif changed:
            copy.facilities[day] = changed
    return copy


def current(
    con: duckdb.DuckDBPyConnection, source: str, days: list[date], origin: SourceOrigin
) -> bool:
    """Whether every one of `days` is held as the source shows it at `origin` (the log since
    is not read: a table that moved is read as a dataset anyway)."""
    return plan(con, source, days, origin, by_facility=False).nothing


def record(
    con: duckdb.DuckDBPyConnection, source: str, days: list[date], origin: SourceOrigin | None
) -> None:
    """After copying `days` of `source` from `origin`: the version each day now holds."""
    con.execute(
        f"delete from {TABLE} where source = ? and list_contains(?, service_date)", [source, days]
    )
    if origin is None:
        return
    shown = [(source, d, origin.table_id, origin.version) for d in days if _shown(origin, d)]
    if shown:
        con.executemany(f"insert into {TABLE} values (?, ?, ?, ?)", shown)


def forget(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """The source was copied otherwise than by day: no day's version is known."""
    con.execute(f"delete from {TABLE} where source = ?", [source])


def _recorded(con: duckdb.DuckDBPyConnection, source: str, table_id: str) -> dict[date, int]:
    """Versions recorded of this very table: one deleted and written again starts over."""
    rows = con.execute(
        f"select service_date, delta_version from {TABLE} where source = ? and table_id = ?",
        [source, table_id],
    ).fetchall()
    return dict(rows)


def _shown(origin: SourceOrigin, day: date) -> bool:
    return origin.days is None or day in origin.days


def day_copies(
    con: duckdb.DuckDBPyConnection, first: date | None = None, last: date | None = None
) -> dict[str, pl.DataFrame]:
    """The rows of every `lake.*` table split by day (those from `first` to `last`), in one
    order: to compare two warehouses' copies (a benchmark's, a test's)."""
    names = [row[0] for row in con.execute(
        "select table_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'lake' and column_name = 'service_date' order by 1"
    ).fetchall()]  # fmt: skip
    within = "" if first is None else "where service_date between ? and ?"
    bounds = [] if first is None else [first, last or first]
    query = "select * from lake.{} " + within + " order by all"
    return {
        name: pl.from_arrow(con.sql(query.format(name), params=bounds).to_arrow_table())
        for name in names
    }
