"""Two warehouses: the engineers' file where models are built, and the analysts' file of marts.

The build needs row-level tables — `lake.*` copies of silver, `stg_*` and `int_*` models — and
from those every count a mart withholds (a ward with 3 dengue cases) can be worked out again. So
analysts get a file of their own holding the `mart_*` tables only (aggregated, small counts
withheld), with their descriptions; the build file stays with the engineers, owner-only on
disk. After every build the marts it (re)built are copied over: an incremental mart has just
its window replaced, others are copied whole. docs/warehouses.md says who reads which.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from hanoi_health_lake.lake.locks import table_writer_lock
from hanoi_health_lake.sqlmodels.dependencies import MODEL_SCHEMA
from hanoi_health_lake.sqlmodels.warehouse import STORAGE_COMPATIBILITY

PUBLISHED_PREFIX = "mart_"
ENGINEERS_FILE_MODE = 0o600
_ALIAS = "analysts"


def analysts_path(engineers: Path) -> Path:
    """The analysts' file beside the engineers' one: `<stem>_marts<suffix>`."""
    engineers = Path(engineers)
    return engineers.with_name(f"{engineers.stem}_marts{engineers.suffix}")


def is_published(model_name: str) -> bool:
    return model_name.startswith(PUBLISHED_PREFIX)


def restrict_engineers_file(engineers: Path) -> None:
    """Owner-only: the build file holds row-level, pseudonymous records."""
    for path in (Path(engineers), Path(f"{engineers}.wal")):
        if path.exists():
            path.chmod(ENGINEERS_FILE_MODE)


def publish_marts(
    con: duckdb.DuckDBPyConnection, engineers: Path, results: dict[str, dict]
) -> list[str]:
    """Copy the marts among `results` (model → build result) into the analysts' file over the
    engineers' connection `con`; the names copied."""
    names = [name for name in results if is_published(name)]
    restrict_engineers_file(engineers)
    if not names:
        return []
    target = analysts_path(engineers)
    with table_writer_lock(str(target)):
        con.execute(
            f"attach '{_quoted(str(target))}' as {_ALIAS} "
            f"(storage_version '{STORAGE_COMPATIBILITY}')"
        )
        try:
            for name in names:
                _copy(con, name, results[name])
            _drop_unpublished(con)
        finally:
            con.execute(f"detach {_ALIAS}")
    return names


def _copy(con: duckdb.DuckDBPyConnection, name: str, result: dict) -> None:
    source, dest = f'{MODEL_SCHEMA}."{name}"', f'{_ALIAS}.main."{name}"'
    same_columns = _columns(con, dest) == _columns(con, source)
    if result.get("mode") == "incremental" and same_columns:
        con.begin()
        try:
            con.execute(
                f"delete from {dest} where service_date between ? and ?",
                [result["start_date"], result["end_date"]],
            )
            con.execute(
                f"insert into {dest} select * from {source} where service_date between ? and ?",
                [result["start_date"], result["end_date"]],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
    else:
        con.execute(f"create or replace table {dest} as select * from {source}")
    _copy_comments(con, name)


def _columns(con: duckdb.DuckDBPyConnection, qualified: str) -> list[tuple[str, str]]:
    try:
        return con.execute("select name, type from pragma_table_info(?)", [qualified]).fetchall()
    except duckdb.CatalogException:
        return []


def _copy_comments(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """The mart's table and column descriptions (COMMENT ON), when the build set them."""
    table = con.execute(
        "select comment from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? and table_name = ?",
        [MODEL_SCHEMA, name],
    ).fetchone()
    if table and table[0]:
        con.execute(f"comment on table {_ALIAS}.main.\"{name}\" is '{_quoted(table[0])}'")
    columns = con.execute(
        "select column_name, comment from duckdb_columns() where database_name = "
        "current_database() and schema_name = ? and table_name = ? and comment is not null",
        [MODEL_SCHEMA, name],
    ).fetchall()
    for column, comment in columns:
        con.execute(
            f'comment on column {_ALIAS}.main."{name}"."{column}" is \'{_quoted(comment)}\''
        )


def _drop_unpublished(con: duckdb.DuckDBPyConnection) -> None:
    """Whatever is in the analysts' file but no mart goes (e.g. from an older layout)."""
    found = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ?", [_ALIAS]
    ).fetchall()
    for schema, table in found:
        if schema != "main" or not is_published(table):
            con.execute(f'drop table {_ALIAS}."{schema}"."{table}"')


def _quoted(text: str) -> str:
    return text.replace("'", "''")
