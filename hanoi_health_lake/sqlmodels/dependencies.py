"""Which tables a model's query reads, found by parsing it with sqlglot (DuckDB dialect).

Lake tables are read as `lake.<table>` (the warehouse's `lake` schema holds the copies the runner
refreshes); models are read by their bare name (schema `main`). A name defined by a CTE in scope is
neither. Table functions (`range`, `unnest`, `read_parquet`) are not tables and are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from hanoi_health_lake.sqlmodels.model import SqlModelError

SOURCE_SCHEMA = "lake"
MODEL_SCHEMA = "main"


@dataclass
class References:
    models: set[str] = field(default_factory=set)  # bare names: models, or unknown names
    sources: set[str] = field(default_factory=set)  # names read as lake.<name>


def parse_query(sql: str, path: Path) -> exp.Query:
    """The file's one query; anything else (DDL, several statements) is an error naming `path`."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as err:
        raise SqlModelError(f"{path}: sqlglot cannot parse the query: {err}") from err
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        kinds = ", ".join(type(s).__name__ for s in statements) or "nothing"
        raise SqlModelError(f"{path}: a model file holds exactly one SELECT query, found {kinds}")
    return statements[0]


def table_references(query: exp.Query, path: Path) -> References:
    refs = References()
    for scope in traverse_scope(query):
        for table in scope.tables:
            if not isinstance(table.this, exp.Identifier):
                continue  # a table function
            name, schema = table.name.lower(), table.db.lower()
            if table.catalog:
                raise SqlModelError(
                    f"{path}: {table.sql(dialect='duckdb')} names a database; read lake tables "
                    f"as {SOURCE_SCHEMA}.<table> and models by their name"
                )
            if schema == SOURCE_SCHEMA:
                refs.sources.add(name)
            elif schema in ("", MODEL_SCHEMA):
                if not schema and name in {cte.lower() for cte in scope.cte_sources}:
                    continue
                refs.models.add(name)
            else:
                raise SqlModelError(
                    f"{path}: {table.sql(dialect='duckdb')} is in schema {schema!r}; read lake "
                    f"tables as {SOURCE_SCHEMA}.<table> and models by their name"
                )
    return refs
