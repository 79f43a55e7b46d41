"""Reading the DuckDB warehouse for a report: read-only, one query file per question.

The queries live in `queries/*.sql` beside this module, take their bounds as named parameters
(`$start`, `$end`, …) bound by DuckDB, and read the marts (and the few lake copies and
intermediate models the marts leave out, each said in its file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

QUERIES = Path(__file__).parent / "queries"
_PARAM = re.compile(r"\$([a-z_]+)")


class ReportSource:
    """A read-only warehouse session answering the report's query files."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def frame(self, query: str, **params: object) -> pl.DataFrame:
        sql = query_text(query)
        needed = set(_PARAM.findall(sql))
        missing = needed - params.keys()
        if missing:
            raise TypeError(f"query {query} needs {', '.join(sorted(missing))}")
        frame = self.con.sql(sql, params={k: params[k] for k in needed}).pl()
        # DuckDB sums integers into HUGEINT decimals; the report wants plain ints and floats.
        return frame.with_columns(
            pl.col(name).cast(pl.Int64 if dtype.scale == 0 else pl.Float64)
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Decimal)
        )

    def scalar(self, sql: str, params: list | None = None) -> object:
        found = self.con.sql(sql, params=params or None).fetchall()
        return found[0][0] if found else None


@cache
def query_text(name: str) -> str:
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


@contextmanager
def open_source(warehouse: Path) -> Iterator[ReportSource]:
    if not Path(warehouse).exists():
        raise FileNotFoundError(
            f"warehouse not found at {warehouse}: build the marts first with "
            "`hhl run --from D --to D` (ingest and marts), or materialise the marts group"
        )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("set enable_progress_bar = false")
        yield ReportSource(con)
    finally:
        con.close()


def tables_read() -> set[str]:
    """Every warehouse table the report queries read (models and seeds by bare name, lake copies
    as `lake.<name>`), found by parsing them as the marts runner parses its models."""
    from hanoi_health_lake.sqlmodels.dependencies import parse_query, table_references

    found: set[str] = set()
    for path in sorted(QUERIES.glob("*.sql")):
        refs = table_references(parse_query(path.read_text(encoding="utf-8"), path), path)
        found |= refs.models | {f"lake.{name}" for name in refs.sources}
    return found
