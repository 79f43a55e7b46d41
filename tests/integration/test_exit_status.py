"""Processes leave with the status of their work, never a native teardown's abort (134)."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.lake_helpers import INGESTED, copy_home, table_path

RUNS = 20


def test_a_reading_command_exits_0_every_time(ingested_home: Path, tmp_path: Path):
    home = copy_home(ingested_home, tmp_path / "home")
    day = INGESTED[1].isoformat()
    statuses = []
    for _ in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-m", "hanoi_health_lake.cli", "bulletin", "--date", day,
             "--home", str(home)],
            capture_output=True,
            text=True,
            env={**os.environ, "HHL_HOME": str(home)},
        )  # fmt: skip
        assert "bulletin written to" in done.stdout, done.stderr[-2000:]
        statuses.append(done.returncode)
    assert statuses == [0] * RUNS


def _step_like_worker(table: str, status: int | None) -> None:
    """What a Dagster step worker does: load the code location, read a Delta table, exit."""
    from deltalake import DeltaTable

    import hanoi_health_lake.definitions  # noqa: F401  (installs the exit guard)

    assert DeltaTable(table).to_pyarrow_table().num_rows > 0
    if status is not None:
        sys.exit(status)


@pytest.mark.parametrize("status", [None, 3])
def test_a_worker_that_loads_the_code_location_exits_with_its_own_status(
    ingested_home: Path, status: int | None
):
    table = str(table_path(ingested_home, "encounters"))
    codes = []
    for _ in range(3):
        worker = mp.get_context("spawn").Process(target=_step_like_worker, args=(table, status))
        worker.start()
        worker.join(timeout=300)
        codes.append(worker.exitcode)
    assert codes == [status or 0] * 3
