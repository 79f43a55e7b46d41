"""The one CLI: every command is found and explains itself."""

from __future__ import annotations

import pytest

from hanoi_health_lake.cli import build_parser, main

COMMANDS = ("simulate", "run", "demo", "bench", "detect", "docs", "rekey")


def test_every_command_is_registered_with_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in COMMANDS:
        assert name in sub.choices, name
        assert len(sub.choices[name].description or "") > 40, name


@pytest.mark.parametrize("name", COMMANDS)
def test_help_exits_cleanly(name: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert "usage: hhl " + name in capsys.readouterr().out


def test_run_rejects_a_reversed_range(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HHL_PSEUDONYM_KEY", "k" * 32)
    code = main(["run", "--from", "2026-03-02", "--to", "2026-03-01", "--home", str(tmp_path)])
    assert code == 2
    assert "--to 2026-03-01 is before --from 2026-03-02" in capsys.readouterr().err


def test_run_without_a_registry_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HHL_PSEUDONYM_KEY", "k" * 32)
    code = main(["run", "--from", "2026-03-01", "--to", "2026-03-01", "--home", str(tmp_path)])
    assert code == 2
    assert str(tmp_path / "registry" / "facilities.csv") in capsys.readouterr().err


@pytest.mark.parametrize("day", ["2024-12-31", "2099-01-01"])
def test_run_outside_the_partitions_is_one_line(day: str, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HHL_PSEUDONYM_KEY", "k" * 32)
    code = main(["run", "--from", day, "--to", day, "--home", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    prefix = f"hhl run: error: {day} is not a service-day partition: they run from 2025-01-01 to "
    assert err.startswith(prefix) and err.count("\n") == 1


BENCHMARKS = (
    "simulate", "ingest", "marts", "detection", "parsers", "realtime", "validate", "api",
    "health-book", "forecast",
)  # fmt: skip


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_takes_a_home_and_an_output_file(name: str, tmp_path):
    args = build_parser().parse_args(
        ["bench", name, "--home", str(tmp_path), "--output", str(tmp_path / "f.json")]
    )
    assert args.home == str(tmp_path) and args.output == tmp_path / "f.json"
