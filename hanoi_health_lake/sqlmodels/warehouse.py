"""The DuckDB warehouse: lake sources copied into schema `lake`, models built as tables in `main`.

Arrow objects registered on a connection vanish with it, so sources are *materialised* as tables
(`lake.<table>`), refreshed for the days a run touches. Anyone who opens the file afterwards —
an analyst read-only, the DuckDB CLI — can run every model file unchanged.

Partition bounds are DuckDB variables, set with bound parameters (`SET VARIABLE start_date = ?`)
and read in SQL as `getvariable('start_date')` / `getvariable('end_date')` (inclusive). In the CLI:

    SET VARIABLE start_date = DATE '2026-03-01';
    SET VARIABLE end_date = DATE '2026-03-01';
    .read dbt_like_sql/staging/stg_encounters.sql

An incremental model's new rows for the window land in a temp table first; rows outside the window
are an error (like a Delta predicate overwrite), then the window's old rows are deleted and the new
ones inserted in one transaction. Without bounds an incremental model is rebuilt for all dates.

DuckDB lets one process write a file at a time and refuses readers while it writes, so each call
opens the file, works and closes it, and writers queue on a lock file.
"""

from __future__ import annotations

import functools
import operator
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

from hanoi_health_lake.lake.catalog import FACILITY_COLUMN, PARTITION_COLUMN
from hanoi_health_lake.lake.locks import table_writer_lock
from hanoi_health_lake.sqlmodels import copied_days
from hanoi_health_lake.sqlmodels.comments import comment_model, comment_seed, comment_source
from hanoi_health_lake.sqlmodels.dependencies import MODEL_SCHEMA, SOURCE_SCHEMA
from hanoi_health_lake.sqlmodels.file_names import select_list
from hanoi_health_lake.sqlmodels.model import IDENTIFIER, SqlModel, SqlModelError
from hanoi_health_lake.sqlmodels.ordering import order_models
from hanoi_health_lake.sqlmodels.sources import SourceOrigin, without_excluded

# The file stays readable by DuckDB 1.4+ (the `duckdb-cli` wheel on PyPI, older Python clients).
STORAGE_COMPATIBILITY = "v1.4.0"
# The window a full rebuild uses: wide enough for any service date.
ALL_DATES = (date(1, 1, 1), date(9999, 12, 31))
_STAGED = "_hhl_new_rows"
_SOURCE_VIEW = "_hhl_source"


