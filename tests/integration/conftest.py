"""One simulated tiny fortnight, ingested once per session (shared by the xdist workers, see
tests/shared_cache.py); tests that change it work on copies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hanoi_health_lake.automation.inprocess import run_days
from hanoi_health_lake.simulator.run import simulate
from tests.integration.lake_helpers import INGESTED, SIM_DAYS, START, TEST_KEY, copy_home
from tests.shared_cache import built_once, shared_root


@pytest.fixture(scope="session", autouse=True)
def _pseudonym_key() -> None:
    os.environ["HHL_PSEUDONYM_KEY"] = TEST_KEY


@pytest.fixture(scope="session")
def simulated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def build(home: Path) -> None:
        simulate(START, SIM_DAYS, "tiny", seed=3, out=home, fault_rate=0.02)

    return built_once(shared_root(tmp_path_factory), build, "sim", START, SIM_DAYS, "tiny", 3, 0.02)


def _ingest_copy(simulated: Path, home: Path) -> None:
    copy_home(simulated, home, dirs_exist_ok=True)
    runs = run_days(home, *INGESTED)
    assert all(r.success for r in runs), runs


@pytest.fixture(scope="session")
def ingested_home(simulated_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(
        shared_root(tmp_path_factory),
        lambda home: _ingest_copy(simulated_home, home),
        "lake",
        simulated_home.name,
        *INGESTED,
    )
