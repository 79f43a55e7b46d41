"""Which Dagster instance a home's runs go to: its own, unless the operator named another in
DAGSTER_HOME; opening one home's instance must not send the next home's runs into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanoi_health_lake.instance import dagster_home, open_instance


def test_a_home_opened_after_another_gets_its_own_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    first, second = tmp_path / "first", tmp_path / "second"
    with open_instance(first) as instance:
        assert Path(instance.root_directory) == first / "dagster"
    with open_instance(second) as instance:
        assert Path(instance.root_directory) == second / "dagster"
    assert dagster_home(first) == first / "dagster"


def test_the_operators_dagster_home_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    chosen = tmp_path / "operator"
    monkeypatch.setenv("DAGSTER_HOME", str(chosen))
    with open_instance(tmp_path / "home") as instance:
        assert Path(instance.root_directory) == chosen
    assert dagster_home(tmp_path / "other") == chosen
