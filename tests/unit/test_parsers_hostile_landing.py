"""Hostile landing trees: names that are not UTF-8, symlinks, undated folders, oversized files.

Each bad entry fails only itself, with a reason naming it, and is listed in bronze_files on the
same day the landing sensor puts it."""

from __future__ import annotations

import csv
import io
import os
import random
from datetime import date, datetime
from pathlib import Path

import pytest

from hanoi_health_lake.automation.landing_scan import scan_landing
from hanoi_health_lake.benchmarks.parsers import _xml1_row
from hanoi_health_lake.formats import qd130
from hanoi_health_lake.parsers import discover, parse_file
from hanoi_health_lake.parsers.values import LOCAL_ZONE
from hanoi_health_lake.pipeline.parse_day import parse_day

DAY = date(2026, 3, 1)
REGISTRY = frozenset({"01012", "01001"})


def _csv_bytes(rows: int = 3, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(qd130.XML1_COLUMNS)
    writer.writerows(_xml1_row(rng, n) for n in range(rows))
    return buf.getvalue().encode()


def _put(root: Path, relpath: str | bytes, data: bytes) -> None:
    path = os.path.join(os.fsencode(root), os.fsencode(relpath))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def _arrived(path: Path, day: date) -> None:
    """Set an entry's own mtime (not its link target's) to noon of `day` in Hanoi."""
    stamp = datetime(day.year, day.month, day.day, 12, tzinfo=LOCAL_ZONE).timestamp()
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def _files(root: Path, day: date = DAY) -> dict[str, dict]:
    parsed = parse_day(root, day, REGISTRY, run_id="t", workers=1)
    return {row["source_file"]: row for row in parsed.bronze_files.to_pylist()}


def test_a_name_that_is_not_utf8_fails_only_itself_and_is_named(tmp_path):
    good = "01012/2026-03-01/encounters__20260302T061500.csv"
    _put(tmp_path, good, _csv_bytes())
    _put(tmp_path, b"01012/2026-03-01/encounters__20260302T0615\xed.csv", _csv_bytes())
    _put(tmp_path, b"01\xed01/2026-03-01/encounters__20260302T061500.csv", _csv_bytes())
    rows = _files(tmp_path)
    assert rows[good]["status"] == "ok" and rows[good]["n_records"] == 3
    bad = rows["01012/2026-03-01/encounters__20260302T0615\\xed.csv"]
    assert (bad["status"], bad["error_rule"], bad["facility_code"]) == (
        "error",
        "file.unsafe_path",
        "01012",
    )
    assert bad["error_message"] == (
        "'01012/2026-03-01/encounters__20260302T0615\\xed.csv': "
        "the name is not valid UTF-8 (bytes shown as \\x escapes)"
    )
    folder = rows["01\\xed01/2026-03-01/encounters__20260302T061500.csv"]
    assert (folder["error_rule"], folder["facility_code"]) == ("file.unsafe_path", "01\\xed01")
    # The landing sensor fingerprints the same day without choking on the name.
    assert len(scan_landing(tmp_path)["2026-03-01"].entries) == 3


def test_symlinks_and_undated_folders_are_listed_as_rejected_never_followed(tmp_path):
    root = tmp_path / "landing"
    outside = tmp_path / "outside"
    _put(outside, "2026-03-01/encounters__20260302T061500.csv", _csv_bytes())
    other = "01001/2026-03-01/encounters__20260302T061500.csv"
    _put(root, other, _csv_bytes(seed=2).replace(b"01012", b"01001"))  # 01001's own records
    day = root / "01012" / "2026-03-01"
    day.mkdir(parents=True)
    # A link inside the root to another facility's file: would deliver it as 01012's.
    (day / "encounters__20260302T070000.csv").symlink_to(root / other)
    # A facility folder and a day folder that are links.
    (root / "01999").symlink_to(outside)
    (root / "01777").mkdir()
    (root / "01777" / "2026-03-01").symlink_to(outside / "2026-03-01")
    # A day folder that is not a date, and a file lying in the facility folder.
    _put(root, "01012/march/encounters__20260302T061500.csv", _csv_bytes())
    _put(root, "01012/encounters__20260302T061500.csv", _csv_bytes())
    for entry in ("01999", "01012/march/encounters__20260302T061500.csv",
                  "01012/encounters__20260302T061500.csv"):  # fmt: skip
        _arrived(root / entry, DAY)
    rows = _files(root)
    reasons = {
        path: (row["status"], row["error_rule"], row["error_message"]) for path, row in rows.items()
    }
    assert reasons == {
        other: ("ok", None, None),
        "01012/2026-03-01/encounters__20260302T070000.csv": (
            "error", "file.unsafe_path",
            "'01012/2026-03-01/encounters__20260302T070000.csv': the file is a symlink; "
            "links are never followed",
        ),
        "01999": ("error", "file.unsafe_path",
                  "'01999': the facility folder is a symlink; links are never followed"),
        "01777/2026-03-01": ("error", "file.unsafe_path",
                             "'01777/2026-03-01': the day folder is a symlink; "
                             "links are never followed"),
        "01012/march/encounters__20260302T061500.csv": (
            "error", "file.unsafe_path",
            "'01012/march/encounters__20260302T061500.csv': service date 'march' is not "
            "YYYY-MM-DD",
        ),
        "01012/encounters__20260302T061500.csv": (
            "error", "file.unsafe_path",
            "'01012/encounters__20260302T061500.csv': expected <facility>/<service_date>/<file>, "
            "got 2 component(s)",
        ),
    }  # fmt: skip
    assert rows["01999"]["facility_code"] == "01999"
    # Nothing was read through a link: only the genuine file has records.
    assert sum(row["n_records"] for row in rows.values()) == 3
    # The sensor puts every one of them on the same day, and none on another.
    scanned = scan_landing(root)
    assert sorted(rel for rel, _, _ in scanned["2026-03-01"].entries) == sorted(rows)
    assert list(scanned) == ["2026-03-01"]
    # An undated entry that arrived another day is that day's, not this one's.
    _arrived(root / "01999", date(2026, 3, 2))
    assert "01999" not in discover(root, DAY) and "01999" in discover(root, date(2026, 3, 2))


def test_a_file_over_the_size_cap_is_rejected_before_it_is_read(tmp_path, monkeypatch):
    small, big = _csv_bytes(rows=2), _csv_bytes(rows=400)
    _put(tmp_path, "01012/2026-03-01/encounters__20260302T061500.csv", small)
    _put(tmp_path, "01012/2026-03-01/encounters__20260302T071500.csv", big)
    monkeypatch.setenv("HHL_MAX_TEXT_FILE_MB", str(len(big) / 2 / 2**20))
    rows = _files(tmp_path)
    ok = rows["01012/2026-03-01/encounters__20260302T061500.csv"]
    assert (ok["status"], ok["n_records"]) == ("ok", 2)
    over = rows["01012/2026-03-01/encounters__20260302T071500.csv"]
    assert (over["status"], over["error_rule"], over["size_bytes"]) == (
        "error",
        "file.too_large",
        len(big),
    )
    assert over["sha256"] == ""  # never read
    assert "per-file limit (HHL_MAX_TEXT_FILE_MB)" in over["error_message"]
    assert over["error_message"].startswith("01012/2026-03-01/encounters__20260302T071500.csv: ")
    monkeypatch.setenv("HHL_MAX_FILE_MB", "100")  # the lower of the two caps applies
    assert parse_file(tmp_path, "01012/2026-03-01/encounters__20260302T071500.csv").error_rule == (
        "file.too_large"
    )
    monkeypatch.setenv("HHL_MAX_FILE_MB", "lots")
    with pytest.raises(ValueError, match="HHL_MAX_FILE_MB must be a number"):
        parse_file(tmp_path, "01012/2026-03-01/encounters__20260302T061500.csv")
