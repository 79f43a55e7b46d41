"""One simulated tiny fortnight, ingested once per session; tests that change it work on copies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hanoi_health_lake.automation.inprocess import run_days
from hanoi_health_lake.simulator.run import simulate
from tests.integration.lake_helpers import INGESTED, SIM_DAYS, START, TEST_KEY, copy_home


@pytest.fixture(scope="session", autouse=True)
def _pseudonym_key() -> None:
    os.environ["HHL_PSEUDONYM_KEY"] = TEST_KEY


@pytest.fixture(scope="session")
def simulated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("sim")
    simulate(START, SIM_DAYS, "tiny", seed=3, out=home, fault_rate=0.02)
    return home


@pytest.fixture(scope="session")
def ingested_home(simulated_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = copy_home(simulated_home, tmp_path_factory.mktemp("lake") / "home")
    runs = run_days(home, *INGESTED)
    assert all(r.success for r in runs), runs
    return home
