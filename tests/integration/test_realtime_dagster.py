"""The arrival path in Dagster: the sensor asks for a run only when arrivals are pending and
no run is active; `arrivals_job` writes the slices, refreshes those days' marts and records when,
and takes what arrives while it runs in further batches of the same run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from deltalake import DeltaTable

from hanoi_health_lake.automation.realtime import arrivals_job, arrivals_sensor
from hanoi_health_lake.lake.freshness import refreshed_path
from hanoi_health_lake.lake.key_fingerprint import KeyRecord, fingerprint, write_record
from hanoi_health_lake.realtime import arrivals_log
from hanoi_health_lake.resources import LakeResource, PseudonymizerResource
from tests.integration.lake_helpers import INGESTED, TEST_KEY, copy_home, read

FIRST = INGESTED[0]
DRAINED = {"idle_minutes": 0, "batch_minutes": 0}  # end once the log is drained


def _tick(instance, home: Path):
    with dg.build_sensor_context(
        instance=instance, resources={"lake": LakeResource(home=str(home))}
    ) as context:
        return arrivals_sensor(context)


def test_the_sensor_and_the_job_take_a_days_arrivals_to_the_marts(
    simulated_home: Path, tmp_path: Path
):
    home = copy_home(simulated_home, tmp_path / "home")
    landing = home / "landing"
    folders = sorted(p for p in landing.glob(f"*/{FIRST.isoformat()}"))[:3]
    relpaths = [p.relative_to(landing).as_posix() for f in folders for p in sorted(f.iterdir())]
    with dg.instance_for_test() as instance:
        assert isinstance(_tick(instance, home), dg.SkipReason)  # nothing logged yet
        arrivals_log.record_arrivals(arrivals_log.arrivals_dir(home), landing, relpaths)
        asked = _tick(instance, home)
        assert isinstance(asked, dg.RunRequest)
        result = arrivals_job.execute_in_process(
            run_config={"ops": {"arrival_batch": {"config": DRAINED}}},
            instance=instance,
            resources=_resources(home),
        )
        assert result.success
        assert isinstance(_tick(instance, home), dg.SkipReason)  # taken and committed
        marked = instance.fetch_materializations(dg.AssetKey("encounters"), limit=10).records
        assert [r.partition_key for r in marked] == [FIRST.isoformat()]
    files = read(home, "bronze_files")
    assert sorted(files["source_file"]) == sorted(relpaths)  # those slices, nothing else
    assert files["silver_at"].null_count() == 0
    refreshes = pl.from_arrow(DeltaTable(str(refreshed_path(home / "lake"))).to_pyarrow_table())
    assert refreshes["service_date"].to_list() == [FIRST]
    warehouse = home / "warehouse" / "hanoi_health_marts.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        files_in_marts, files_total = con.execute(
            "select sum(files_in_marts), sum(files) from mart_freshness_daily "
            "where service_date = ?",
            [FIRST],
        ).fetchone()
    assert files_total == files.filter(pl.col("arrived_at").is_not_null()).height > 0
    assert files_in_marts == files_total


def _resources(home: Path) -> dict:
    return {
        "lake": LakeResource(home=str(home)),
        "pseudonymizer": PseudonymizerResource(key=TEST_KEY),
    }


# Quiet for 6 s (polled every 0.2 s) ends a run; batches back to back.
DRAINING = {"ops": {"arrival_batch": {"config": {
    "idle_minutes": 0.1, "batch_minutes": 0, "poll_seconds": 0.2,
}}}}  # fmt: skip


def _drain_while_a_second_facility_arrives(
    home: Path, before_second: Callable[[], None] = lambda: None
) -> tuple[dg.ExecuteInProcessResult, list[str], list[str], list[str]]:
    """One facility's files logged, then an `arrivals_job` run; once its first batch has taken
    them, `before_second()` and a second facility's files are logged, within a tenth of a
    second. The run's result, the two facilities' files and the run's closing log lines."""
    landing, log_dir = home / "landing", arrivals_log.arrivals_dir(home)
    folders = sorted(p for p in landing.glob(f"*/{FIRST.isoformat()}"))[:2]
    first, second = (
        [p.relative_to(landing).as_posix() for p in sorted(folder.iterdir())] for folder in folders
    )
    arrivals_log.record_arrivals(log_dir, landing, first)

    def land_second_once_the_first_is_taken() -> None:
        deadline = time.monotonic() + 120
        while arrivals_log.has_pending(log_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        before_second()
        arrivals_log.record_arrivals(log_dir, landing, second)

    lander = threading.Thread(target=land_second_once_the_first_is_taken)
    lander.start()
    with dg.instance_for_test() as instance:
        result = arrivals_job.execute_in_process(
            run_config=DRAINING, instance=instance, resources=_resources(home),
            raise_on_error=False,
        )  # fmt: skip
        lander.join()
        ended = [e.message for e in instance.all_logs(result.run_id) if "run ended" in e.message]
    return result, first, second, ended


def test_a_run_takes_what_arrives_while_it_runs_in_a_further_batch(
    simulated_home: Path, tmp_path: Path
):
    home = copy_home(simulated_home, tmp_path / "home")
    result, first, second, ended = _drain_while_a_second_facility_arrives(home)
    assert result.success
    assert ended == ["2 batches; the run ended (idle)"]
    assert not arrivals_log.has_pending(arrivals_log.arrivals_dir(home))
    files = read(home, "bronze_files")
    assert sorted(files["source_file"]) == sorted(first + second)


def test_a_rekey_while_a_run_drains_fails_it_before_its_next_batch(
    simulated_home: Path, tmp_path: Path
):
    home = copy_home(simulated_home, tmp_path / "home")

    def rekey() -> None:  # what `hhl rekey` records first: the new key, the old one being left
        new_key = fingerprint(b"the-new-key-0123456789abcdef")
        write_record(
            home / "lake", KeyRecord(new_key, rekeying_from=fingerprint(TEST_KEY.encode()))
        )

    result, first, _, ended = _drain_while_a_second_facility_arrives(home, before_second=rekey)
    assert not result.success and ended == []
    failure = result.failure_data_for_node("arrival_batch")
    assert "being re-keyed" in str(failure.error.cause or failure.error)
    # The second facility waits for a run with the new key: nothing under the old one after it.
    assert arrivals_log.has_pending(arrivals_log.arrivals_dir(home))
    files = read(home, "bronze_files")
    assert sorted(files["source_file"]) == sorted(first)
