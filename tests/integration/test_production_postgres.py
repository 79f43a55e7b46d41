"""Production as operators run it: dagster-webserver and dagster-daemon on PostgreSQL, a backfill
launched through GraphQL, runs in parallel under the pool, a killed run, a late file.

One fresh database per module (`hhl_test_<random>`, dropped afterwards) and two simulated days:
enough for runs to overlap under a queue of three and a day to re-send. The relaunch that must give
identical tables is the rerun of the day whose run was killed, with the other day left as the first
backfill wrote it (a rerun replaces its day's partitions whatever the other days hold): one
backfill proves both, where each day of a backfill costs a run process and its serialised ingest
on a loaded 2-core machine (docs/testing.md, "Speed"; a third day and a second relaunched one
were about 60 s of the suite's longest module).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from deltalake import DeltaTable

from hanoi_health_lake.assets.ingest import SPECS as INGEST_SPECS
from hanoi_health_lake.assets.marts import SQL_DIR
from hanoi_health_lake.assets.reference import REFERENCE_ASSETS
from hanoi_health_lake.automation.alerts import ALERTS_LOG
from hanoi_health_lake.automation.services import (
    Services,
    free_port,
    prepare_instance,
    start_services,
)
from hanoi_health_lake.instance import InstanceSettings
from hanoi_health_lake.lake.locks import table_writer_lock
from hanoi_health_lake.resources import LakeResource
from hanoi_health_lake.simulator.run import simulate
from hanoi_health_lake.sqlmodels import load_models
from tests.integration.lake_helpers import (
    ZONES,
    committed_partitions,
    day_text,
    ground_truth,
    read,
    table_path,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
FIRST = date(2026, 3, 1)
DAYS = [(FIRST + timedelta(days=i)).isoformat() for i in range(2)]
KILLED = DAYS[1]
RELAUNCHED = [KILLED]  # the relaunch is the killed day's rerun
INGEST_STEP = "ingest_service_day"
# A safety net against a hang, not a speed limit: on an idle 2-core machine a backfill takes about
# two minutes, but with the machine shared by eight engineers (load average 30) the ingest of the
# three days alone took over 900 s.
TIMEOUT = 2400
# Dagster's backfill daemon looks at its backfills every 30 s, a constant with no setting
# (dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS). Each backfill here waits for it
# two to four times (to submit its runs, to submit the next layer, to see it finished), which was
# minutes of idle waiting per module; the test's daemon looks every few seconds instead. Only the
# cadence changes: the daemon, its code and what it decides are the ones operators run.
DAEMON_INTERVAL_SECONDS = 5
# A sitecustomize.py on the services' PYTHONPATH: every Python process they start reads it, and
# it acts in the daemon alone.
DAEMON_CADENCE = f"""import sys

if sys.argv and sys.argv[0].endswith("dagster-daemon"):
    import dagster._daemon.controller

    dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS = {DAEMON_INTERVAL_SECONDS}
"""
DEFS_MODULE = '''"""The project's assets and automation; the landing sensor waits for a test."""
import dagster as dg

from hanoi_health_lake.automation.jobs import BOUNDED_EXECUTOR, JOBS
from hanoi_health_lake.automation.sensors import build_landing_sensor, run_failure_alert_sensor
from hanoi_health_lake.definitions import defs as project

