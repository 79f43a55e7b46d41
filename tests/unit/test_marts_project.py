"""The whole SQL project on a synthetic lake of a week: every model builds with its
documented columns, in dependency order, holds no person identifier in a mart, refreshes one
day exactly as a full rebuild computes it, and runs unchanged outside the runner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from test_marts_lake import SQL_DIR, query

from hanoi_health_lake.benchmarks.lake_tables import reference_tables, write_gold, write_lake
from hanoi_health_lake.benchmarks.synthetic_day import synthetic_day, synthetic_facilities
from hanoi_health_lake.lake.delta_io import write_partition
from hanoi_health_lake.sqlmodels import Warehouse, load_models
from hanoi_health_lake.sqlmodels.build import build
from hanoi_health_lake.sqlmodels.loader import find_seeds
from hanoi_health_lake.sqlmodels.sources import source_paths

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(7)]
REFRESHED = DAYS[4]
# Names that identify a person or a record of one; none may be a mart column.
IDENTIFYING = {
    "patient_key",
    "citizen_id",
    "full_name",
    "insurance_number",
    "phone",
    "address_line",
    "patient_local_id",
    "encounter_id",
    "record_id",
    "line_id",
    "appointment_id",
    "referral_id",
    "study_uid",
    "accession_number",
    "prescription_code",
    "doctor_id",
    "payload",
    "locator",
    "source_file",
    "birth_year",
    "prescription_ref",
}


def lake_days(facilities: pa.Table, days: list[date], seed: int) -> dict[str, pa.Table]:
    per_day = [synthetic_day(day, facilities, encounters=60, seed=seed) for day in days]
    return {name: pa.concat_tables([t[name] for t in per_day]) for name in per_day[0]}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    facilities = synthetic_facilities(25, root)
    tables = lake_days(facilities, DAYS, seed=0)
    write_lake(root / "lake", reference_tables(facilities) | tables)
    write_gold(root / "lake", facilities, DAYS)
    models = load_models(SQL_DIR)
    warehouse = Warehouse(root / "warehouse.duckdb")
    results = build(warehouse, root / "lake", models, find_seeds(SQL_DIR))
    return root, facilities, tables, models, warehouse, results


def test_every_model_builds_with_exactly_its_documented_columns(project):
    _, _, _, models, warehouse, results = project
    types = warehouse.column_types()
    assert set(results) == {m.name for m in models}
    for model in models:
        assert results[model.name]["rows"] > 0 or model.name == "mart_laggards", model.name
        assert list(types[f"main.{model.name}"]) == list(model.columns), model.path
        assert all(model.columns.values()), f"{model.path}: a column has no description"
        if model.is_incremental:
            assert types[f"main.{model.name}"]["service_date"] == "DATE", model.path


def test_models_are_built_after_everything_they_read(project):
    _, _, _, models, _, results = project
    position = {name: i for i, name in enumerate(results)}
    for model in models:
        for dependency in model.depends_on:
            assert position[dependency] < position[model.name], (dependency, model.name)


def test_no_mart_holds_a_person_identifier(project):
    _, _, tables, models, warehouse, _ = project
    marts = [m.name for m in models if m.layer == "marts"]
    types = warehouse.column_types()
    keys = set(tables["encounters"]["patient_key"].to_pylist())
    keys |= set(tables["quarantine"]["payload"].to_pylist())
    for mart in marts:
        columns = types[f"main.{mart}"]
        assert not IDENTIFYING & set(columns), mart
        text = [c for c, kind in columns.items() if kind == "VARCHAR"]
        if not text:
            continue
        values = query(warehouse, f"select distinct {', '.join(text)} from {mart}")
        leaked = {v for row in values for v in row.values()} & keys
        assert not leaked, (mart, sorted(leaked)[:3])


def test_surveillance_marts_publish_no_small_ward_count_and_every_gold_row(project):
    root, _, _, _, warehouse, _ = project
    from deltalake import DeltaTable

    gold = {
        name: DeltaTable(str(root / "lake" / "gold" / name)).to_pyarrow_table()
        for name in ("outbreak_signals", "facility_silence")
    }
    signals = query(warehouse, "select * from mart_outbreak_signals_daily")
    assert len(signals) == gold["outbreak_signals"].num_rows > 0
    # A zero identifies nobody; 1 to 4 cases in a ward might, so they are withheld.
    small = [r for r in signals if r["observed"] is not None and 0 < r["observed"] < 5]
    assert all(r["geo_level"] == "city" for r in small), small[:3]
    suppressed = [r for r in signals if r["suppressed"]]
    assert suppressed and all(r["observed"] is None for r in suppressed)
    assert all(r["upperbound"] is None for r in suppressed)
    silence = query(warehouse, "select * from mart_facility_silence_daily")
    assert len(silence) == gold["facility_silence"].num_rows > 0


def incremental_models(models) -> list[str]:
    return [m.name for m in models if m.is_incremental]


def by_day(warehouse: Warehouse, tables: list[str]) -> dict[str, dict[date, list[str]]]:
    """Each table's rows as sorted JSON per service day, read in one session."""
    out: dict[str, dict[date, list[str]]] = {}
    with warehouse.connect(read_only=True) as con:
        for table in tables:
            result = con.execute(f"select * from {table}")
            names = [d[0] for d in result.description]
            days: dict[date, list[str]] = {}
            for values in result.fetchall():
                row = dict(zip(names, values, strict=True))
                days.setdefault(row["service_date"], []).append(
                    json.dumps(row, default=str, sort_keys=True)
                )
            out[table] = {day: sorted(rows) for day, rows in days.items()}
    return out


