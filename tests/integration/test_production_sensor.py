"""The landing sensor asks for exactly the days whose files changed, once; the schedule asks for
yesterday at 09:00 Hanoi time; the jobs pick assets up by group."""

from __future__ import annotations

import json
import os
import time
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.utils import make_new_run_id

from hanoi_health_lake.assets.ingest import INGEST_ASSETS, TABLES
from hanoi_health_lake.assets.marts import MART_ASSETS
from hanoi_health_lake.assets.reference import REFERENCE_ASSETS
from hanoi_health_lake.automation.jobs import BOUNDED_EXECUTOR, JOBS
from hanoi_health_lake.automation.schedules import SCHEDULES
from hanoi_health_lake.automation.sensors import SENSORS, build_landing_sensor
from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.resources import LakeResource, default_resources

HOUR = 3600
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]


def _drop(home: Path, rel: str, *, age: float = HOUR, text: str = "x") -> Path:
    path = home / "landing" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    when = time.time() - age
    os.utime(path, (when, when))
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    for day in DAYS:
        _drop(tmp_path, f"01058/{day}/encounters__{day.replace('-', '')}T230000.csv")
        _drop(tmp_path, f"01085/{day}/appointments__{day.replace('-', '')}T230000.json")
    _drop(tmp_path, "01058/2024-12-31/encounters__20250101T010000.csv")  # before the partitions
    # Not a service day: placed on the day it arrived, today in Hanoi, which is no partition
    # yet. (An hour old, it fell on yesterday from 00:00 to 01:00 Hanoi time, and was asked for.)
    _drop(tmp_path, "01058/notes/readme.txt", age=0)
    return tmp_path


def _sensor(**kwargs) -> dg.SensorDefinition:
    """The landing sensor watching far enough back to see the fixed days above."""
    return build_landing_sensor(watch_days=(date.today() - date(2024, 1, 1)).days, **kwargs)


def _tick(sensor, instance, home: Path, cursor: str | None):
    # As a context manager: a context left open resets Dagster's current instance storage to a
    # disposed one when it is garbage-collected, which breaks every later definitions load.
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"lake": LakeResource(home=str(home))}
    ) as context:
        return sensor(context)


def _asked(result) -> dict[str, str]:
    return {r.partition_key: r.run_key for r in result.run_requests}


def test_first_tick_asks_for_every_service_day_then_nothing_until_a_file_changes(home: Path):
    sensor = _sensor(settle_seconds=60)
    with dg.instance_for_test() as instance:
        first = _tick(sensor, instance, home, None)
        assert sorted(_asked(first)) == DAYS
        assert all(key.startswith(f"{day}:") for day, key in _asked(first).items())
        again = _tick(sensor, instance, home, first.cursor)
        assert again.run_requests == [] and again.skip_reason

        _drop(home, "01085/2026-03-01/encounters__20260308T090000.csv")  # a late file, a week on
        late = _tick(sensor, instance, home, again.cursor)
        assert list(_asked(late)) == ["2026-03-01"]
        assert _asked(late)["2026-03-01"] != _asked(first)["2026-03-01"]
        assert _tick(sensor, instance, home, late.cursor).run_requests == []


def test_a_corrected_file_of_the_same_name_counts_as_a_change(home: Path):
    sensor = _sensor(settle_seconds=60)
    with dg.instance_for_test() as instance:
        first = _tick(sensor, instance, home, None)
        _drop(home, "01058/2026-03-02/encounters__20260302T230000.csv", text="corrected")
        assert list(_asked(_tick(sensor, instance, home, first.cursor))) == ["2026-03-02"]


def test_a_file_still_being_written_waits_for_the_settle_time(home: Path):
    sensor = _sensor(settle_seconds=60)
    with dg.instance_for_test() as instance:
        first = _tick(sensor, instance, home, None)
        path = _drop(home, "01058/2026-03-03/prescriptions__20260304T080000.csv", age=0)
        waiting = _tick(sensor, instance, home, first.cursor)
        assert waiting.run_requests == []
        assert "2026-03-03" in waiting.skip_reason.skip_message
        old = time.time() - 120
        os.utime(path, (old, old))
        assert list(_asked(_tick(sensor, instance, home, waiting.cursor))) == ["2026-03-03"]


def test_the_run_key_depends_only_on_the_files_so_a_lost_cursor_runs_nothing_twice(home: Path):
    sensor = _sensor()
    with dg.instance_for_test() as instance:
        assert _asked(_tick(sensor, instance, home, None)) == _asked(
            _tick(sensor, instance, home, None)
        )


def test_on_a_fresh_cursor_days_ingested_after_their_files_count_as_seen(home: Path):
    sensor = _sensor()
    with dg.instance_for_test() as instance:
        for day in DAYS[:2]:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key="bronze_files", partition=day)
            )
        assert list(_asked(_tick(sensor, instance, home, None))) == [DAYS[2]]


