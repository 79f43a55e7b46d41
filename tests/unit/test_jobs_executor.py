"""Which runs get a process per step: a run that touches the lake does; a run that only builds
the warehouse (one DuckDB writer at a time) runs its steps in the run's own process."""

from __future__ import annotations

import dagster as dg

from hanoi_health_lake.automation.jobs import _builds_only_the_warehouse
from hanoi_health_lake.definitions import defs


def test_the_marts_job_and_a_backfill_of_marts_build_in_one_process():
    assert _builds_only_the_warehouse(defs.resolve_job_def("marts_job"))
    every_asset = defs.resolve_implicit_global_asset_job_def()
    marts = {dg.AssetKey("mart_coverage_daily"), dg.AssetKey("stg_encounters")}
    assert _builds_only_the_warehouse(every_asset.get_subset(asset_selection=marts))


def test_a_run_that_ingests_gets_a_process_per_step():
    assert not _builds_only_the_warehouse(defs.resolve_job_def("ingest_job"))
    every_asset = defs.resolve_implicit_global_asset_job_def()
    assert not _builds_only_the_warehouse(every_asset)
    mixed = {dg.AssetKey("mart_coverage_daily"), dg.AssetKey("health_book_feed")}
    assert not _builds_only_the_warehouse(every_asset.get_subset(asset_selection=mixed))