def test_one_day_refresh_is_idempotent_touches_only_that_day_and_equals_a_full_rebuild(
    project, tmp_path
):
    root, facilities, _, models, _, _ = project
    lake = tmp_path / "lake"
    shutil.copytree(root / "lake", lake)
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    shutil.copy(root / "warehouse.duckdb", warehouse.path)
    names = incremental_models(models)
    before = by_day(warehouse, names)

    # The lake's data for one day changes (a re-delivery); only that day is refreshed, twice.
    changed = lake_days(facilities, [REFRESHED], seed=7)
    paths = source_paths(lake)
    for table, data in changed.items():
        write_partition(paths[table], data, REFRESHED, run_id="redelivery")
    seeds = find_seeds(SQL_DIR)
    first = build(warehouse, lake, models, seeds, REFRESHED, REFRESHED)
    after_first = by_day(warehouse, names)
    build(warehouse, lake, models, seeds, REFRESHED, REFRESHED)
    after_second = by_day(warehouse, names)

    assert after_second == after_first
    assert all(first[name]["mode"] == "incremental" for name in names)
    fresh = Warehouse(tmp_path / "fresh.duckdb")
    build(fresh, lake, models, seeds)
    rebuilt = by_day(fresh, names)
    changed_any = False
    for name in names:
        other_days = set(before[name]) | set(after_first[name])
        for day in other_days - {REFRESHED}:
            assert after_first[name].get(day) == before[name].get(day), (name, day)
        assert after_first[name].get(REFRESHED) == rebuilt[name].get(REFRESHED), name
        changed_any |= after_first[name].get(REFRESHED) != before[name].get(REFRESHED)
    assert changed_any


RUN_FILES = """
import json, sys
from pathlib import Path
import duckdb

warehouse, day, *files = sys.argv[1:]
out = {}
con = duckdb.connect(warehouse, read_only=True)
con.execute(f"SET VARIABLE start_date = DATE '{day}'")
con.execute(f"SET VARIABLE end_date = DATE '{day}'")
for name in files:
    result = con.execute(Path(name).read_text(encoding="utf-8"))
    out[name] = sorted(json.dumps(r, default=str) for r in result.fetchall())
print(json.dumps(out))
"""


def stored(warehouse: Warehouse, model, day: date) -> list[str]:
    where = " where service_date = ?" if model.is_incremental else ""
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(f"select * from {model.name}{where}", [day] if where else []).fetchall()
    return sorted(json.dumps(r, default=str) for r in rows)


