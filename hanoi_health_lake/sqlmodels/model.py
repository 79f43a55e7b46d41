"""One SQL model: a `dbt_like_sql/<layer>/<name>.sql` file and what its header comment says.

The header is the file's first block of `--` lines (it ends at the first blank or non-comment
line), written as a small YAML-like list so that it stays a plain SQL comment:

    -- description: Facility activity per facility and service day.
    -- materialized: incremental
    -- unique_key: service_date
    -- columns:
    --   facility_code: Facility code (MA_CSKCB).
    --   encounters: Encounters that day.

A `view` model stores nothing: the warehouse keeps its query, over the lake copies the runner
refreshes for each window (the `stg_*` models, which only rename and type silver columns).

A more indented line continues the description or column above it. Unknown keys are an error, so a
typo such as `materialised` cannot silently turn an incremental model into a full rebuild.

An incremental model that reads days before its window declares how many, per input it reads
(`-- lookback_days: stg_encounters=6, lake.reconciliation=56`) or for all of them
(`-- lookback_days: 7`). The runner refreshes those days of the lake tables it reads, and the
Dagster asset maps its partition onto those upstream days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

LAYERS = ("staging", "intermediate", "marts")
MATERIALIZATIONS = ("table", "incremental", "view")
DEFAULT_UNIQUE_KEY = "service_date"
HEADER_KEYS = ("description", "materialized", "unique_key", "lookback_days", "columns")
ALL_INPUTS = "*"  # a lookback given as one number applies to every input

# Model, column and key names become DuckDB identifiers: keep them plain.
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")
_LOOKBACK_ITEM = re.compile(r"^(?:lake\.)?([a-z_][a-z0-9_]*)\s*=\s*([0-9]+)$")


class SqlModelError(ValueError):
    """A model file that cannot be loaded, ordered or run; the message names the file."""


@dataclass
class SqlModel:
    name: str  # file stem = table name = asset name
    path: Path
    layer: str  # staging | intermediate | marts
    description: str
    materialized: str  # table | incremental
    columns: dict[str, str]  # column → description, in header order
    sql: str  # the query exactly as in the file, without a trailing `;`
    depends_on: set[str] = field(default_factory=set)  # models this one reads
    sources: set[str] = field(default_factory=set)  # lake tables this one reads (lake.<name>)
    unique_key: str | None = None  # the date column an incremental model replaces by
    seeds: set[str] = field(default_factory=set)  # seed tables this one reads (CSV reference data)
    lookback_days: dict[str, int] = field(
        default_factory=dict
    )  # input → days read before the window

    @property
    def is_incremental(self) -> bool:
        return self.materialized == "incremental"

    @property
    def is_view(self) -> bool:
        return self.materialized == "view"

    @property
    def is_windowed(self) -> bool:
        """Built for a window of service days: an incremental model, or a view (nothing is
        stored, but the lake days it shows are refreshed for the window like an incremental
        model's, and it is partitioned alike in Dagster)."""
        return self.is_incremental or self.is_view

    def lookback(self, name: str) -> int:
        """Days before the window this model reads of input `name` (a model or lake table)."""
        return self.lookback_days.get(name, self.lookback_days.get(ALL_INPUTS, 0))


@dataclass
class Header:
    description: str = ""
    materialized: str = "table"
    unique_key: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    lookback_days: dict[str, int] = field(default_factory=dict)


def parse_header(text: str, path: Path) -> Header:
    """Read the leading comment block of a model file; raise SqlModelError naming `path`."""
    values: dict[str, str] = {}
    columns: dict[str, str] = {}
    current: str | None = None  # the key a continuation line extends
    current_column: str | None = None
    column_indent: int | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        body = stripped[2:]
        body = body[1:] if body.startswith(" ") else body
        content = body.strip()
        if not content:
            continue
        indent = len(body) - len(body.lstrip())
        if indent == 0:
            match = _KEY_LINE.match(content)
            if not match or match.group(1).lower() not in HEADER_KEYS:
                raise SqlModelError(
                    f"{path}:{lineno}: header line {content!r} is not one of "
                    f"{', '.join(k + ':' for k in HEADER_KEYS)} (end the header with a blank line "
                    "before free comments)"
                )
            current, current_column, column_indent = match.group(1).lower(), None, None
            if current in values or (current == "columns" and columns):
                raise SqlModelError(f"{path}:{lineno}: header key {current!r} given twice")
            values[current] = match.group(2).strip()
            continue
        if current is None:
            raise SqlModelError(f"{path}:{lineno}: indented header line before any key")
        if current != "columns":
            values[current] = f"{values[current]} {content}".strip()
            continue
        if column_indent is None or indent <= column_indent:
            column_indent = indent
            match = _KEY_LINE.match(content)
            if not match:
                raise SqlModelError(
                    f"{path}:{lineno}: column line {content!r} is not `name: description`"
                )
            current_column = match.group(1).lower()
            if current_column in columns:
                raise SqlModelError(f"{path}:{lineno}: column {current_column!r} listed twice")
            _check_identifier(current_column, "column", path)
            columns[current_column] = match.group(2).strip()
        else:
            assert current_column is not None
            columns[current_column] = f"{columns[current_column]} {content}".strip()
    return _validated(values, columns, path)


def _validated(values: dict[str, str], columns: dict[str, str], path: Path) -> Header:
    description = values.get("description", "")
    if not description:
        raise SqlModelError(f"{path}: the header has no `-- description:`")
    materialized = values.get("materialized") or "table"
    if materialized not in MATERIALIZATIONS:
        raise SqlModelError(
            f"{path}: materialized is {materialized!r}; use one of {', '.join(MATERIALIZATIONS)}"
        )
    unique_key = values.get("unique_key") or None
    if materialized == "incremental":
        unique_key = (unique_key or DEFAULT_UNIQUE_KEY).lower()
        _check_identifier(unique_key, "unique_key", path)
    elif unique_key:
        raise SqlModelError(f"{path}: unique_key only applies to incremental models")
    if values.get("columns"):
        raise SqlModelError(f"{path}: list columns on the lines after `-- columns:`")
    lookback = _lookback(values.get("lookback_days", ""), path)
    if lookback and materialized != "incremental":
        raise SqlModelError(f"{path}: lookback_days only applies to incremental models")
    return Header(description, materialized, unique_key, columns, lookback)


def _lookback(text: str, path: Path) -> dict[str, int]:
    text = text.strip()
    if not text:
        return {}
    if text.isdigit():
        return {ALL_INPUTS: int(text)}
    lookback: dict[str, int] = {}
    for item in text.split(","):
        match = _LOOKBACK_ITEM.match(item.strip())
        if not match:
            raise SqlModelError(
                f"{path}: lookback_days item {item.strip()!r} is not `input=days` "
                "(or give one number for every input)"
            )
        lookback[match.group(1)] = int(match.group(2))
    return lookback


def _check_identifier(name: str, what: str, path: Path) -> None:
    if not IDENTIFIER.match(name):
        raise SqlModelError(f"{path}: {what} {name!r} must match {IDENTIFIER.pattern}")


def check_model_name(name: str, path: Path) -> None:
    _check_identifier(name, "model name (the file name)", path)
