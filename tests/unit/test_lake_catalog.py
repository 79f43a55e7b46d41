"""The lake catalog is the one declaration of the lake's tables: the page, the writers, the SQL
sources and the warehouse's comments all follow it."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import duckdb
import pyarrow as pa

from hanoi_health_lake.benchmarks.lake_tables import lake_table, write_lake
from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.lake import catalog
from hanoi_health_lake.lake.catalog_docs import DOC_PATH, lake_tables_markdown
from hanoi_health_lake.lake.restricted import is_restricted
from hanoi_health_lake.sqlmodels.sources import SOURCE_TABLES, open_sources, source_paths
from hanoi_health_lake.sqlmodels.warehouse import Warehouse

DAY = date(2026, 3, 2)


def test_lake_tables_doc_is_current():
    """docs/lake-tables.md is what `hhl docs --lake-tables` writes from the catalog."""
    assert DOC_PATH.read_text(encoding="utf-8") == lake_tables_markdown(), (
        "docs/lake-tables.md is stale: run `hhl docs --lake-tables`"
    )


def test_hhl_docs_lake_tables_writes_the_page(tmp_path, monkeypatch):
    from hanoi_health_lake.lake import catalog_docs

    target = tmp_path / "lake-tables.md"
    monkeypatch.setattr(catalog_docs, "DOC_PATH", target)
    from hanoi_health_lake.cli import main

    assert main(["docs", "--lake-tables"]) == 0
    assert target.read_text(encoding="utf-8") == lake_tables_markdown()


def test_the_page_lists_every_table_and_column():
    page = lake_tables_markdown()
    for table in catalog.TABLES.values():
        assert f"- `{table.name}`:" in page
        for name in table.schema.names if table.schema is not None else ():
            assert f"`{name}`" in page, (table.name, name)


def test_sql_sources_are_the_catalog_tables_marked_so():
    assert set(SOURCE_TABLES) == {t.name for t in catalog.TABLES.values() if t.sql_source}
    assert "bronze_records" not in SOURCE_TABLES  # records as delivered never leave the lake
    for name, path in source_paths(PROJECT_ROOT / "lake").items():
        assert path.parent.name == catalog.zone_of(name)


def test_restricted_zones_are_the_catalog_zones_holding_identifiers(tmp_path):
    for table in catalog.TABLES.values():
        assert is_restricted(catalog.table_path(tmp_path, table.name)) == table.restricted
    assert {"bronze", "quarantine", "restricted"} == catalog.RESTRICTED_ZONES


def test_identifier_columns_never_reach_the_warehouse_and_notes_become_comments(tmp_path):
    """A quarantined row written to the lake, copied into the warehouse: its identifier columns
    stay behind, and the copy carries the catalog's table and column descriptions."""
    lake = tmp_path / "lake"
    row = {
        "service_date": DAY,
        "facility_code": "01001",
        "dataset": "encounters",
        "source_file": "01001/2026-03-02/encounters__x.csv",
        "record_no": 1,
        "rule_ids": ["conformance.icd10"],
        "reason": "row 1: HO_TEN 'Nguyễn Văn An' …",
        "payload": '{"HO_TEN": "Nguyễn Văn An"}',
    }
    write_lake(lake, {"quarantine": lake_table("quarantine", [row])})
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    warehouse.refresh_sources(open_sources(lake, {"quarantine"}))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        columns = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where schema_name = 'lake' and table_name = 'quarantine'"
            ).fetchall()
        )
        (table_comment,) = con.execute(
            "select comment from duckdb_tables() "
            "where schema_name = 'lake' and table_name = 'quarantine'"
        ).fetchone()
    entry = catalog.table("quarantine")
    assert entry.identifiers == {"payload", "reason"}
    assert set(columns) == set(entry.schema.names) - entry.identifiers
    assert entry.description in table_comment
    assert columns["record_no"] == entry.notes["record_no"]


def test_writers_cast_to_the_catalog_schemas():
    from hanoi_health_lake.outbreaks.tables import to_arrow
    from hanoi_health_lake.pipeline import bronze, quarantine, reconcile

    assert bronze.BRONZE_FILES_SCHEMA is catalog.schema("bronze_files")
    assert quarantine.QUARANTINE_SCHEMA is catalog.schema("quarantine")
    assert reconcile.RECONCILIATION_SCHEMA is catalog.schema("reconciliation")
    import polars as pl

    empty = pl.DataFrame(schema=catalog.polars_schema("facility_silence"))
    assert to_arrow("facility_silence", empty).schema == catalog.schema("facility_silence")


def test_partitioned_tables_have_a_date_partition_column():
    for table in catalog.TABLES.values():
        if table.partitioned:
            assert table.schema.field(catalog.PARTITION_COLUMN).type == pa.date32(), table.name


def test_catalog_module_imports_nothing_of_the_pipeline():
    """The catalog sits at the bottom: anything may read it, it reads only config."""
    code = (
        "import sys; import hanoi_health_lake.lake.catalog; "
        "print(sorted(m for m in sys.modules if m.startswith('hanoi_health_lake.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)
    assert set(loaded) <= {
        "hanoi_health_lake.config",
        "hanoi_health_lake.lake",
        "hanoi_health_lake.lake.catalog",
    }, loaded
