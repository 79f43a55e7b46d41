"""What holds identifiers is owner-only on disk, and a readable key file is not accepted quietly."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from hanoi_health_lake.lake.delta_io import write_partition
from hanoi_health_lake.pseudonym_key import ensure_pseudonym_key

DAY = date(2026, 3, 1)


def _rows() -> pa.Table:
    return pa.table({"service_date": pa.array([DAY], pa.date32()), "citizen_id": ["001090000001"]})


def _modes(root: Path) -> tuple[set[int], set[int]]:
    dirs, files = {stat.S_IMODE(root.stat().st_mode)}, set()
    for folder, names, leaves in os.walk(root):
        dirs |= {stat.S_IMODE(Path(folder, n).stat().st_mode) for n in names}
        files |= {stat.S_IMODE(Path(folder, n).stat().st_mode) for n in leaves}
    return dirs, files


@pytest.fixture
def open_umask():
    previous = os.umask(0o022)  # the usual default: 0644 files, 0755 folders
    yield
    os.umask(previous)


@pytest.mark.parametrize("zone", ["bronze", "quarantine"])
def test_restricted_tables_are_owner_only_under_a_permissive_umask(tmp_path, open_umask, zone):
    table = tmp_path / "lake" / zone / "records"
    write_partition(table, _rows(), DAY, run_id="r1")
    write_partition(table, _rows(), DAY, run_id="r2")  # an overwrite adds files and a log entry
    dirs, files = _modes(table)
    assert dirs == {0o700} and files == {0o600}
    assert stat.S_IMODE(table.parent.stat().st_mode) == 0o700
    assert any(p.suffix == ".parquet" for p in table.rglob("*"))
    # The umask of the process is as it was.
    assert os.umask(0o022) == 0o022


def test_a_restricted_table_written_before_the_rule_is_tightened(tmp_path, open_umask):
    table = tmp_path / "lake" / "bronze" / "records"
    write_partition(table, _rows(), DAY, run_id="r1")
    for path in [table, *table.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    write_partition(table, _rows(), DAY, run_id="r2")
    assert _modes(table) == ({0o700}, {0o600})


def test_silver_keeps_the_ordinary_modes(tmp_path, open_umask):
    table = tmp_path / "lake" / "silver" / "encounters"
    write_partition(
        table, _rows().rename_columns(["service_date", "patient_key"]), DAY, run_id="r1"
    )
    assert 0o644 in _modes(table)[1]


def test_a_key_file_readable_by_others_is_warned_about(tmp_path, monkeypatch, capsys):
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("k" * 40)
    monkeypatch.delenv("HHL_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("HHL_PSEUDONYM_KEY_FILE", str(key_file))
    key_file.chmod(0o644)
    assert ensure_pseudonym_key(create=False) == "k" * 40
    assert "readable by others" in capsys.readouterr().err
    assert "HHL_PSEUDONYM_KEY" not in os.environ  # read, not put into the environment
    key_file.chmod(0o600)
    ensure_pseudonym_key(create=False)
    assert "readable" not in capsys.readouterr().err