class Warehouse:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._session: duckdb.DuckDBPyConnection | None = None

    @classmethod
    @contextmanager
    def in_memory(cls) -> Iterator[Warehouse]:
        """A throwaway warehouse in memory, for a few models run without touching any file
        (an asset check that must judge exactly as a model does)."""
        warehouse = cls(Path(":memory:"))
        con = _quiet(duckdb.connect(":memory:"))
        warehouse._session = con
        try:
            yield warehouse
        finally:
            warehouse._session = None
            con.close()

    @contextmanager
    def session(self) -> Iterator[Warehouse]:
        """Keep one writing connection (and the lock) across several calls: opening and closing
        the file costs more than a small day's work. Calls inside the block share it."""
        if self._session is not None:
            yield self
            return
        with self._writer() as con:
            self._session = con
            try:
                yield self
            finally:
                self._session = None

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one piece of work; writers hold the warehouse lock meanwhile."""
        if self._session is not None:
            yield self._session
            return
        if read_only:
            con = _quiet(duckdb.connect(str(self.path), read_only=True))
            try:
                yield con
            finally:
                con.close()
            return
        with self._writer() as con:
            yield con

    @contextmanager
    def _writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with table_writer_lock(str(self.path)):
            con = _quiet(
                duckdb.connect(
                    str(self.path),
                    config={"storage_compatibility_version": STORAGE_COMPATIBILITY},
                )
            )
            try:
                yield con
            finally:
                con.close()

    def refresh_sources(
        self,
        source_tables: dict[str, pa.Table | ds.Dataset],
        dates: list[date] | None = None,
        origins: Mapping[str, SourceOrigin] | None = None,
    ) -> dict[str, int]:
        """Copy lake tables into `lake.<name>`; rows copied per table.

        With `dates`, a table with a `service_date` column has just those days replaced (in one
        transaction); other tables, a first copy, or a changed column set are copied whole.
        With the source's `origins` too (sources.open_lake_sources), a day is copied only as far
        as its Delta table changed since the version the warehouse holds (copied_days.py).
        A source's excluded columns (`SOURCE_EXCLUDED_COLUMNS`) are dropped whatever the caller
        passes.
        """
        copied: dict[str, int] = {}
        with self.connect() as con:
            con.execute(f"create schema if not exists {SOURCE_SCHEMA}")
            copied_days.ensure(con)
            for name, data in source_tables.items():
                if not IDENTIFIER.match(name):
                    raise ValueError(f"source name {name!r} must match {IDENTIFIER.pattern}")
                dataset = without_excluded(name, _as_dataset(data))
                origin = (origins or {}).get(name)
                copied[name] = _refresh_source(con, name, dataset, dates, origin)
        return copied

    def holds_copy(self, name: str, origin: SourceOrigin, dates: list[date] | None) -> bool:
        """Whether `lake.<name>` holds `dates` of the source as they are at `origin`."""
        if dates is None:
            return False
        with self.connect() as con:
            copied_days.ensure(con)
            exists = bool(_columns(con, SOURCE_SCHEMA, name))
            return exists and copied_days.current(con, name, dates, origin)

    def load_seeds(self, seeds: dict[str, Path]) -> dict[str, int]:
        """Load seed CSV files as tables `main.<name>`, every column text; rows per seed.

        Text keeps a seed's meaning in the SQL that casts it, not in a type sniffer's guess.
        """
        loaded: dict[str, int] = {}
        with self.connect() as con:
            for name, path in seeds.items():
                if not IDENTIFIER.match(name):
                    raise ValueError(f"seed name {name!r} must match {IDENTIFIER.pattern}")
                table = pl.read_csv(path, infer_schema=False, encoding="utf8").to_arrow()
                con.register(_SOURCE_VIEW, table)
                try:
                    con.execute(
                        f'create or replace table {MODEL_SCHEMA}."{name}" as '
                        f"select * from {_SOURCE_VIEW}"
                    )
                finally:
                    con.unregister(_SOURCE_VIEW)
                comment_seed(con, name)
                loaded[name] = table.num_rows
        return loaded

    def run_model(
        self, model: SqlModel, start_date: date | None = None, end_date: date | None = None
    ) -> dict:
        """Build one model; bounds apply to incremental models (end defaults to start)."""
        with self.connect() as con:
            return _run(con, model, start_date, end_date)

    def run_all(
        self,
        models: Sequence[SqlModel],
        start_date: date | None = None,
        end_date: date | None = None,
    ) -> dict[str, dict]:
        """Build `models` in dependency order; results by model name, in build order."""
        results: dict[str, dict] = {}
        with self.connect() as con:
            for model in order_models(models):
                results[model.name] = _run(con, model, start_date, end_date)
        return results

    def table_stats(self, name: str) -> tuple[int, dict[str, str]]:
        """Rows and column → DuckDB type of model table `name`."""
        with self.connect(read_only=True) as con:
            rows = con.execute(f'select count(*) from {MODEL_SCHEMA}."{name}"').fetchone()[0]
            return rows, dict(_columns(con, MODEL_SCHEMA, name))

    def column_types(self) -> dict[str, dict[str, str]]:
        """`schema.table` → column → DuckDB type, for every table; empty without a file."""
        if not self.path.exists():
            return {}
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "select schema_name, table_name, column_name, data_type from duckdb_columns() "
                "where database_name = current_database() and not internal "
                "order by schema_name, table_name, column_index"
            ).fetchall()
        types: dict[str, dict[str, str]] = {}
        for schema, table, column, data_type in rows:
            types.setdefault(f"{schema}.{table}", {})[column] = data_type
        return types


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    # Long queries would draw a progress bar on the terminal of whoever runs a build.
    con.execute("set enable_progress_bar = false")
    return con


def _as_dataset(data: pa.Table | ds.Dataset) -> ds.Dataset:
    return data if isinstance(data, ds.Dataset) else ds.dataset(data)


def _columns(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, database: str | None = None
) -> list[tuple[str, str]]:
    """(name, type) of each column in order; empty when the table does not exist."""
    qualified = ".".join(f'"{part}"' for part in (database, schema, table) if part)
    try:
        return con.execute("select name, type from pragma_table_info(?)", [qualified]).fetchall()
    except duckdb.CatalogException:
        return []


def _copied_rows(copy: copied_days.CopyPlan) -> ds.Expression:
    """The rows of the days copied whole and of the facilities copied on the other days."""
    day = ds.field(PARTITION_COLUMN)
    parts = [day.isin(pa.array(copy.whole, pa.date32()))] if copy.whole else []
    parts += [
        (day == pa.scalar(when, pa.date32()))
        & ds.field(FACILITY_COLUMN).isin(pa.array(sorted(facilities), pa.string()))
        for when, facilities in copy.facilities.items()
    ]
    return functools.reduce(operator.or_, parts)


def _refresh_source(
    con: duckdb.DuckDBPyConnection,
    name: str,
    data: ds.Dataset,
    dates: list[date] | None,
    origin: SourceOrigin | None = None,
) -> int:
    target = f'{SOURCE_SCHEMA}."{name}"'
    existing = [c for c, _ in _columns(con, SOURCE_SCHEMA, name)]
    by_day = (
        dates is not None
        and PARTITION_COLUMN in data.schema.names
        and existing == data.schema.names
    )
    if by_day:
        days = sorted(set(dates or []))
        copy = copied_days.plan(con, name, days, origin, FACILITY_COLUMN in data.schema.names)
        # Filtering in Arrow prunes the Delta partitions before anything is read.
        rows = None if copy.nothing else data.to_table(filter=_copied_rows(copy))
        if rows is not None:
            con.register(_SOURCE_VIEW, rows)
        try:
            con.begin()
            if copy.whole:
                con.execute(
                    f"delete from {target} where list_contains(?, {PARTITION_COLUMN})", [copy.whole]
                )
            for day, facilities in copy.facilities.items():
                con.execute(
                    f"delete from {target} where {PARTITION_COLUMN} = ? and {FACILITY_COLUMN} in "
                    "(select unnest(?::varchar[]))",
                    [day, sorted(facilities)],
                )
            if rows is not None:
                con.execute(
                    f"insert into {target} select {select_list(data.schema.names)} "
                    f"from {_SOURCE_VIEW}"
                )
            copied_days.record(con, name, days, origin)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            if rows is not None:
                con.unregister(_SOURCE_VIEW)
        return 0 if rows is None else rows.num_rows
    copied_days.forget(con, name)
    con.register(_SOURCE_VIEW, data)
    try:
        # Landing file names may name a patient: only their expected shape is copied.
        con.execute(
            f"create or replace table {target} as "
            f"select {select_list(data.schema.names)} from {_SOURCE_VIEW}"
        )
    finally:
        con.unregister(_SOURCE_VIEW)
    comment_source(con, name)
    return con.execute(f"select count(*) from {target}").fetchone()[0]


def _run(
    con: duckdb.DuckDBPyConnection,
    model: SqlModel,
    start_date: date | None,
    end_date: date | None,
) -> dict:
    started = time.perf_counter()
    window = model.is_windowed and (start_date is not None or end_date is not None)
    if window:
        start = start_date if start_date is not None else end_date
        end = end_date if end_date is not None else start_date
        if start > end:
            raise SqlModelError(f"{model.path}: start_date {start} is after end_date {end}")
    else:
        start, end = ALL_DATES
    con.execute("set variable start_date = ?", [start])
    con.execute("set variable end_date = ?", [end])
    target = f'{MODEL_SCHEMA}."{model.name}"'
    _drop_other_kind(con, model)
    try:
        if model.is_view:
            con.execute(f"create or replace view {target} as (\n{model.sql}\n)")
            rows = con.execute(
                f"select count(*) from {target} where {PARTITION_COLUMN} between ? and ?",
                [start, end],
            ).fetchone()[0]
            replaced = None
        elif window:
            rows, replaced = _replace_window(con, model, target)
        else:
            con.execute(f"create or replace table {target} as (\n{model.sql}\n)")
            rows, replaced = con.execute(f"select count(*) from {target}").fetchone()[0], None
    except duckdb.Error as err:
        raise SqlModelError(f"{model.path}: {err}") from err
    comment_model(con, model)
    built = [c for c, _ in _columns(con, MODEL_SCHEMA, model.name)]
    return {
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 3),
        "mode": "view" if model.is_view else "incremental" if window else "full",
        "start_date": start if window else None,
        "end_date": end if window else None,
        "rows_replaced": replaced,
        "columns_undocumented": [c for c in built if c not in model.columns],
        "columns_missing": [c for c in model.columns if c not in built],
    }


def _drop_other_kind(con: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """A model that changed between view and table (a warehouse built by an older layout):
    DuckDB will not replace one kind by the other, so the old object goes first."""
    found = con.execute(
        "select 'view' from duckdb_views() where database_name = current_database() "
        "and schema_name = ? and view_name = ? union all "
        "select 'table' from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? and table_name = ?",
        [MODEL_SCHEMA, model.name, MODEL_SCHEMA, model.name],
    ).fetchall()
    for (kind,) in found:
        if (kind == "view") != model.is_view:
            con.execute(f'drop {kind} {MODEL_SCHEMA}."{model.name}"')


def _replace_window(
    con: duckdb.DuckDBPyConnection, model: SqlModel, target: str
) -> tuple[int, int | None]:
    key = model.unique_key
    con.execute(f"create or replace temp table {_STAGED} as (\n{model.sql}\n)")
    try:
        staged = _columns(con, "main", _STAGED, database="temp")
        if key not in dict(staged):
            raise SqlModelError(f"{model.path}: the query has no column {key!r} (its unique_key)")
        outside = con.execute(
            f'select count(*) from {_STAGED} where "{key}" is null or "{key}" not between '
            "getvariable('start_date') and getvariable('end_date')"
        ).fetchone()[0]
        if outside:
            raise SqlModelError(
                f"{model.path}: {outside} rows have {key} outside "
                "[getvariable('start_date'), getvariable('end_date')]; filter the inputs by it"
            )
        existing = _columns(con, MODEL_SCHEMA, model.name)
        rows = con.execute(f"select count(*) from {_STAGED}").fetchone()[0]
        if not existing:
            con.execute(f"create table {target} as select * from {_STAGED}")
            return rows, 0
        if existing != staged:
            raise SqlModelError(
                f"{model.path}: columns changed from {existing} to {staged}; rebuild the model "
                "in full (run it without dates) before refreshing days"
            )
        con.begin()
        try:
            replaced = con.execute(
                f'delete from {target} where "{key}" between '
                "getvariable('start_date') and getvariable('end_date')"
            ).fetchone()[0]
            con.execute(f"insert into {target} select * from {_STAGED}")
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return rows, replaced
    finally:
        con.execute(f"drop table if exists temp.{_STAGED}")