def test_each_model_file_runs_unchanged_in_a_read_only_session(project):
    _, _, _, models, warehouse, _ = project
    day = DAYS[-1]
    wanted = [m for m in models if m.layer != "staging"]
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_FILES,
            str(warehouse.path),
            str(day),
            *(str(m.path) for m in wanted),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    outputs = json.loads(proc.stdout)
    for model in wanted:
        assert outputs[str(model.path)] == stored(warehouse, model, day), model.name


def duckdb_cli() -> str | None:
    candidate = Path(sys.executable).parent / "duckdb"
    return str(candidate) if candidate.exists() else shutil.which("duckdb")


@pytest.mark.skipif(duckdb_cli() is None, reason="the duckdb-cli package is not installed")
def test_each_model_file_runs_in_the_duckdb_cli(project, tmp_path):
    _, _, _, models, warehouse, _ = project
    day = DAYS[-1]
    wanted = [m for m in models if m.layer != "staging"]
    # One CLI session: each file's rows go to a file of their own.
    script = [f"SET VARIABLE start_date = DATE '{day}';", f"SET VARIABLE end_date = DATE '{day}';"]
    for model in wanted:
        script += [f".output {tmp_path / model.name}.json", f".read {model.path}"]
    proc = subprocess.run(
        [duckdb_cli(), "-readonly", "-json", str(warehouse.path)],
        input="\n".join(script) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    for model in wanted:
        text = (tmp_path / f"{model.name}.json").read_text(encoding="utf-8")
        rows = json.loads(text) if text.strip() else []
        assert len(rows) == len(stored(warehouse, model, day)), model.name
        assert not rows or list(rows[0]) == list(model.columns), model.name


def _comments(path: Path) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str, str], str]]:
    """Table and column comments as an analyst's own read-only DuckDB session sees them."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() where not internal "
            "union all "  # the staging models are views
            "select schema_name, view_name, comment from duckdb_views() where not internal"
        ).fetchall()
        columns = con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where not internal"
        ).fetchall()
    finally:
        con.close()
    return {(s, t): c for s, t, c in tables}, {(s, t, col): c for s, t, col, c in columns}


def test_every_model_table_and_column_carries_its_header_as_a_duckdb_comment(project):
    _, _, _, models, warehouse, _ = project
    tables, columns = _comments(warehouse.path)
    for model in models:
        assert tables[("main", model.name)].startswith(model.description), model.path
        for column, description in model.columns.items():
            assert columns[("main", model.name, column)].startswith(description), (
                model.path,
                column,
            )
    marts = [key for key in tables if key[0] == "main" and key[1].startswith("mart_")]
    assert len(marts) == len([m for m in models if m.layer == "marts"]) > 10
    undocumented = [k for k, c in columns.items() if k[:2] in marts and not c]
    assert not undocumented
    # Lake copies and seeds say where they come from; instants say how to read them in Hanoi time.
    assert all(c for (schema, _), c in tables.items() if schema == "lake")
    assert all(tables[("main", seed)] for seed in find_seeds(SQL_DIR))
    assert "Asia/Ho_Chi_Minh" in columns[("main", "stg_encounters", "admitted_at")]
    assert "Asia/Ho_Chi_Minh" in columns[("lake", "encounters", "admitted_at")]


def test_comments_survive_a_rebuild_and_a_day_refresh(project):
    _, _, _, models, warehouse, _ = project
    by_name = {m.name: m for m in models}
    table_model = next(m for m in models if m.layer == "marts" and not m.is_incremental)
    incremental = next(m for m in models if m.layer == "marts" and m.is_incremental)
    warehouse.run_model(table_model)  # create or replace: the old comments go with the table
    warehouse.run_model(incremental, REFRESHED)
    tables, columns = _comments(warehouse.path)
    for name in (table_model.name, incremental.name):
        assert tables[("main", name)].startswith(by_name[name].description)
        assert all(columns[("main", name, c)] for c in by_name[name].columns)
