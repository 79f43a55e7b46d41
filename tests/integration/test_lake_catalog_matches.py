"""Every Delta table a real run writes is in the lake catalog, in its zone, with its schema."""

from __future__ import annotations

from pathlib import Path

from deltalake import DeltaTable

from hanoi_health_lake.lake import catalog


def test_every_table_written_is_declared_with_its_schema(ingested_home: Path):
    lake = ingested_home / "lake"
    found = sorted(p.parent for p in lake.glob("*/*/_delta_log"))
    assert len(found) >= len(catalog.names(written_by="ingest"))
    for path in found:
        zone, name = path.parent.name, path.name
        assert name in catalog.TABLES, f"{zone}/{name} is not in lake/catalog.py"
        entry = catalog.table(name)
        assert zone == entry.zone, name
        if entry.schema is not None:
            written = DeltaTable(str(path)).schema().to_arrow()
            assert [f.name for f in written] == entry.schema.names, name
