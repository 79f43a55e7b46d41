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


def test_a_child_process_does_not_take_the_parents_exported_home_for_the_operators(
    tmp_path: Path,
):
    """An `hhl` started by a process that opened another home inherits its DAGSTER_HOME; its runs
    must still go to its own home's instance (they went to the parent's: 8 runs where 3 were)."""
    import os
    import subprocess
    import sys

    parent, child = tmp_path / "parent", tmp_path / "child"
    (tmp_path / "child.py").write_text(
        "from pathlib import Path\n"
        "from hanoi_health_lake.instance import dagster_home\n"
        f"print(dagster_home(Path({str(child)!r})))\n"
    )
    (tmp_path / "parent.py").write_text(
        "import os, subprocess, sys\n"
        "from pathlib import Path\n"
        "from hanoi_health_lake.instance import open_instance\n"
        f"open_instance(Path({str(parent)!r})).dispose()\n"
        f"done = subprocess.run([sys.executable, {str(tmp_path / 'child.py')!r}],"
        " capture_output=True, text=True, env=os.environ)\n"
        "print(done.stdout.strip() or done.stderr)\n"
    )
    ours = ("DAGSTER_HOME", "HHL_EXPORTED_DAGSTER_HOME")
    env = {k: v for k, v in os.environ.items() if k not in ours}
    out = subprocess.run(
        [sys.executable, str(tmp_path / "parent.py")], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(child / "dagster")


def test_an_earlier_export_put_back_is_still_not_the_operators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """pytest's monkeypatch (or any caller) may put back a DAGSTER_HOME that hhl exported earlier;
    it still names an earlier home, and a later home's runs must not go there."""
    import os

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    open_instance(first).dispose()
    put_back = os.environ["DAGSTER_HOME"]
    open_instance(second).dispose()
    monkeypatch.setenv("DAGSTER_HOME", put_back)  # what a monkeypatch teardown leaves
    assert dagster_home(third) == third / "dagster"
    with open_instance(third) as instance:
        assert Path(instance.root_directory) == third / "dagster"
