"""Running SQL models on the DuckDB warehouse over synthetic Delta sources built here."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from html import escape
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable, write_deltalake

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.lake.catalog import SILVER_SCHEMAS
from hanoi_health_lake.sqlmodels import (
    SqlModelError,
    Warehouse,
    build_docs,
    load_models,
    open_sources,
    source_paths,
)

SQL_DIR = PROJECT_ROOT / "dbt_like_sql"
DAYS = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
FACILITIES = ["01001", "01012", "01A3F"]

S, D = pa.string(), pa.date32()


def value(rng: random.Random, column: str, kind: pa.DataType, day: date, i: int):
    if column == "facility_code":
        return rng.choice(FACILITIES)
    if column == "service_date":
        return day
    if column == "patient_key":
        return f"pk{rng.randrange(25)}"
    if rng.random() < 0.1:
        return None
    if kind == S:
        return f"{column}-{day:%m%d}-{i}"
    if kind == D:
        return day + timedelta(days=rng.randrange(30))
    if pa.types.is_timestamp(kind):
        return datetime.combine(day, time(rng.randrange(24), rng.randrange(60)))
    if pa.types.is_integer(kind):
        return rng.randrange(1_000_000)
    if pa.types.is_floating(kind):
        return round(rng.uniform(0, 1000), 3)
    if kind == pa.bool_():
        return rng.random() < 0.5
    return [f"J0{k}.{k}" for k in range(rng.randrange(3))]


def silver_rows(table: str, day: date, seed: int) -> pa.Table:
    rng = random.Random(f"{table}-{day}-{seed}")
    schema = SILVER_SCHEMAS[table]
    n = rng.randrange(15, 40)
    columns = [
        pa.array([value(rng, f.name, f.type, day, i) for i in range(n)], f.type) for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def write_silver(lake: Path, tables=tuple(SILVER_SCHEMAS), seed: int = 0) -> dict[str, pa.Table]:
    written = {}
    for table in tables:
        data = pa.concat_tables(silver_rows(table, day, seed) for day in DAYS)
        write_deltalake(
            str(source_paths(lake)[table]), data, mode="overwrite", partition_by=["service_date"]
        )
        written[table] = data
    return written


def replace_day(lake: Path, table: str, day: date, seed: int) -> pa.Table:
    data = silver_rows(table, day, seed)
    write_deltalake(
        str(source_paths(lake)[table]),
        data,
        mode="overwrite",
        predicate=f"service_date = '{day.isoformat()}'",
    )
    return data


def snapshot(warehouse: Warehouse, table: str) -> list[tuple]:
    with warehouse.connect(read_only=True) as con:
        return sorted(con.execute(f"select * from {table}").fetchall(), key=repr)


def day_rows(rows: list[tuple], column_index: int, day: date) -> list[tuple]:
    return [r for r in rows if r[column_index] == day]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The project's staging models built over every silver table, three days of data.

    The marts read more than silver (registry, deliveries, quarantine): tests/unit/test_marts_*
    build them on lakes that have those tables.
    """
    root = tmp_path_factory.mktemp("built")
    silver = write_silver(root / "lake")
    warehouse = Warehouse(root / "warehouse" / "hanoi_health.duckdb")
    # the staging models over silver (stg_health_book_entries reads the health book's table)
    models = [
        m for m in load_models(SQL_DIR) if m.layer == "staging" and m.sources <= set(SILVER_SCHEMAS)
    ]
    warehouse.refresh_sources(open_sources(root / "lake"))
    results = warehouse.run_all(models)
    return warehouse, models, silver, results


def test_every_staging_model_runs_and_passes_every_row_through(built):
    warehouse, models, silver, results = built
    assert set(results) == {m.name for m in models}
    types = warehouse.column_types()
    for model in models:
        table = next(iter(model.sources))
        assert results[model.name]["rows"] == silver[table].num_rows, model.name
        assert results[model.name]["columns_missing"] == [], model.name
        assert results[model.name]["columns_undocumented"] == [], model.name
        assert list(types[f"main.{model.name}"]) == list(model.columns)
        assert types[f"main.{model.name}"]["service_date"] == "DATE"
        with warehouse.connect(read_only=True) as con:
            keys = con.execute(f"select facility_code, service_date from {model.name}").fetchall()
        expected = zip(
            silver[table]["facility_code"].to_pylist(),
            silver[table]["service_date"].to_pylist(),
            strict=True,
        )
        assert sorted(keys, key=repr) == sorted(expected, key=repr)


