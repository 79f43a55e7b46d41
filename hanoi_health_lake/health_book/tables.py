"""The health book's lake tables, as lake/catalog.py declares them."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from hanoi_health_lake.lake import catalog
from hanoi_health_lake.lake.catalog import IDENTITY_FIELDS, UTC_AT

__all__ = ["IDENTITY_FIELDS", "SCHEMAS", "UTC_AT", "table_path"]

SCHEMAS: dict[str, pa.Schema] = {
    name: catalog.schema(name) for name in catalog.names(written_by="health book")
}


def table_path(lake_root: Path, name: str) -> Path:
    return catalog.table_path(lake_root, name)
