"""Helpers the marts tests share (a lake of hand-made rows, the project built over it), and tests
of the lake-table helpers themselves."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pytest

from hanoi_health_lake.benchmarks.lake_tables import (
    PARTITIONED_SCHEMAS,
    facilities_table,
    lake_table,
    reference_tables,
    shift_days,
    write_lake,
)
from hanoi_health_lake.config import PROJECT_ROOT, TIMEZONE
from hanoi_health_lake.lake.completion import mark_complete, mark_incomplete
from hanoi_health_lake.sqlmodels import Warehouse, load_models, open_sources
from hanoi_health_lake.sqlmodels.build import build
from hanoi_health_lake.sqlmodels.loader import find_seeds

SQL_DIR = PROJECT_ROOT / "dbt_like_sql"
HANOI = ZoneInfo(TIMEZONE)


def facility(code: str, facility_type: str, ownership: str, ward: str, **values) -> dict:
    """A registry row; go-live 2025-12-01 and encounters only unless given."""
    return {
        "facility_code": code,
        "name": f"Facility {code}",
        "facility_type": facility_type,
        "ownership": ownership,
        "level": "basic",
        "ward_code": ward,
        "ward_name": f"Ward {ward}",
        "opened_date": "2000-01-01",
        "go_live_date": "2025-12-01",
        "datasets": "encounters",
        "export_format": "csv",
        "imaging_format": "",
        **values,
    }


def sql_project(root: Path, **settings: object) -> Path:
    """A copy of dbt_like_sql/ with some sla_settings values replaced."""
    target = root / "dbt_like_sql"
    shutil.copytree(SQL_DIR, target)
    path = target / "seeds" / "sla_settings.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    for name, value in settings.items():
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name},"))
        unit_and_description = lines[index].split(",", 2)[2]
        lines[index] = f"{name},{value},{unit_and_description}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def make_lake(root: Path, registry: list[dict], rows: dict[str, list[dict]]) -> Path:
    """A lake under `root/lake`: the registry and reference data plus the given rows; every
    partitioned table exists, empty when no rows are given for it."""
    lake = root / "lake"
    tables = {name: lake_table(name, rows.get(name, [])) for name in PARTITIONED_SCHEMAS}
    write_lake(lake, reference_tables(facilities_table(registry, root)) | tables)
    return lake


def build_project(
    root: Path,
    lake: Path,
    sql_dir: Path = SQL_DIR,
    start: date | None = None,
    end: date | None = None,
) -> Warehouse:
    warehouse = Warehouse(root / "warehouse.duckdb")
    build(warehouse, lake, load_models(sql_dir), find_seeds(sql_dir), start, end)
    return warehouse


def query(warehouse: Warehouse, sql: str, params: list | None = None) -> list[dict]:
    with warehouse.connect(read_only=True) as con:
        result = con.execute(sql, params or [])
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def at(day: date, hours: float) -> datetime:
    """A local time `hours` after the start of `day`."""
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hours)


def test_lake_table_fills_absent_columns_and_refuses_unknown_ones():
    table = lake_table("reconciliation", [{"service_date": date(2026, 3, 1), "accepted": 3}])
    assert table.schema == PARTITIONED_SCHEMAS["reconciliation"]
    assert table.to_pylist()[0]["delivered"] is None
    with pytest.raises(KeyError, match="acepted"):
        lake_table("reconciliation", [{"acepted": 3}])


def test_shift_days_moves_dates_and_timestamps_and_nothing_else():
    table = lake_table(
        "appointments",
        [
            {
                "service_date": date(2026, 3, 1),
                "appointment_date": date(2026, 3, 8),
                "appointment_at": datetime(2026, 3, 8, 8, 0, tzinfo=HANOI),
                "export_ts": datetime(2026, 3, 2, 6, 30),
                "patient_key": "pk",
                "record_no": 4,
            }
        ],
    )
    (row,) = shift_days(table, 30).to_pylist()
    assert row["service_date"] == date(2026, 3, 31)
    assert row["appointment_date"] == date(2026, 4, 7)
    assert row["appointment_at"] == datetime(2026, 4, 7, 8, 0, tzinfo=HANOI)
    assert row["export_ts"] == datetime(2026, 4, 1, 6, 30)
    assert (row["patient_key"], row["record_no"]) == ("pk", 4)


def test_quarantine_reaches_the_warehouse_without_its_payload(tmp_path):
    secret = '{"SO_CCCD": "001090012345", "HO_TEN": "Nguyễn Văn A"}'
    row = {
        "service_date": date(2026, 3, 1),
        "facility_code": "01001",
        "dataset": "encounters",
        "record_no": 1,
        "rule_ids": ["completeness.required"],
        "payload": secret,
    }
    lake = make_lake(
        tmp_path,
        [facility("01001", "city_hospital", "public_city", "00004")],
        {"quarantine": [row]},
    )
    warehouse = Warehouse(tmp_path / "w.duckdb")
    full = open_sources(lake, {"quarantine"})
    warehouse.refresh_sources(full)  # even a caller passing the whole table
    warehouse.refresh_sources(
        open_sources(lake, {"quarantine"}, [date(2026, 3, 1)]), [date(2026, 3, 1)]
    )
    assert "payload" in full["quarantine"].schema.names
    columns = warehouse.column_types()["lake.quarantine"]
    assert "payload" not in columns and "rule_ids" in columns
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        dump = con.execute("select * from lake.quarantine").fetchall()
    assert len(dump) == 1 and "001090012345" not in repr(dump)


def test_seeds_load_as_text_tables_and_a_missing_setting_names_itself(tmp_path):
    sql_dir = sql_project(tmp_path, max_quarantine_share=0.1)
    seeds = find_seeds(sql_dir)
    assert {"sla_settings", "phase_targets", "rule_families"} <= seeds.keys()
    warehouse = Warehouse(tmp_path / "w.duckdb")
    loaded = warehouse.load_seeds(seeds)
    assert loaded["phase_targets"] == 3
    assert set(warehouse.column_types()["main.phase_targets"].values()) == {"VARCHAR"}
    (settings,) = [m for m in load_models(sql_dir) if m.name == "int_settings"]
    warehouse.run_model(settings)
    (row,) = query(warehouse, "select * from int_settings")
    assert row["max_quarantine_share"] == pytest.approx(0.1)
    assert str(row["due_time"]) == "08:00:00"

    path = sql_dir / "seeds" / "sla_settings.csv"
    kept = [line for line in path.read_text().splitlines() if not line.startswith("due_time,")]
    path.write_text("\n".join(kept) + "\n")
    warehouse.load_seeds(find_seeds(sql_dir))
    with pytest.raises(Exception, match="due_time is missing"):
        warehouse.run_model(settings)


def test_facilities_table_has_the_reference_assets_types(tmp_path):
    table = facilities_table([facility("01001", "city_hospital", "public_city", "4")], tmp_path)
    (row,) = table.to_pylist()
    assert row["ward_code"] == "00004"
    assert row["go_live_date"] == date(2025, 12, 1)
    assert row["datasets"] == ["encounters"]
    assert pa.types.is_date32(table.schema.field("opened_date").type)


def test_the_marts_read_only_days_whose_ingest_completed(tmp_path):
    first, second = date(2026, 3, 1), date(2026, 3, 2)
    rows = [{"service_date": d, "facility_code": "01001", "dataset": "encounters", "delivered": 1}
            for d in (first, second)]  # fmt: skip
    lake = make_lake(
        tmp_path, [facility("01001", "city_hospital", "public_city", "00004")],
        {"reconciliation": rows},
    )  # fmt: skip

    def days(dates=None) -> list[date]:
        table = open_sources(lake, {"reconciliation"}, dates)["reconciliation"].to_table()
        return sorted(set(table["service_date"].to_pylist()))

    assert days() == [first, second]  # a lake that keeps no completion record: every day
    mark_complete(lake, first, "run-1")
    mark_complete(lake, second, "run-1")
    mark_incomplete(lake, second, "run-2")  # a rerun of the second day, killed midway
    assert days() == [first]
    assert days([second]) == []
    mark_complete(lake, second, "run-3")
    assert days() == [first, second] and days([second]) == [second]