def test_staging_drops_the_silver_run_id(built):
    warehouse, models, _, _ = built
    types = warehouse.column_types()
    assert "run_id" in types["lake.encounters"]
    assert all("run_id" not in types[f"main.{m.name}"] for m in models)


RUN_FILE = """
import json, sys
from pathlib import Path
import duckdb

warehouse, start, end, *files = sys.argv[1:]
out = {}
for name in files:
    con = duckdb.connect(warehouse, read_only=True)
    con.execute(f"SET VARIABLE start_date = DATE '{start}'")
    con.execute(f"SET VARIABLE end_date = DATE '{end}'")
    result = con.execute(Path(name).read_text(encoding="utf-8"))
    columns = [d[0] for d in result.description]
    rows = sorted(json.dumps(r, default=str) for r in result.fetchall())
    out[name] = {"columns": columns, "rows": rows}
    con.close()
print(json.dumps(out))
"""


def test_each_sql_file_runs_unchanged_against_the_read_only_warehouse(built):
    """A fresh process opens the file read-only and runs each model file's exact text."""
    warehouse, models, _, _ = built
    start, end = DAYS[1], DAYS[2]
    files = [str(m.path) for m in models]
    proc = subprocess.run(
        [sys.executable, "-c", RUN_FILE, str(warehouse.path), str(start), str(end), *files],
        capture_output=True,
        text=True,
        check=True,
    )
    outputs = json.loads(proc.stdout)
    for model in models:
        # A view's file shows every day the warehouse holds; other files their window.
        window = [] if model.is_view else [start, end]
        where = " where service_date between ? and ?" if window else ""
        with warehouse.connect(read_only=True) as con:
            result = con.execute(f"select * from {model.name}{where}", window)
            columns = [d[0] for d in result.description]
            rows = sorted(json.dumps(r, default=str) for r in result.fetchall())
        assert rows, model.name
        assert outputs[str(model.path)] == {"columns": columns, "rows": rows}, model.name


def duckdb_cli() -> str | None:
    candidate = Path(sys.executable).parent / "duckdb"
    return str(candidate) if candidate.exists() else shutil.which("duckdb")


