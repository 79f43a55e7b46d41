"""Landing names are untrusted: the grammar, the rejections and what `discover` lists."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from hanoi_health_lake.parsers import UnsafePathError, discover, parse_file, parse_landing_path


@pytest.mark.parametrize(
    ("relpath", "dataset", "part", "ext", "fmt"),
    [
        ("01012/{d}/encounters__{ts}.json", "encounters", None, "json", "fhir_json"),
        ("01012/{d}/encounters__{ts}.Patient.ndjson", "encounters", "Patient", "ndjson",
         "fhir_ndjson"),
        ("01A3F/{d}/prescriptions__{ts}.csv", "prescriptions", None, "csv", "csv"),
        ("01001/{d}/imaging_studies__{ts}.0001.dcm", "imaging_studies", "0001", "dcm", "dicom"),
        ("01001/{d}/imaging_studies__{ts}.dicom.json", "imaging_studies", "dicom", "json",
         "dicom_json"),
    ],
)  # fmt: skip
def test_valid_names_are_split_into_their_parts(relpath, dataset, part, ext, fmt):
    relpath = relpath.format(d="2026-03-01", ts="20260302T061500")
    name = parse_landing_path(relpath)
    assert name.facility_code == relpath[:5]
    assert name.service_date == date(2026, 3, 1)
    assert name.export_ts == datetime(2026, 3, 2, 6, 15, 0)
    assert (name.dataset, name.part, name.ext, name.format) == (dataset, part, ext, fmt)


@pytest.mark.parametrize(
    ("relpath", "problem"),
    [
        ("", "empty"),
        ("/01012/2026-03-01/encounters__20260302T061500.csv", "absolute"),
        ("01012/../2026-03-01/encounters__20260302T061500.csv", "'..'"),
        ("01012/2026-03-01/../encounters__20260302T061500.csv", "'..'"),
        ("01012/2026-03-01/.encounters__20260302T061500.csv", "starts with a dot"),
        ("01012/2026-03-01/encounters__20260302T061500 (1).csv", "character ' '"),
        ("01012/2026-03-01/encounters__20260302T061500.csv\\x", "character '\\\\'"),
        ("01012/2026-03-01/khám__20260302T061500.csv", "character 'á'"),
        ("01012//2026-03-01/encounters__20260302T061500.csv", "empty path component"),
        ("01012/encounters__20260302T061500.csv", "2 component"),
        ("01012/2026-03-01/x/encounters__20260302T061500.csv", "4 component"),
        ("01a12/2026-03-01/encounters__20260302T061500.csv", "facility code '01a12'"),
        ("02012/2026-03-01/encounters__20260302T061500.csv", "facility code '02012'"),
        ("010123/2026-03-01/encounters__20260302T061500.csv", "facility code"),
        ("01012/2026-02-30/encounters__20260302T061500.csv", "not a valid date"),
        ("01012/20260301/encounters__20260302T061500.csv", "not YYYY-MM-DD"),
        ("01012/2026-03-01/visits__20260302T061500.csv", "unknown dataset 'visits'"),
        ("01012/2026-03-01/encounters_20260302T061500.csv", "lacks '__'"),
        ("01012/2026-03-01/encounters__2026-03-02.csv", "export time"),
        ("01012/2026-03-01/encounters__20260302T256000.csv", "not a valid time"),
        ("01012/2026-03-01/encounters__20260302T061500.xml", "unknown extension 'xml'"),
        ("01012/2026-03-01/encounters__20260302T061500", "file name is not"),
        ("01012/2026-03-01/encounters__20260302T061500.a.b.csv", "file name is not"),
    ],
)
def test_unsafe_names_are_rejected_with_the_file_and_the_reason(relpath, problem):
    with pytest.raises(UnsafePathError) as err:
        parse_landing_path(relpath)
    message = str(err.value)
    assert repr(relpath) in message
    assert problem in message


def test_parse_file_rejects_an_unsafe_name_without_reading_it(tmp_path):
    relpath = "01012/2026-03-01/../secret.csv"
    (tmp_path / "01012").mkdir()
    (tmp_path / "secret.csv").write_text("MA_LK\nx\n")
    parsed = parse_file(tmp_path, relpath)
    assert (parsed.status, parsed.error_rule) == ("error", "file.unsafe_path")
    assert relpath in parsed.error_message
    assert (parsed.size, parsed.sha256, parsed.records) == (0, "", [])


def _touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_discover_lists_every_file_of_the_day_and_never_follows_symlinks(tmp_path):
    root = tmp_path / "landing"
    outside = tmp_path / "outside"
    _touch(outside / "secret.csv")
    _touch(root / "01012/2026-03-01/encounters__20260302T061500.csv")
    _touch(root / "01A3F/2026-03-01/prescriptions__20260302T061500.json")
    _touch(root / "01A3F/2026-03-01/nested/encounters__20260302T061500.csv")
    _touch(root / "01A3F/2026-03-01/bad name.csv")
    _touch(root / "01012/2026-03-02/encounters__20260303T061500.csv")  # another day
    os.symlink(outside / "secret.csv", root / "01012/2026-03-01/link__20260302T061500.csv")
    os.symlink(outside, root / "01012/2026-03-01/linkdir")
    (root / "01999").mkdir()
    os.symlink(outside, root / "01999/2026-03-01")

    found = discover(root, date(2026, 3, 1))

    assert found == [
        "01012/2026-03-01/encounters__20260302T061500.csv",
        "01012/2026-03-01/link__20260302T061500.csv",
        "01012/2026-03-01/linkdir",
        "01999/2026-03-01",  # a linked day folder: listed to be rejected, never entered
        "01A3F/2026-03-01/bad name.csv",
        "01A3F/2026-03-01/nested/encounters__20260302T061500.csv",
        "01A3F/2026-03-01/prescriptions__20260302T061500.json",
    ]
    for relpath in found[1:6]:
        parsed = parse_file(root, relpath)
        assert parsed.error_rule == "file.unsafe_path", relpath


def test_discover_on_a_missing_root_finds_nothing(tmp_path):
    assert discover(tmp_path / "absent", date(2026, 3, 1)) == []


def test_a_symlink_out_of_the_root_is_not_read(tmp_path):
    root = tmp_path / "landing"
    _touch(tmp_path / "outside.csv", "MA_LK\n1\n")
    relpath = "01012/2026-03-01/encounters__20260302T061500.csv"
    (root / "01012/2026-03-01").mkdir(parents=True)
    os.symlink(tmp_path / "outside.csv", root / relpath)
    parsed = parse_file(root, relpath)
    assert parsed.error_rule == "file.unsafe_path"
    assert "symlink" in parsed.error_message
