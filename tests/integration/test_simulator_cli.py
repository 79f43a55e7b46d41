"""`hhl simulate` from the command line."""

from __future__ import annotations

import csv

from hanoi_health_lake.cli import main


def test_simulate_writes_registry_landing_and_ground_truth(tmp_path, capsys):
    out = tmp_path / "home"
    args = ["simulate", "--scale", "tiny", "--days", "1", "--start", "2026-03-02", "--seed", "5",
            "--out", str(out), "--fault-rate", "0.02"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr()
    assert "30 facilities" in printed.out
    assert "simulate: 30/30 facilities (100%)" in printed.err
    names = {p.name for p in (out / "ground_truth").iterdir()}
    assert names == {"manifest.json", "faults.csv", "clean_counts.csv", "deliveries.csv",
                     "silences.csv"}  # fmt: skip
    with (out / "registry" / "facilities.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 30
    assert any((out / "landing").iterdir())

    assert main(args) == 2  # existing output is not overwritten silently
    assert "--replace" in capsys.readouterr().err
    assert main([*args, "--replace", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_simulate_defaults_to_hhl_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HHL_HOME", str(tmp_path))
    assert main(["simulate", "--scale", "tiny", "--days", "1", "--quiet"]) == 0
    assert (tmp_path / "registry" / "facilities.csv").exists()