defs = dg.Definitions(
    assets=project.assets,
    asset_checks=project.asset_checks,
    resources=project.resources,
    jobs=JOBS,
    executor=BOUNDED_EXECUTOR,
    sensors=[
        build_landing_sensor(
            minimum_interval_seconds=5,
            settle_seconds=1,
            watch_days=3650,  # the simulated week lies in the past
            default_status=dg.DefaultSensorStatus.STOPPED,
        ),
        run_failure_alert_sensor,
    ],
)
'''
LAUNCH = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }"""
BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
    __typename ... on PartitionBackfill { status } ... on Error { message } } }"""
SENSOR = """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) {
    __typename ... on Sensor { sensorState { status ticks(limit: 20) {
      status timestamp runIds skipReason } } } ... on Error { message } } }"""
START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) {
    __typename ... on Sensor { name } ... on Error { message } } }"""
LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"""
RUNNING = {"REQUESTED", "CANCELING", "FAILING"}
# The day-partitioned marts; the backfill builds them after the ingest of their days.
DAILY_MARTS = sorted(m.name for m in load_models(SQL_DIR) if m.is_incremental)
# The staging views are day-partitioned too (day D shows the lake days it reads): the backfill
# refreshes them for its days with the marts, not for every day since the first partition.
DAILY_MODELS = sorted(m.name for m in load_models(SQL_DIR) if m.is_windowed)
# What the daily marts read besides the ingest: reference tables and the unpartitioned models.
WHOLE_MODELS = sorted(m.name for m in load_models(SQL_DIR) if not m.is_windowed)
REFERENCE = sorted(k.to_user_string() for a in REFERENCE_ASSETS for k in a.keys)


@dataclass
class Stack:
    home: Path
    services: Services
    instance: dg.DagsterInstance

    def selector(self, sensor: str) -> dict:
        entries = self.services.graphql(LOCATIONS)["workspaceOrError"]["locationEntries"]
        return {
            "repositoryLocationName": entries[0]["name"],
            "repositoryName": "__repository__",
            "sensorName": sensor,
        }


def _wait(what: str, condition: Callable[[], object], timeout: float = TIMEOUT):
    """Poll `condition` every second until it holds. One poll whose GraphQL answer took longer than
    its 30 s (the webserver starved on a loaded machine) counts as "not yet", not as a failure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = condition()
        except (TimeoutError, ConnectionError, urllib.error.URLError):
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


@pytest.fixture(scope="module")
def database():
    psycopg2 = pytest.importorskip("psycopg2")
    from psycopg2 import sql

    name = f"hhl_test_{secrets.token_hex(4)}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


@pytest.fixture(scope="module")
def stack(database: str, tmp_path_factory: pytest.TempPathFactory):
    saved = dict(os.environ)
    root = tmp_path_factory.mktemp("production")
    home = root / "home"
    simulate(FIRST, len(DAYS), "tiny", seed=3, out=home, fault_rate=0.02)
    for var in ("DAGSTER_HOME", "HHL_PG_URL", "HHL_PG_PASSWORD"):
        os.environ.pop(var, None)
    os.environ.update(
        HHL_PG_HOST=PG["host"], HHL_PG_PORT=PG["port"], HHL_PG_USER=PG["user"], HHL_PG_DB=database
    )
    directory = prepare_instance(home, "production", InstanceSettings(max_concurrent_runs=3))
    (root / "stack_defs.py").write_text(DEFS_MODULE)
    (root / "cadence").mkdir()
    (root / "cadence" / "sitecustomize.py").write_text(DAEMON_CADENCE)
    path = [str(root / "cadence"), *filter(None, [os.environ.get("PYTHONPATH")])]
    services = start_services(
        port=free_port(),
        target=["-f", str(root / "stack_defs.py"), "-a", "defs"],
        log_dir=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
    )
    instance = None
    try:
        services.wait_until_ready()
        instance = dg.DagsterInstance.from_config(str(directory))
        yield Stack(home, services, instance)
    finally:
        services.stop()
        if instance is not None:
            instance.dispose()
        os.environ.clear()
        os.environ.update(saved)


# The ingest is one multi-asset: a backfill selects every table it writes (identities too).
INGEST_ASSETS = [spec.key.to_user_string() for spec in INGEST_SPECS]


def _backfill(stack: Stack, days: list[str], assets: list[str] = INGEST_ASSETS) -> str:
    """As the UI's Materialize → partitions → Launch backfill asks for it."""
    params = {"partitionNames": days, "assetSelection": [{"path": [a]} for a in assets]}
    return _launch(stack, params)


def _backfill_exactly(stack: Stack, days: list[str], assets: list[str], inputs: bool = True) -> str:
    """Those days of each asset and no others, with (`inputs`) the unpartitioned models they read:
    a backfill by partition names also targets the later days that look back on them (appointment
    adherence: 123 days), in many more runs."""
    span = {"range": {"start": days[0], "end": days[-1]}}
    selection = [{"assetKey": {"path": [a]}, "partitions": span} for a in assets]
    if inputs:
        selection += [{"assetKey": {"path": [a]}} for a in [*REFERENCE, *WHOLE_MODELS]]
    return _launch(stack, {"partitionsByAssets": selection})


def _launch(stack: Stack, params: dict) -> str:
    answer = stack.services.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert answer["__typename"] == "LaunchBackfillSuccess", answer
    return answer["backfillId"]


def _finish(stack: Stack, backfill_id: str) -> str:
    def status():
        answer = stack.services.graphql(BACKFILL, {"id": backfill_id})
        found = answer["partitionBackfillOrError"]["status"]
        return None if found in RUNNING else found

    return _wait(f"backfill {backfill_id}", status)


def _backfill_days(
    stack: Stack, days: list[str] = DAYS, inputs: bool = True
) -> tuple[str, str, str]:
    """Ingest backfill of the days, then the marts' backfill of exactly the same days (with the
    unpartitioned models they read, unless `inputs` is False: a relaunch finds them built).

    In one backfill Dagster would start the marts of each day as soon as that day's ingest run
    ends, in many small runs queued on the warehouse pool; after the ingest they take one run.
    Returns (ingest backfill id, its status, the marts' backfill status).
    """
    ingest = _backfill(stack, days)
    status = _finish(stack, ingest)
    marts = _finish(stack, _backfill_exactly(stack, days, DAILY_MODELS, inputs))
    return ingest, status, marts


def _runs(stack: Stack, backfill_id: str) -> list[dg.RunRecord]:
    return list(
        stack.instance.get_run_records(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
    )


def _marts(home: Path) -> dict[str, pl.DataFrame]:
    """Every day-partitioned mart as analysts read it, from the DuckDB file."""
    path = home / "warehouse" / "hanoi_health.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        frames = {name: con.sql(f"select * from main.{name}").pl() for name in DAILY_MARTS}
    return {name: frame.sort(frame.columns) for name, frame in frames.items()}


def _content(home: Path, name: str, days: list[str]) -> pl.DataFrame:
    frame = day_text(read(home, name)).filter(pl.col("service_date").is_in(days)).drop("run_id")
    return frame.sort(frame.columns)


def _step_window(instance: dg.DagsterInstance, run_id: str) -> tuple[float, float]:
    events = instance.all_logs(
        run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    )
    times = sorted(e.timestamp for e in events if e.step_key == INGEST_STEP)
    assert len(times) == 2, (run_id, times)
    return times[0], times[1]


def _most_at_once(windows: list[tuple[float, float]]) -> int:
    edges = sorted([(a, 1) for a, _ in windows] + [(b, -1) for _, b in windows])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def _commits(home: Path, name: str) -> list[dict]:
    return [h for h in DeltaTable(str(table_path(home, name))).history() if "run_id" in h]


@pytest.fixture(scope="module")
def backfilled(stack: Stack):
    """The days backfilled once through GraphQL, as the UI's Materialize → range does it: the
    ingest, then the daily marts built on it (see `_backfill_days`)."""
    return _backfill_days(stack)


def test_the_production_instance_has_postgres_storage_a_run_queue_and_a_pool_of_one(stack: Stack):
    instance = stack.instance
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 3
    assert instance.global_op_concurrency_default_limit == 1
    assert instance.event_log_storage.supports_global_concurrency_limits


def test_a_backfill_is_one_run_per_day_and_lands_every_record(stack: Stack, backfilled):
    backfill_id, status, _ = backfilled
    assert status == "COMPLETED_SUCCESS"
    runs = _runs(stack, backfill_id)
    assert sorted(r.dagster_run.tags["dagster/partition"] for r in runs) == DAYS
    assert {r.dagster_run.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
    for name in ZONES:
        assert committed_partitions(stack.home, name) == DAYS, name
    rec = read(stack.home, "reconciliation")
    assert (rec["delivered"] == rec["accepted"] + rec["quarantined"] + rec["superseded"]).all()
    truth = ground_truth(stack.home, "clean_counts").filter(pl.col("delivered") > 0)
    got = day_text(rec).filter(pl.col("delivered") > 0)
    keys = ["facility_code", "dataset", "service_date"]
    measures = ["delivered", "accepted", "quarantined", "superseded"]
    assert got.select(*keys, *measures).sort(keys).equals(truth.select(*keys, *measures).sort(keys))


def test_the_backfill_builds_the_daily_marts_for_exactly_those_days(stack: Stack, backfilled):
    assert backfilled[2] == "COMPLETED_SUCCESS"
    marts = _marts(stack.home)
    assert set(marts) == set(DAILY_MARTS)
    for name, frame in marts.items():
        found = sorted({d.isoformat() for d in frame["service_date"].to_list()})
        assert set(found) <= set(DAYS), (name, found)
    for name in ("mart_coverage_daily", "mart_data_quality_daily", "mart_facility_activity_daily"):
        assert sorted({d.isoformat() for d in marts[name]["service_date"]}) == DAYS, name
    # The coverage mart counts exactly what the lake holds, per facility, dataset and day.
    keys = ["facility_code", "dataset", "service_date"]
    coverage = (
        day_text(marts["mart_coverage_daily"])
        .filter(pl.col("is_delivered"))
        .select(*keys, pl.col("records_accepted").alias("accepted"))
    )
    rec = day_text(read(stack.home, "reconciliation")).group_by(keys).agg(pl.col("accepted").sum())
    joined = coverage.join(rec, on=keys, how="left", suffix="_lake")
    assert joined.height > 0
    assert joined.filter(pl.col("accepted") != pl.col("accepted_lake").fill_null(0)).is_empty()


def test_runs_overlap_but_writers_of_one_table_never_do(stack: Stack, backfilled):
    runs = _runs(stack, backfilled[0])
    lifetimes = [(r.start_time, r.end_time) for r in runs]
    assert _most_at_once(lifetimes) >= 2, "the queue never had two runs in progress at once"
    steps = {r.dagster_run.run_id: _step_window(stack.instance, r.dagster_run.run_id) for r in runs}
    assert _most_at_once(list(steps.values())) == 1, "two ingest steps ran at the same time"
    for name in ZONES:
        commits = [c for c in _commits(stack.home, name) if c["run_id"] in steps]
        assert len(commits) == len(DAYS), name
        for commit in commits:  # each write happened inside its own run's (exclusive) step
            start, end = steps[commit["run_id"]]
            assert start <= commit["timestamp"] / 1000 <= end, (name, commit)


def _step_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_WORKER_STARTED):
        if event.step_key == INGEST_STEP:
            return int(event.dagster_event.event_specific_data.metadata["pid"].value)
    return None


@dataclass
class Killed:
    run_id: str
    backfill_status: str
    tables: dict[str, pl.DataFrame]  # every lake table's days, as the backfill left them
    marts: dict[str, pl.DataFrame]  # the daily marts, as the backfill left them


@pytest.fixture(scope="module")
def killed(stack: Stack, backfilled) -> Killed:
    """The run of one backfilled day, killed (SIGKILL) while it writes: it holds every other
    table's commit of the day and waits for the lock of the last one, which the test holds."""
    tables = {name: _content(stack.home, name, DAYS) for name in ZONES}
    marts = _marts(stack.home)
    last = LakeResource(home=str(stack.home)).table("audit", "reconciliation")
    with table_writer_lock(last):  # the run writes every other table, then waits here
        backfill = _backfill(stack, [KILLED])
        run_id = _wait("the run", lambda: [r.dagster_run.run_id for r in _runs(stack, backfill)])[0]
        _wait("bronze_files commit", lambda: any(
            c["run_id"] == run_id for c in _commits(stack.home, "bronze_files")
        ))  # fmt: skip
        os.kill(_step_pid(stack.instance, run_id), signal.SIGKILL)
    return Killed(run_id, _finish(stack, backfill), tables, marts)


def test_a_run_killed_while_writing_fails_leaves_every_table_readable_and_alerts(
    stack: Stack, killed: Killed
):
    assert killed.backfill_status != "COMPLETED_SUCCESS"
    assert stack.instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
    assert not any(c["run_id"] == killed.run_id for c in _commits(stack.home, "reconciliation"))
    assert any(c["run_id"] == killed.run_id for c in _commits(stack.home, "bronze_files"))
    for name in ZONES:  # every table stays readable
        read(stack.home, name)
    alerts = _wait("the alert", lambda: [
        line for line in (stack.home / ALERTS_LOG).read_text().splitlines() if killed.run_id in line
    ] if (stack.home / ALERTS_LOG).exists() else None, timeout=120)  # fmt: skip
    assert f"partition={KILLED}" in alerts[0] and "SIGKILL" in alerts[0]


def test_launching_the_backfill_again_completes_the_killed_day_and_gives_identical_tables(
    stack: Stack, killed: Killed
):
    """The relaunch of the killed run's day: every table and daily mart is again what the first
    backfill made (the killed run's partial writes replaced, the other day untouched)."""
    versions = {name: DeltaTable(str(table_path(stack.home, name))).version() for name in ZONES}
    _, ingest, marts = _backfill_days(stack, RELAUNCHED, inputs=False)
    assert (ingest, marts) == ("COMPLETED_SUCCESS", "COMPLETED_SUCCESS")
    for name in ZONES:
        expected = versions[name] + len(RELAUNCHED)
        assert DeltaTable(str(table_path(stack.home, name))).version() == expected
        assert _content(stack.home, name, DAYS).equals(killed.tables[name]), name
    marts_after = _marts(stack.home)
    for name in DAILY_MARTS:
        assert marts_after[name].equals(killed.marts[name]), name


def _landing_runs(stack: Stack) -> list[dg.RunRecord]:
    return list(stack.instance.get_run_records(dg.RunsFilter(tags={"hhl/trigger": "landing"})))


def _ticks(stack: Stack, selector: dict) -> list[dict]:
    answer = stack.services.graphql(SENSOR, {"s": selector})["sensorOrError"]
    return answer["sensorState"]["ticks"]


def test_the_daemon_sensor_reruns_only_the_day_of_a_late_file(stack: Stack, backfilled):
    selector = stack.selector("landing_sensor")
    answer = stack.services.graphql(START_SENSOR, {"s": selector})["startSensor"]
    assert answer["__typename"] == "Sensor", answer
    _wait("a first tick", lambda: [t for t in _ticks(stack, selector) if t["status"] != "STARTED"])
    assert _landing_runs(stack) == []  # every day was ingested after its files arrived

    day = DAYS[1]
    landing = stack.home / "landing"
    source = sorted(landing.glob(f"*/{day}/encounters__*.csv"))[0]
    late = source.with_name(
        f"encounters__{date.fromisoformat(day) + timedelta(days=7):%Y%m%d}T090000.csv"
    )
    shutil.copyfile(source, late)  # the facility re-sends the day a week later

    runs = _wait("the sensor's run", lambda: _landing_runs(stack))
    assert [r.dagster_run.tags["dagster/partition"] for r in runs] == [day]
    run_id = runs[0].dagster_run.run_id
    _wait("the run to finish", lambda: stack.instance.get_run_by_id(run_id).is_finished)
    assert stack.instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
    files = read(stack.home, "bronze_files")
    assert late.relative_to(landing).as_posix() in files["source_file"].to_list()

    seen = time.time()
    _wait("a later tick", lambda: [t for t in _ticks(stack, selector) if t["timestamp"] > seen + 1])
    assert len(_landing_runs(stack)) == 1  # the same files are not ingested twice
