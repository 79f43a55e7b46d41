"""`hhl run` stops when told to, and a lake-level fault fails the day by naming the table;
in both cases nothing runs on top of the failed day."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterRunStatus

from hanoi_health_lake.instance import open_instance
from hanoi_health_lake.lake.completion import completed_days
from tests.integration.lake_helpers import INGESTED, START, copy_home, table_path

FIRST, LAST = INGESTED


def _hhl_run(home: Path, first, last, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hanoi_health_lake.cli", "run", "--from", str(first), "--to",
         str(last)],
        # DAGSTER_HOME (set by any open_instance in this process) would override HHL_HOME's own.
        env={**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}, "HHL_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_day_stops_the_run_with_no_further_day_or_mart(
    simulated_home: Path, tmp_path: Path, signum: signal.Signals, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # open_instance below sets it
    home = copy_home(simulated_home, tmp_path / "home")
    log = tmp_path / "stderr.txt"
    proc = _hhl_run(home, START, START + timedelta(days=2), log)
    deadline = time.monotonic() + 300
    while f"{START}: ingesting" not in log.read_text() and proc.poll() is None:
        assert time.monotonic() < deadline, "the first day never started"
        time.sleep(0.05)
    time.sleep(2)  # well inside the day's ingest
    proc.send_signal(signum)
    sent = time.monotonic()
    code = proc.wait(timeout=120)
    stopped_after = time.monotonic() - sent
    err = log.read_text()

    assert code == 128 + signum, err[-2000:]
    assert f"hhl run: stopped by {signum.name} during {START}" in err
    assert stopped_after < 60
    assert f"{START + timedelta(days=1)}: ingesting" not in err
    assert "building the marts" not in err
    runs = [(r.tags.get("dagster/partition"), r.status) for r in open_instance(home).get_runs()]
    assert runs == [(str(START), DagsterRunStatus.FAILURE)], (runs, err[-3000:])  # the day only
    assert not completed_days(home / "lake")


def test_a_damaged_delta_log_fails_the_day_naming_the_table_and_skips_the_marts(
    ingested_home: Path, tmp_path: Path
):
    home = copy_home(ingested_home, tmp_path / "home")
    encounters = table_path(home, "encounters")
    newest = sorted((encounters / "_delta_log").glob("*.json"))[-1]
    newest.write_text('{"commitInfo": {"timestamp": 1, "operation": "WRITE"', encoding="utf-8")
    log = tmp_path / "stderr.txt"
    proc = _hhl_run(home, LAST, LAST, log)
    code = proc.wait(timeout=600)
    err = log.read_text()

    assert code == 1, err[-2000:]
    assert f"Delta table {encounters}: cannot " in err and "Kernel error: Json error" in err
    assert f"day {LAST} failed" in err or f"{LAST}: FAILED" in err
    assert "marts: skipped" in err
    assert LAST not in completed_days(home / "lake")  # the day is left out of the marts
    assert FIRST in completed_days(home / "lake")
