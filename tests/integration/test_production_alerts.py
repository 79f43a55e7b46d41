"""A failed run leaves an alert line naming the facility and the file, and tags the run."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from hanoi_health_lake.automation.alerts import ALERTS_LOG, build_alert, find_culprits
from hanoi_health_lake.automation.sensors import run_failure_alert_sensor
from hanoi_health_lake.checks import ingest_checks
from hanoi_health_lake.parsers.landing_paths import parse_landing_path
from hanoi_health_lake.pipeline.reconcile import RECONCILIATION_SCHEMA
from hanoi_health_lake.resources import LakeResource

DAY = date(2026, 3, 4)
BAD_FACILITY, GOOD_FACILITY = "01058", "01085"
BAD_FILES = [
    f"{BAD_FACILITY}/{DAY}/encounters__20260305T010000.csv",
    f"{BAD_FACILITY}/{DAY}/prescriptions__20260305T010000.csv",
]


def _landing(home: Path) -> Path:
    for rel in [*BAD_FILES, f"{GOOD_FACILITY}/{DAY}/encounters__20260305T020000.csv"]:
        path = home / "landing" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("MA_LK\n1\n")
    return home / "landing"


def _unbalanced_reconciliation() -> pa.Table:
    rows = [  # the first facility delivered 10 encounters but only 9 are accounted for
        (DAY, BAD_FACILITY, "encounters", 1, 0, 10, 8, 1, 0, "r"),
        (DAY, GOOD_FACILITY, "encounters", 1, 0, 5, 5, 0, 0, "r"),
    ]
    return pa.Table.from_pylist(
        [dict(zip(RECONCILIATION_SCHEMA.names, r, strict=True)) for r in rows],
        schema=RECONCILIATION_SCHEMA,
    )


def test_culprits_come_from_check_rows_and_from_paths_in_error_text():
    check = ingest_checks.reconciliation_check(
        "reconciliation", _unbalanced_reconciliation(), {"encounters": 13}, 15
    )
    metadata = {k: v.value for k, v in check.metadata.items()}
    found = find_culprits([metadata], [])
    assert found.facilities == {BAD_FACILITY}
    assert found.files == set()

    with pytest.raises(ValueError) as error:  # a real message from the landing-path validator
        parse_landing_path(f"{GOOD_FACILITY}/{DAY}/encounters__2026.csv")
    found = find_culprits([], [str(error.value)])
    assert found.facilities == {GOOD_FACILITY}
    assert found.files == {f"{GOOD_FACILITY}/{DAY}/encounters__2026.csv"}


def test_a_facility_without_a_named_file_is_listed_with_its_landing_files(tmp_path: Path):
    landing = _landing(tmp_path)
    alert = build_alert(
        run_id="r1",
        job="ingest_job",
        partition=DAY.isoformat(),
        reasons=["check failed\nwith details"],
        culprits=find_culprits([{"rows": [{"facility_code": BAD_FACILITY}]}], []),
        landing=landing,
    )
    assert alert.files == sorted(BAD_FILES)
    assert alert.reasons == ["check failed"]
    line = alert.line(datetime(2026, 3, 5, 9))
    assert f"facilities={BAD_FACILITY} " in line
    assert ",".join(sorted(BAD_FILES)) in line


def _failing_ingest(recon: pa.Table):
    @dg.asset(
        name="reconciliation",
        partitions_def=dg.DailyPartitionsDefinition(start_date="2026-01-01"),
        check_specs=[
            dg.AssetCheckSpec(
                ingest_checks.RECONCILIATION_CHECK, asset="reconciliation", blocking=True
            )
        ],
    )
    def _asset():
        yield dg.Output(None)
        yield ingest_checks.reconciliation_check("reconciliation", recon, {"encounters": 13}, 15)

    return _asset


def test_a_failed_blocking_check_writes_an_alert_naming_facility_and_files(tmp_path: Path):
    _landing(tmp_path)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [_failing_ingest(_unbalanced_reconciliation())],
            instance=instance,
            partition_key=DAY.isoformat(),
            raise_on_error=False,
        )
        assert not result.success  # a blocking check at ERROR severity stops the run
        run = instance.get_run_by_id(result.run_id)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert_sensor",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=run,
        ).for_run_failure()
        run_failure_alert_sensor(context, lake=LakeResource(home=str(tmp_path)))
        tags = instance.get_run_by_id(result.run_id).tags

    lines = (tmp_path / ALERTS_LOG).read_text().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert f"run={result.run_id}" in line and f"partition={DAY}" in line
    assert f"facilities={BAD_FACILITY} " in line
    for rel in BAD_FILES:
        assert rel in line
    assert GOOD_FACILITY not in line
    assert ingest_checks.RECONCILIATION_CHECK in line
    assert tags["hhl/alert_facilities"] == BAD_FACILITY
    assert BAD_FILES[0] in tags["hhl/alert_files"]
