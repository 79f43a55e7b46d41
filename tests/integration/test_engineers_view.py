"""What a data engineer meets in the Dagster UI after `hhl run`: runs under the jobs' names, every
check described and evaluated once per service day (no Skipped twin), failing rows readable."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow as pa

from hanoi_health_lake.assets.ingest import CHECK_SPECS
from hanoi_health_lake.checks import ingest_checks
from hanoi_health_lake.contracts.validate import RuleResult
from hanoi_health_lake.instance import open_instance
from hanoi_health_lake.reference.registry import load_registry
from tests.integration.lake_helpers import INGESTED, read

DAYS = {INGESTED[0].isoformat(), "2026-03-02", INGESTED[1].isoformat()}


def test_every_check_has_a_description_and_the_service_day_partitions():
    for spec in CHECK_SPECS:
        assert spec.description and len(spec.description) > 40, spec.name
        assert spec.partitions_def is not None, spec.name
        assert spec.partitions_def.get_partition_keys_in_range(
            dg.PartitionKeyRange(min(DAYS), max(DAYS))
        ) == sorted(DAYS)


def test_each_check_is_evaluated_once_per_service_day_and_none_is_left_skipped(
    ingested_home: Path,
):
    with open_instance(ingested_home) as instance:
        for spec in CHECK_SPECS:
            history = instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(spec.asset_key, spec.name), limit=100
            )
            statuses = {record.status.value for record in history}
            assert statuses <= {"SUCCEEDED", "FAILED"}, (spec.name, statuses)
            found = sorted(r.partition for r in history)
            assert found == sorted(DAYS), (spec.name, found, [r.run_id for r in history])


def test_runs_carry_the_names_of_the_jobs_they_ran(ingested_home: Path):
    with open_instance(ingested_home) as instance:
        runs = instance.get_runs()
    jobs = [run.job_name for run in runs]
    assert jobs.count("ingest_job") == len(DAYS)
    assert "marts_job" in jobs
    assert not [j for j in jobs if j.startswith("__")]


def test_contract_check_rows_name_facility_and_file_in_a_markdown_table(ingested_home: Path):
    quarantine = read(ingested_home, "quarantine").filter(pl.col("dataset") == "encounters")
    assert quarantine.height
    names = dict(
        load_registry(ingested_home / "registry" / "facilities.csv")
        .select("facility_code", "name")
        .iter_rows()
    )
    rules = {"R1": RuleResult("R1", "validity", "error", 100, 40, 0.6, False, 40)}
    result = ingest_checks.contract_check(
        "encounters", rules, "encounters_suite", quarantine.to_arrow(), "encounters", names
    )
    assert not result.passed
    table = result.metadata["files_with_most_rejections"]
    assert isinstance(table, dg.MarkdownMetadataValue)
    worst = quarantine.group_by("facility_code", "source_file").len().sort("len").row(-1)
    line = next(row for row in table.value.splitlines() if worst[1] in row)
    assert worst[0] in line and names[worst[0]] in line and f"| {worst[2]} |" in line
    assert "len" not in table.value.splitlines()[0]
    rule_table = result.metadata["rejections_by_rule"].value
    assert "| R1 | validity | 100 | 40 |" in rule_table


def test_reconciliation_rows_that_do_not_add_up_show_as_a_table():
    rows = [
        {"facility_code": "01058", "dataset": "encounters", "delivered": 10, "accepted": 8,
         "quarantined": 1, "superseded": 0},
    ]  # fmt: skip
    recon = pa.Table.from_pylist(rows)
    result = ingest_checks.reconciliation_check(
        "reconciliation", recon, {"encounters": 8}, 10, {"01058": "Trạm Y tế Xã Tiến Thắng"}
    )
    assert not result.passed
    text = result.metadata["unbalanced_rows"].value
    assert "| 01058 | Trạm Y tế Xã Tiến Thắng | encounters | 10 | 8 | 1 | 0 |" in text
