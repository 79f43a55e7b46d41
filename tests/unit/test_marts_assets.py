"""The marts Dagster assets: one per SQL file, wired from the tables each query reads, partitioned
by service day when incremental, and a partition materialised twice gives the same table."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import pyarrow as pa
import pytest
from test_marts_lake import SQL_DIR, query

from hanoi_health_lake.assets.health_book import HEALTH_BOOK_ASSETS
from hanoi_health_lake.assets.ingest import INGEST_ASSETS
from hanoi_health_lake.assets.marts import MART_ASSETS, MARTS_REFRESHED, WAREHOUSE_POOL
from hanoi_health_lake.assets.outbreaks import OUTBREAK_ASSETS
from hanoi_health_lake.assets.reference import REFERENCE_ASSETS
from hanoi_health_lake.benchmarks.lake_tables import reference_tables, write_lake
from hanoi_health_lake.benchmarks.synthetic_day import synthetic_day, synthetic_facilities
from hanoi_health_lake.config import lake_dir, warehouse_path
from hanoi_health_lake.lake.catalog import asset_of
from hanoi_health_lake.partitions import service_day
from hanoi_health_lake.resources import LakeResource, PseudonymizerResource
from hanoi_health_lake.sqlmodels import Warehouse, load_models

MODELS = {m.name: m for m in load_models(SQL_DIR)}
ASSETS = {a.key.to_user_string(): a for a in MART_ASSETS}


def test_one_asset_per_sql_file_in_group_marts_with_the_models_description():
    assert set(ASSETS) == {p.stem for p in SQL_DIR.glob("*/*.sql")} == set(MODELS)
    for name, asset in ASSETS.items():
        spec = next(iter(asset.specs))
        assert spec.group_name == "marts"
        assert spec.kinds == {"duckdb"}
        assert spec.description == MODELS[name].description
        schema = spec.metadata["dagster/column_schema"]
        assert [c.name for c in schema.columns] == list(MODELS[name].columns)
        assert [c.description for c in schema.columns] == list(MODELS[name].columns.values())


def test_dependencies_are_the_models_and_lake_tables_each_query_reads():
    for name, asset in ASSETS.items():
        model = MODELS[name]
        deps = {k.to_user_string() for k in asset.asset_deps[asset.key]}
        # a lake source is the asset that writes it (most are named after their table)
        assert deps == model.depends_on | {asset_of(s) for s in model.sources}, name
    # Lake sources are keyed by their bare table names.
    rules = ASSETS["int_quarantine_rules"]
    assert {k.to_user_string() for k in rules.asset_deps[rules.key]} == {"quarantine"}


def test_incremental_models_are_day_partitioned_and_read_their_lookback_upstream():
    for name, asset in ASSETS.items():
        assert (asset.partitions_def == service_day) == MODELS[name].is_windowed, name
    adherence = ASSETS["mart_appointment_adherence_daily"]
    day = "2026-03-10"
    for upstream, days in (("stg_appointments", 123), ("stg_encounters", 6)):
        mapping = adherence.get_partition_mapping(dg.AssetKey(upstream))
        subset = mapping.get_upstream_mapped_partitions_result_for_partitions(
            service_day.subset_with_partition_keys([day]), service_day, service_day
        ).partitions_subset
        keys = sorted(subset.get_partition_keys())
        assert keys[0] == (date(2026, 3, 10) - timedelta(days=days)).isoformat()
        assert keys[-1] == day and len(keys) == days + 1
    # Without a declared look-back a model reads its inputs' same day.
    same_day = ASSETS["mart_facility_activity_daily"].get_partition_mapping(
        dg.AssetKey("stg_encounters")
    )
    assert not isinstance(same_day, dg.TimeWindowPartitionMapping) or same_day.start_offset == 0


def test_every_upstream_key_is_an_asset_of_the_project():
    defs = dg.Definitions(
        assets=[
            *REFERENCE_ASSETS,
            *INGEST_ASSETS,
            *HEALTH_BOOK_ASSETS,
            *MART_ASSETS,
            MARTS_REFRESHED,
            *OUTBREAK_ASSETS,
        ],
        resources={
            "lake": LakeResource(home="/tmp/x"),
            "pseudonymizer": PseudonymizerResource(key="not-a-real-key-0123"),
        },
    )
    graph = defs.resolve_asset_graph()
    external = [k for k in graph.get_all_asset_keys() if not graph.get(k).is_materializable]
    # the refresh log is appended to by every marts refresh, not built by an asset of its own
    assert external == [dg.AssetKey("marts_refreshed")]
    assert graph.get(dg.AssetKey("reconciliation")).partitions_def == service_day
    assert {asset.op.pool for asset in MART_ASSETS} == {WAREHOUSE_POOL}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    facilities = synthetic_facilities(20, home)
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    per_day = [synthetic_day(d, facilities, encounters=60) for d in days]
    tables = {name: pa.concat_tables([t[name] for t in per_day]) for name in per_day[0]}
    write_lake(lake_dir(home), reference_tables(facilities) | tables)
    return home, tables


def test_materialising_a_partition_twice_gives_the_same_rows(home):
    home, tables = home
    resources = {"lake": LakeResource(home=str(home))}
    selected = ["stg_encounters", "int_deliveries_daily"]
    snapshots = []
    for _ in range(2):
        result = dg.materialize(
            [ASSETS[name] for name in selected], partition_key="2026-03-02", resources=resources
        )
        assert result.success
        warehouse = Warehouse(warehouse_path(home))
        snapshots.append(
            {n: sorted(map(repr, query(warehouse, f"select * from {n}"))) for n in selected}
        )
    assert snapshots[0] == snapshots[1]
    day = pa.compute.equal(tables["encounters"]["service_date"], pa.scalar(date(2026, 3, 2)))
    assert len(snapshots[0]["stg_encounters"]) == pa.compute.sum(day).as_py()
    events = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    encounters = events["stg_encounters"]
    assert encounters["rows_built"].value == encounters["dagster/row_count"].value
    assert encounters["mode"].value == "view"
    types = {c.name: c.type for c in encounters["dagster/column_schema"].schema.columns}
    assert types["service_date"] == "DATE"
