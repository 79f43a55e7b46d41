"""The duplicate-key check reads a real Delta table back and fails on a key held twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from hanoi_health_lake.assets.ingest import CHECK_SPECS
from hanoi_health_lake.checks.silver_keys import (
    DUPLICATE_KEY_CHECK,
    SILVER_KEYS,
    duplicate_key_check,
)
from hanoi_health_lake.lake.catalog import SILVER_SCHEMAS
from hanoi_health_lake.lake.delta_io import write_partition

DAY = date(2026, 3, 1)


def _rows(table: str, keys: list[tuple[str, ...]], day: date = DAY) -> pa.Table:
    """Rows of `table`'s silver schema with the given natural keys, other columns empty."""
    schema = SILVER_SCHEMAS[table]
    names = SILVER_KEYS[table]
    columns = {}
    for field in schema:
        if field.name == "service_date":
            values = [day] * len(keys)
        elif field.name == "facility_code":
            values = ["01001"] * len(keys)
        elif field.name == "source_file":
            values = ["01001/f.csv"] * len(keys)
        elif field.name in names:
            values = [key[names.index(field.name)] for key in keys]
        else:
            values = [None] * len(keys)
        columns[field.name] = pa.array(values, field.type)
    return pa.table(columns, schema=schema)


@pytest.mark.parametrize("table", list(SILVER_KEYS))
def test_a_key_held_twice_in_a_facility_day_fails_the_check(tmp_path: Path, table: str):
    path = tmp_path / table
    key_a = tuple(f"a{i}" for i, _ in enumerate(SILVER_KEYS[table]))
    key_b = tuple(f"b{i}" for i, _ in enumerate(SILVER_KEYS[table]))
    write_partition(path, _rows(table, [key_a, key_b]), DAY, run_id="clean")
    write_partition(path, _rows(table, [key_a], date(2026, 3, 2)), date(2026, 3, 2), run_id="x")
    clean = duplicate_key_check(table, path, DAY)
    assert clean.passed and clean.metadata["duplicate_keys"].value == 0

    # The same key on another day is no duplicate; twice on one day is.
    write_partition(path, _rows(table, [key_a, key_b, key_a]), DAY, run_id="forced")
    result = duplicate_key_check(table, path, DAY)
    assert not result.passed
    assert result.check_name == DUPLICATE_KEY_CHECK
    assert result.metadata["duplicate_keys"].value == 1
    assert result.metadata["extra_rows"].value == 1
    assert "1 key(s) held more than once" in result.description
    (example,) = result.metadata["examples"].value
    assert example["facility_code"] == "01001" and example["source_file"] == "01001/f.csv"
    assert duplicate_key_check(table, path, date(2026, 3, 2)).passed


def test_every_silver_table_carries_the_check_and_it_blocks():
    specs = {
        spec.asset_key.path[-1]: spec for spec in CHECK_SPECS if spec.name == DUPLICATE_KEY_CHECK
    }
    assert set(specs) == set(SILVER_KEYS) == set(SILVER_SCHEMAS)
    assert all(spec.blocking for spec in specs.values())