def test_days_older_than_the_watch_window_are_neither_listed_nor_kept_in_the_cursor(home: Path):
    recent = (datetime.now(ZoneInfo(TIMEZONE)).date() - timedelta(days=3)).isoformat()
    _drop(home, f"01058/{recent}/encounters__{recent.replace('-', '')}T230000.csv")
    with dg.instance_for_test() as instance:
        wide = _tick(_sensor(), instance, home, None)
        assert sorted(_asked(wide)) == [*DAYS, recent]
        narrow = _tick(build_landing_sensor(watch_days=10), instance, home, wide.cursor)
    assert list(_asked(narrow)) == []  # nothing new in the window
    assert list(json.loads(narrow.cursor)["days"]) == [recent]


@dg.asset(
    group_name="reports",
    partitions_def=dg.WeeklyPartitionsDefinition(start_date="2025-01-06", timezone=TIMEZONE),
)
def weekly_report() -> None:
    """A report of another partitioning in one of the daily job's groups."""


def _defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[*REFERENCE_ASSETS, *INGEST_ASSETS, *MART_ASSETS, weekly_report],
        resources=default_resources(),
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        executor=BOUNDED_EXECUTOR,
    )


def test_the_daily_schedule_runs_yesterday_at_nine_in_hanoi():
    defs = _defs()
    schedule = defs.resolve_schedule_def("daily_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 9 * * *", TIMEZONE)
    at = datetime(2026, 3, 5, 9, 0, tzinfo=ZoneInfo(TIMEZONE))
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(instance=instance, scheduled_execution_time=at) as context,
    ):
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-03-04"]


def _job_assets(defs: dg.Definitions, name: str) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_job_def(name).asset_layer.selected_asset_keys}


def test_jobs_select_by_group_so_marts_join_the_marts_job_and_not_the_ingest():
    with dg.instance_for_test():  # loading definitions looks for the current instance
        defs = _defs()
        ingest, marts_job = _job_assets(defs, "ingest_job"), _job_assets(defs, "marts_job")
    assert ingest == set(TABLES) | {"identities"}  # the ingest multi-asset writes identities too
    marts = {k.to_user_string() for a in MART_ASSETS for k in a.keys}
    assert marts and marts <= marts_job and not marts & ingest
    assert {"facilities", "wards"} <= marts_job and not set(TABLES) & marts_job
    assert "weekly_report" not in marts_job  # left out, rather than failing the whole location


def test_the_real_jobs_resolve_without_any_python_warning():
    """Each job holds one backfill policy: no "varying BackfillPolicies" warning on every load
    of the code location (the serve log printed it every minute)."""
    from hanoi_health_lake.definitions import defs as real

    # A fresh Definitions of the real parts: resolving is cached per Definitions object.
    defs = dg.Definitions(assets=real.assets, jobs=real.jobs, resources=real.resources)
    with dg.instance_for_test(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("ingest_job", "marts_job"):
            defs.resolve_job_def(name)
    dagster_warnings = [str(w.message) for w in caught if "dagster" in w.filename]
    assert not dagster_warnings


def _ingest_run(tags: dict[str, str]) -> dg.DagsterRun:
    return dg.DagsterRun(
        job_name="ingest_job",
        run_id=make_new_run_id(),
        tags={"dagster/partition": "2026-03-04", **tags},
    )


def _after_success(sensor, runs: list[dg.DagsterRun]) -> dict:
    """What `sensor` asks for after each of `runs` succeeded, by run id."""
    asked = {}
    with dg.instance_for_test() as instance:
        for run in runs:
            context = dg.build_run_status_sensor_context(
                sensor_name=sensor.name,
                dagster_event=dg.DagsterEvent(
                    event_type_value=dg.DagsterEventType.RUN_SUCCESS.value,
                    job_name="ingest_job",
                ),
                dagster_instance=instance,
                dagster_run=run,
            )
            asked[run.run_id] = sensor(context)
    return asked


def test_the_schedules_successful_ingest_asks_for_the_same_days_marts():
    from hanoi_health_lake.automation.schedules import marts_after_ingest_sensor

    scheduled = _ingest_run({"dagster/schedule_name": "daily_schedule"})
    by_hand = _ingest_run({})
    asked = _after_success(marts_after_ingest_sensor, [scheduled, by_hand])
    request = asked[scheduled.run_id]
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2026-03-04"
    assert request.run_key == f"marts-after-{scheduled.run_id}"
    assert isinstance(asked[by_hand.run_id], dg.SkipReason)


def test_a_successful_ingest_loads_its_day_into_the_lookup_store_only_where_one_is_set(
    monkeypatch: pytest.MonkeyPatch,
):
    from hanoi_health_lake.automation.lookup_chain import lookup_after_ingest_sensor
    from hanoi_health_lake.lookup.settings import DSN_ENV

    run, undated = _ingest_run({}), dg.DagsterRun(job_name="ingest_job", run_id=make_new_run_id())
    monkeypatch.delenv(DSN_ENV, raising=False)
    without = _after_success(lookup_after_ingest_sensor, [run])[run.run_id]
    assert isinstance(without, dg.SkipReason) and DSN_ENV in without.skip_message
    monkeypatch.setenv(DSN_ENV, "postgresql://127.0.0.1/none")
    asked = _after_success(lookup_after_ingest_sensor, [run, undated])
    request = asked[run.run_id]
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2026-03-04"
    assert request.run_key == f"lookup-after-{run.run_id}"
    assert request.tags["hhl/after_ingest_run"] == run.run_id
    assert isinstance(asked[undated.run_id], dg.SkipReason)
