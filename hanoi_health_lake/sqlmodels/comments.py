"""Model descriptions as DuckDB comments, so any SQL client (DuckDB CLI `.schema`, DBeaver,
`duckdb_columns()`) shows what each table and column means, from the model file's header.

Called after every build of a table: `create or replace` drops a table's comments, so they are
written again each time (a few hundred catalog statements, milliseconds). Lake copies take their
table and column descriptions from the lake catalog (lake/catalog.py, also behind
docs/lake-tables.md); seeds get a table comment saying where they come from (their columns:
dbt_like_sql/README.md).
"""

from __future__ import annotations

import duckdb

from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.lake import catalog
from hanoi_health_lake.sqlmodels.dependencies import MODEL_SCHEMA, SOURCE_SCHEMA
from hanoi_health_lake.sqlmodels.model import SqlModel

# `_at` columns are instants (TIMESTAMP WITH TIME ZONE); a session shows them in its time zone,
# which for DuckDB is UTC unless set: the file cannot carry a default, so the comment says it.
AT_SUFFIX = "_at"
TIME_ZONE_NOTE = (
    f"An instant: run SET TimeZone = '{TIMEZONE}' to read it in Hanoi time (DuckDB sessions "
    "start in UTC)."
)
SEED_DESCRIPTIONS = {
    "sla_settings": "Seed (dbt_like_sql/seeds/sla_settings.csv): on-time deadline, volume band, "
    "validity threshold, laggard and suppression limits; every column text.",
    "phase_targets": "Seed (dbt_like_sql/seeds/phase_targets.csv): the city plan's connection "
    "phases and their deadlines; every column text.",
    "rule_families": "Seed (dbt_like_sql/seeds/rule_families.csv): data-contract rule id prefix "
    "→ Kahn data-quality category; every column text.",
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and schema_name = ? and table_name = ? "
        "order by column_index",
        [schema, table],
    ).fetchall()


def column_comment(description: str, name: str, data_type: str) -> str:
    if name.endswith(AT_SUFFIX) and data_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"{description} {TIME_ZONE_NOTE}".strip()
    return description


def comment_model(con: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """COMMENT ON the model's table and each of its columns, from the file's header."""
    target = f'{MODEL_SCHEMA}."{model.name}"'
    relative = f"dbt_like_sql/{model.layer}/{model.name}.sql"
    table = f"{model.description} ({model.materialized}; built from {relative})"
    kind = "view" if model.is_view else "table"
    con.execute(f"comment on {kind} {target} is {_literal(table)}")
    for name, data_type in _columns(con, MODEL_SCHEMA, model.name):
        description = model.columns.get(name)
        if description:
            text = column_comment(description, name, data_type)
            con.execute(f'comment on column {target}."{name}" is {_literal(text)}')


def comment_seed(con: duckdb.DuckDBPyConnection, name: str) -> None:
    text = SEED_DESCRIPTIONS.get(name, f"Seed (dbt_like_sql/seeds/{name}.csv); every column text.")
    con.execute(f'comment on table {MODEL_SCHEMA}."{name}" is {_literal(text)}')


def comment_source(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """A lake copy: its catalog description, where it comes from, and each column's catalog
    note (with the time-zone note on `_at` columns)."""
    target = f'{SOURCE_SCHEMA}."{name}"'
    entry = catalog.TABLES.get(name)
    description = f"{entry.description} " if entry else ""
    zone = f"{entry.zone}/" if entry else ""
    text = (
        f"{description}Copy of the Delta lake table {zone}{name} for the days the marts read "
        "(docs/lake-tables.md); refreshed by every build."
    )
    con.execute(f"comment on table {target} is {_literal(text)}")
    notes = entry.notes if entry else {}
    for column, data_type in _columns(con, SOURCE_SCHEMA, name):
        note = column_comment(notes.get(column, ""), column, data_type)
        if note:
            con.execute(f'comment on column {target}."{column}" is {_literal(note)}')
