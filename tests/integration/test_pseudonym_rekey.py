"""A lake keeps its pseudonymisation key: another key is refused, and `hhl rekey` changes it on
purpose, rewriting every patient_key so links between visits survive."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from hanoi_health_lake.automation.inprocess import run_days
from hanoi_health_lake.cli import main
from hanoi_health_lake.config import warehouse_path
from hanoi_health_lake.lake.key_fingerprint import (
    KeyMismatchError,
    fingerprint,
    read_record,
    record_path,
)
from tests.integration.lake_helpers import INGESTED, SILVER, TEST_KEY, copy_home, read

NEW_KEY = "a-new-pseudonym-key-fedcba9876543210"


def _keys_by_record(home: Path) -> pl.DataFrame:
    """patient_key per silver record (table, facility, day, source record)."""
    return pl.concat(
        read(home, table)
        .filter(pl.col("patient_key").is_not_null())
        .select(
            pl.lit(table).alias("table"),
            "facility_code",
            pl.col("service_date").cast(pl.Utf8),
            "source_file",
            "record_no",
            "patient_key",
        )
        for table in SILVER
    )


def _links(keys: pl.DataFrame) -> int:
    """Patients seen in more than one record (a returning patient, a drug line of a visit …)."""
    return keys.group_by("patient_key").len().filter(pl.col("len") > 1).height


@pytest.fixture
def home(ingested_home: Path, tmp_path: Path) -> Path:
    return copy_home(ingested_home, tmp_path / "home")


def test_a_different_key_is_refused_and_rekey_rewrites_history_keeping_links(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    before = _keys_by_record(home)
    links = _links(before)
    assert links > 10
    assert read_record(home / "lake").fingerprint == fingerprint(TEST_KEY.encode())
    assert TEST_KEY not in record_path(home / "lake").read_text()

    monkeypatch.setenv("HHL_PSEUDONYM_KEY", NEW_KEY)
    with pytest.raises(KeyMismatchError, match="hhl rekey"):
        run_days(home, INGESTED[1], INGESTED[1])
    assert _keys_by_record(home).equals(before)  # nothing was written under the new key

    old_key_file = tmp_path / "old.key"
    old_key_file.write_text(TEST_KEY + "\n")
    assert main(["rekey", "--old-key-file", str(old_key_file), "--home", str(home)]) == 0

    after = _keys_by_record(home)
    assert _links(after) == links
    record = ["table", "facility_code", "service_date", "source_file", "record_no"]
    # (A record's lines — diagnoses, drug lines — share its patient.)
    old, new = before.unique(), after.unique()
    pairs = old.join(new, on=record, suffix="_new", how="full", coalesce=True)
    assert pairs.height == old.height == new.height
    # One old key ↔ one new key, and none survives: every link holds, under new values.
    mapping = pairs.select("patient_key", "patient_key_new").unique()
    assert mapping["patient_key"].n_unique() == mapping["patient_key_new"].n_unique()
    assert mapping.height == mapping["patient_key"].n_unique()
    assert not set(mapping["patient_key"]) & set(mapping["patient_key_new"])
    # The warehouse's copies carry the new keys only.
    with duckdb.connect(str(warehouse_path(home)), read_only=True) as con:
        stored = {
            r[0] for r in con.sql("select distinct patient_key from stg_encounters").fetchall()
        }
    assert stored and stored <= set(mapping["patient_key_new"])
    assert read_record(home / "lake").fingerprint == fingerprint(NEW_KEY.encode())
    assert read_record(home / "lake").rekeying_from is None
    # Now the old key is the one refused.
    monkeypatch.setenv("HHL_PSEUDONYM_KEY", TEST_KEY)
    with pytest.raises(KeyMismatchError):
        run_days(home, INGESTED[1], INGESTED[1])


def test_rekey_needs_the_lakes_own_old_key(home: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("HHL_PSEUDONYM_KEY", NEW_KEY)
    wrong = tmp_path / "wrong.key"
    wrong.write_text("not-the-key-of-this-lake-0000000000")
    assert main(["rekey", "--old-key-file", str(wrong), "--home", str(home)]) == 2
    assert "not the key the lake" in capsys.readouterr().err
    assert read_record(home / "lake").fingerprint == fingerprint(TEST_KEY.encode())
