"""`parse_file` never raises: every broken input becomes one file-level result with a reason."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from hanoi_health_lake.faults import FAULT_KINDS
from hanoi_health_lake.parsers import discover, parse_file
from tests.landing import land

FIXTURES = Path(__file__).parents[1] / "fixtures" / "parsers" / "landing"
FILE_RULES = {f.rule_id for f in FAULT_KINDS if f.level == "file"} | {"file.unreadable"}
NAMES = [
    "encounters__20260302T061500.csv",
    "encounters__20260302T061500.json",
    "encounters__20260302T061500.Encounter.ndjson",
    "imaging_studies__20260302T061500.1.dcm",
    "imaging_studies__20260302T061500.dicom.json",
]


def test_every_fixture_parses_cleanly_at_file_level():
    relpaths = discover(FIXTURES, date(2026, 3, 1))
    assert len(relpaths) == 12
    for relpath in relpaths:
        parsed = parse_file(FIXTURES, relpath)
        assert parsed.status == "ok", parsed.error_message
        assert parsed.records or parsed.auxiliary


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_file_of_any_format_is_file_empty(tmp_path, name):
    parsed = parse_file(tmp_path, land(tmp_path, name, b""))
    assert (parsed.status, parsed.error_rule, parsed.size) == ("error", "file.empty", 0)
    assert name in parsed.error_message


def test_a_missing_file_or_a_directory_is_unreadable(tmp_path):
    missing = parse_file(tmp_path, "01012/2026-03-01/encounters__20260302T061500.csv")
    assert missing.error_rule == "file.unreadable"
    (tmp_path / "01012/2026-03-01/encounters__20260302T061600.csv").mkdir(parents=True)
    folder = parse_file(tmp_path, "01012/2026-03-01/encounters__20260302T061600.csv")
    assert folder.error_rule == "file.unreadable"
    assert "encounters__20260302T061600.csv" in folder.error_message


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_never_raise(tmp_path, name, seed):
    rng = random.Random(seed)
    source = sorted(FIXTURES.glob("*/*/*"))[seed % 12].read_bytes()
    data = bytearray(source)
    for _ in range(rng.randint(1, 20)):  # flip, drop and insert bytes
        pos = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.4:
            data[pos] = rng.randrange(256)
        elif choice < 0.7:
            del data[pos : pos + rng.randint(1, 50)]
        else:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 10)))
    parsed = parse_file(tmp_path, land(tmp_path, name, bytes(data)))
    assert parsed.status in ("ok", "error")
    if parsed.status == "error":
        assert parsed.error_rule in FILE_RULES
        assert parsed.records == parsed.auxiliary == []
        assert name in parsed.error_message
    for record in parsed.records + parsed.auxiliary:
        assert isinstance(record.payload, str)
