"""`hhl run` as a newcomer meets it on a fresh clone: no Python warning, each day's counts, a
summary naming the next command, the key file in use; then `hhl report` leaves the same trace on
the Dagster instance as the report asset would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg

from hanoi_health_lake import cli
from hanoi_health_lake.instance import open_instance
from hanoi_health_lake.simulator.run import simulate

DAY = date(2026, 3, 2)


def test_hhl_run_on_a_fresh_home_prints_counts_and_next_step_and_no_warning(
    tmp_path: Path, monkeypatch
):
    # open_instance below sets DAGSTER_HOME; an empty value now makes monkeypatch undo it after.
    monkeypatch.setenv("DAGSTER_HOME", "")
    home = tmp_path / "home"
    simulate(DAY, 1, "tiny", seed=5, out=home)
    key_file = tmp_path / "elsewhere" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_text("cli-test-key-0123456789abcdef0123456789\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HHL_", "PYTHONWARN"))}
    env["HHL_PSEUDONYM_KEY_FILE"] = str(key_file)
    env.pop("DAGSTER_HOME", None)

    run = subprocess.run(
        [sys.executable, "-m", "hanoi_health_lake.cli", "run", "--from", str(DAY), "--to",
         str(DAY), "--home", str(home)],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr
    assert "Warning" not in run.stderr, run.stderr
    assert f"pseudonymisation key: key file {key_file}" in run.stderr
    day = re.search(
        rf"{DAY}: delivered ([\d,]+), accepted ([\d,]+), quarantined ([\d,]+)", run.stderr
    )
    assert day and int(day.group(1).replace(",", "")) > 0, run.stderr
    assert "ingest_job" in run.stderr and "marts_job" in run.stderr
    assert f"hhl run: 1 of 1 days ingested: delivered {day.group(1)}" in run.stdout
    assert f"next: hhl report --date {DAY} --home {home}" in run.stdout

    assert cli.main(["report", "--date", str(DAY), "--home", str(home)]) == 0
    with open_instance(home) as instance:
        records = instance.fetch_materializations(dg.AssetKey("coverage_report"), limit=5).records
    assert [r.partition_key for r in records] == [str(DAY)]
    written = records[0].asset_materialization.metadata["coverage_html"].value
    assert Path(written) == home / "reports" / "daily" / str(DAY) / "coverage.html"
    assert Path(written).exists()
