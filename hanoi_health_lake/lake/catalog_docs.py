"""docs/lake-tables.md, written from the lake catalog (lake/catalog.py) so the page cannot drift
from the tables: `hhl docs --lake-tables` rewrites it, tests/unit/test_lake_catalog.py fails when
the committed page is not what the catalog gives."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pyarrow as pa

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.lake import catalog

DOC_PATH = PROJECT_ROOT / "docs" / "lake-tables.md"
_SILVER_SHARED = {name for name, _ in (*catalog.PERSON, *catalog.PROVENANCE)}

INTRO = f"""\
# Lake tables

<!-- Generated from hanoi_health_lake/lake/catalog.py by `hhl docs --lake-tables`: edit the
catalog, not this page (tests/unit/test_lake_catalog.py fails when the two disagree). -->

All tables are Delta tables under `HHL_HOME/lake/<zone>/<table>`, partitioned by
`{catalog.PARTITION_COLUMN}` (a `date` column) except in the reference zone. Every table's
partition is written in one Delta commit stamped with the run id and partition. Provenance
columns on every bronze, quarantine and silver row: `source_file` (path under landing/),
`export_ts` (timestamp, local time), `record_no` (int, 1-based in its file), `run_id` (str).

Types: `str`, `int`, `float`, `bool`, `date`, `list<…>`; `instant` is a timestamp with its time
zone (the `_at` columns), `local timestamp` one in Hanoi local time as delivered. Columns marked
*identifier* hold what identifies a person: they never leave the lake (the SQL models' copies
drop them). Tables marked *not a SQL source* are not readable as `lake.<table>` by the models.

## Layout for partial rewrites

A whole-day run replaces a day's partition in one predicate overwrite. An arrival batch
replaces only its facilities' rows of the day, in one commit per table built by
`lake/slice_commit.py`. It compares a batch facility's new rows with the rows it holds in the
day, as multisets of row hashes. The files holding them are known from
`<table>/_facility_index/<day>.arrow` (lake/facility_index.py). A file a batch wrote has its
rows' facility and hashes beside it, `<table>/_facility_index/rows/<day>/<file>.arrow`
(lake/row_hashes.py), so its rows are not read back; of any other file, the row groups whose
statistics allow a batch facility are read, the facility column first. A facility whose earlier
rows are all among its new rows gets only the rows it gained appended, and a facility some of
whose rows changed or went has the files holding them rewritten without them.
So the cost of a batch follows what arrived, not the size of the day. Each such commit names
the day and the facilities whose rows it replaced in its commit info (`partition`,
`hhlFacilities`), so that a marts refresh copies just those rows into the warehouse
(`lake/changed_slices.py`, docs/warehouses.md). The files a batch adds are
sorted by `facility_code` in row groups of 4,096 rows, with the row count and facility range as
statistics (in the Delta log, and the only column statistics in the Parquet files); a facility
rewritten whole keeps each unchanged file's `bronze_files.silver_at` (`slice_commit.Carried`);
the hourly compaction z-orders a busy day by facility in row groups of the same
size, with delta-rs's full statistics, and a checkpoint every 10 batch commits keeps opening a
table quick. The batches write their commits by hand (`lake/delta_commit.py`). One table is
the exception: `reconciliation`, a few small rows per facility whose counts change with nearly
every batch (a tenth of a megabyte a city day), has its day written again as one file
whenever a batch changes it. `bronze/_parsed/` beside the bronze tables is not a table: it is
the arrival batches' parse cache (`pipeline/parse_cache.py`).

## Adding a table

One entry in `TABLES` of `hanoi_health_lake/lake/catalog.py`: name, zone, the step that writes
it, its Arrow schema (with a note on the columns that need one), its identifier columns, whether
the SQL models may read it, and a description. The writers' schema and path, the Dagster asset
description, the SQL sources and the columns they drop, the owner-only restricted zones and the
DuckDB comments all follow from it. Then run `hhl docs --lake-tables` to rewrite this page.
"""

OUTRO = """\
Every silver table holds at most one row per facility, service day and natural key (checked by
`unique_key_per_facility_day`, `checks/silver_keys.py`).

`patient_key` = hex HMAC-SHA256, keyed by the secret in `HHL_PSEUDONYM_KEY`, of
`<type>:<normalised value>` — `cccd:<12 digits>` when a valid-shaped citizen id is present, else
`bhyt:<insurance number>`, else `local:<facility>:<patient number>`, else
`episode:<facility>:<encounter id>`; `patient_key_type` says which.
"""


def type_name(data_type: pa.DataType) -> str:
    if pa.types.is_timestamp(data_type):
        return "instant" if data_type.tz else "local timestamp"
    if pa.types.is_list(data_type):
        return f"list<{type_name(data_type.value_type)}>"
    for check, name in (
        (pa.types.is_string, "str"),
        (pa.types.is_integer, "int"),
        (pa.types.is_floating, "float"),
        (pa.types.is_boolean, "bool"),
        (pa.types.is_date, "date"),
    ):
        if check(data_type):
            return name
    return str(data_type)


def _column(table: catalog.LakeTable, field: pa.Field) -> str:
    facts = [type_name(field.type)]
    if field.name in table.identifiers:
        facts.append("identifier")
    if field.name in table.notes:
        facts.append(table.notes[field.name])
    return f"`{field.name}` ({'; '.join(facts)})"


def _table(table: catalog.LakeTable) -> str:
    text = f"- `{table.name}`: {table.description}"
    if table.doc:
        text += f" {table.doc}"
    if not table.sql_source:
        text += " *Not a SQL source.*"
    if table.schema is not None:
        fields = [
            f for f in table.schema if not (table.zone == "silver" and f.name in _SILVER_SHARED)
        ]
        text += " Columns: " + ", ".join(_column(table, f) for f in fields) + "."
    return _wrap(text, "  ")


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text, width=100, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )


def _shared_silver() -> str:
    person = ", ".join(f"`{name}`" for name, _ in catalog.PERSON)
    provenance = ", ".join(f"`{name}`" for name, _ in catalog.PROVENANCE)
    return _wrap(
        f"Every silver table starts with the person columns {person} (`patient_key_type`: "
        f"{catalog.SILVER_NOTES['patient_key_type']}), then its own columns, then provenance "
        f"{provenance}."
    )


def lake_tables_markdown() -> str:
    parts = [INTRO]
    for zone in catalog.ZONES.values():
        tables = [catalog.TABLES[name] for name in catalog.names(zone=zone.name)]
        lines = [f"## {zone.name} ({zone.heading})"]
        if zone.name == "silver":
            lines.append(_shared_silver())
            lines.append("")
        if zone.name == "restricted" and not tables:
            lines.append("No table yet: the zone for identities kept apart from silver.")
        lines.extend(_table(t) for t in tables)
        parts.append("\n".join(lines) + "\n")
    parts.append(OUTRO)
    return "\n".join(parts)


def write_lake_tables_doc(path: Path | None = None) -> Path:
    path = Path(path or DOC_PATH)
    path.write_text(lake_tables_markdown(), encoding="utf-8")
    return path