@pytest.mark.skipif(duckdb_cli() is None, reason="the duckdb-cli package is not installed")
def test_each_sql_file_runs_in_the_duckdb_cli(built):
    warehouse, models, _, _ = built
    day = DAYS[0]
    for model in models:
        script = (
            f"SET VARIABLE start_date = DATE '{day}';\n"
            f"SET VARIABLE end_date = DATE '{day}';\n"
            f".read {model.path}\n"
        )
        proc = subprocess.run(
            [duckdb_cli(), "-readonly", "-json", str(warehouse.path)],
            input=script,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0 and not proc.stderr, proc.stderr
        rows = json.loads(proc.stdout)
        window = [] if model.is_view else [day]
        where = " where service_date = ?" if window else ""
        with warehouse.connect(read_only=True) as con:
            expected = con.execute(f"select count(*) from {model.name}{where}", window).fetchone()[
                0
            ]
        assert len(rows) == expected > 0, model.name
        assert list(rows[0]) == list(model.columns)


DAILY = """-- description: Encounters per facility and service day.
-- materialized: incremental
-- columns:
--   facility_code: Facility code.
--   service_date: Day of care.
--   encounters: Encounters that day.
--   patients: Distinct patients that day.

with encounters as (
    select * from stg_encounters
    where service_date between getvariable('start_date') and getvariable('end_date')
),

final as (
    select
        facility_code,
        service_date,
        count(*) as encounters,
        count(distinct patient_key) as patients
    from encounters
    group by facility_code, service_date
)

select * from final
"""


def daily_counts(data: pa.Table) -> list[tuple]:
    grouped = data.group_by(["facility_code", "service_date"]).aggregate(
        [
            ("encounter_id", "count", pc.CountOptions(mode="all")),
            ("patient_key", "count_distinct"),
        ]
    )
    return sorted(
        zip(
            grouped["facility_code"].to_pylist(),
            grouped["service_date"].to_pylist(),
            grouped["encounter_id_count"].to_pylist(),
            grouped["patient_key_count_distinct"].to_pylist(),
            strict=True,
        ),
        key=repr,
    )


@pytest.fixture
def daily_project(tmp_path):
    """stg_encounters plus a new incremental mart over it, on a lake of encounters only."""
    sql_dir = tmp_path / "dbt_like_sql"
    (sql_dir / "staging").mkdir(parents=True)
    (sql_dir / "marts").mkdir()
    shutil.copy(SQL_DIR / "staging" / "stg_encounters.sql", sql_dir / "staging")
    (sql_dir / "marts" / "mart_daily_encounters.sql").write_text(DAILY, encoding="utf-8")
    lake = tmp_path / "lake"
    silver = write_silver(lake, tables=("encounters",))
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    return load_models(sql_dir), lake, warehouse, silver["encounters"]


def test_new_model_runs_after_its_input_and_counts_right(daily_project):
    models, lake, warehouse, encounters = daily_project
    warehouse.refresh_sources(open_sources(lake))
    results = warehouse.run_all(models[::-1])
    assert list(results) == ["stg_encounters", "mart_daily_encounters"]
    assert snapshot(warehouse, "mart_daily_encounters") == daily_counts(encounters)


def test_refreshing_one_day_is_idempotent_and_changes_only_that_day(daily_project):
    models, lake, warehouse, _ = daily_project
    warehouse.refresh_sources(open_sources(lake))
    warehouse.run_all(models)
    before = {t: snapshot(warehouse, t) for t in ("stg_encounters", "mart_daily_encounters")}

    # The lake changes on two days, but only the second is refreshed.
    replace_day(lake, "encounters", DAYS[0], seed=7)
    new_day = replace_day(lake, "encounters", DAYS[1], seed=8)
    copied = warehouse.refresh_sources(open_sources(lake), dates=[DAYS[1]])
    assert copied == {"encounters": new_day.num_rows}
    first = warehouse.run_all(models, start_date=DAYS[1], end_date=DAYS[1])
    after_first = {t: snapshot(warehouse, t) for t in before}
    second = warehouse.run_all(models, start_date=DAYS[1], end_date=DAYS[1])
    after_second = {t: snapshot(warehouse, t) for t in before}

    assert after_second == after_first
    assert first["stg_encounters"]["mode"] == "view"  # shows the refreshed lake copy
    assert second["stg_encounters"]["rows"] == new_day.num_rows
    old_mart_day = day_rows(before["mart_daily_encounters"], 1, DAYS[1])
    assert first["mart_daily_encounters"]["rows_replaced"] == len(old_mart_day)
    assert second["mart_daily_encounters"]["rows_replaced"] == len(daily_counts(new_day))
    mart = after_first["mart_daily_encounters"]
    assert day_rows(mart, 1, DAYS[1]) == daily_counts(new_day)
    for day in (DAYS[0], DAYS[2]):
        assert day_rows(mart, 1, day) == day_rows(before["mart_daily_encounters"], 1, day)
        stg = after_first["stg_encounters"]
        assert day_rows(stg, 1, day) == day_rows(before["stg_encounters"], 1, day)


def test_full_rebuild_of_an_incremental_model_builds_all_dates(daily_project):
    models, lake, warehouse, encounters = daily_project
    warehouse.refresh_sources(open_sources(lake))
    warehouse.run_all(models, start_date=DAYS[2])
    assert {r[1] for r in snapshot(warehouse, "mart_daily_encounters")} == {DAYS[2]}
    results = warehouse.run_all(models)
    assert results["mart_daily_encounters"]["mode"] == "full"
    assert snapshot(warehouse, "mart_daily_encounters") == daily_counts(encounters)


def test_incremental_rows_outside_the_window_are_refused_and_nothing_changes(tmp_path):
    sql_dir = tmp_path / "sql"
    (sql_dir / "staging").mkdir(parents=True)
    path = sql_dir / "staging" / "stg_unfiltered.sql"
    path.write_text(
        "-- description: Forgets to filter by the window.\n-- materialized: incremental\n\n"
        "select * from lake.encounters\n",
        encoding="utf-8",
    )
    lake = tmp_path / "lake"
    write_silver(lake, tables=("encounters",))
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.refresh_sources(open_sources(lake))
    (model,) = load_models(sql_dir)
    warehouse.run_model(model)
    before = snapshot(warehouse, "stg_unfiltered")
    with pytest.raises(SqlModelError, match="outside") as err:
        warehouse.run_model(model, DAYS[1], DAYS[1])
    assert str(path) in str(err.value)
    assert snapshot(warehouse, "stg_unfiltered") == before


def test_a_failing_query_is_an_error_naming_the_file(tmp_path):
    sql_dir = tmp_path / "sql"
    (sql_dir / "marts").mkdir(parents=True)
    path = sql_dir / "marts" / "mart_broken.sql"
    path.write_text("-- description: Reads a missing column.\n\nselect nope from lake.wards\n")
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.refresh_sources({"wards": pa.table({"ward_code": ["00001"]})})
    with pytest.raises(SqlModelError, match="nope") as err:
        warehouse.run_all(load_models(sql_dir))
    assert str(path) in str(err.value)


def test_changed_columns_ask_for_a_full_rebuild(daily_project, tmp_path):
    models, lake, warehouse, _ = daily_project
    warehouse.refresh_sources(open_sources(lake))
    warehouse.run_all(models)
    mart = next(m for m in models if m.name == "mart_daily_encounters")
    mart.sql = mart.sql.replace("count(*) as encounters", "count(*) * 1.0 as encounters")
    with pytest.raises(SqlModelError, match="full"):
        warehouse.run_model(mart, DAYS[0])
    assert warehouse.run_model(mart)["mode"] == "full"
    assert warehouse.column_types()["main.mart_daily_encounters"]["encounters"] != "BIGINT"


def test_refresh_sources_by_day_replaces_those_days_and_whole_reference_tables(tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    visits = pa.table({"service_date": DAYS, "n": [1, 2, 3]})
    wards = pa.table({"ward_code": ["00001", "00002"]})
    warehouse.refresh_sources({"visits": visits, "wards": wards})
    changed = pa.table({"service_date": [*DAYS, DAYS[2]], "n": [10, 20, 30, 31]})
    fewer_wards = pa.table({"ward_code": ["00003"]})
    copied = warehouse.refresh_sources({"visits": changed, "wards": fewer_wards}, dates=[DAYS[2]])
    assert copied == {"visits": 2, "wards": 1}
    assert snapshot(warehouse, "lake.visits") == [
        (DAYS[0], 1),
        (DAYS[1], 2),
        (DAYS[2], 30),
        (DAYS[2], 31),
    ]
    assert snapshot(warehouse, "lake.wards") == [("00003",)]


def test_sources_survive_reopening_the_file(tmp_path):
    lake = tmp_path / "lake"
    silver = write_silver(lake, tables=("referrals",))
    path = tmp_path / "w.duckdb"
    Warehouse(path).refresh_sources(open_sources(lake))
    with duckdb.connect(str(path), read_only=True) as con:
        count = con.execute("select count(*) from lake.referrals").fetchone()[0]
    assert count == silver["referrals"].num_rows
    assert DeltaTable(str(source_paths(lake)["referrals"])).version() == 0


def test_docs_page_lists_every_model_column_and_its_built_type(built, tmp_path):
    warehouse, models, _, _ = built
    page = build_docs(models, tmp_path / "models.html", warehouse.path).read_text()
    types = warehouse.column_types()
    for model in models:
        assert f'id="{model.name}"' in page
        assert escape(model.description) in page
        for column, description in model.columns.items():
            kind = types[f"main.{model.name}"][column]
            assert f"<td><code>{column}</code></td><td>{kind}</td>" in page
            assert escape(description) in page
    assert "not built yet" not in page
