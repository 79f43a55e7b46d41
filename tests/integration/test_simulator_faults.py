"""Every fault in the ground truth is really in the files, and nothing else is broken."""

from __future__ import annotations

import json

import pydicom
import pytest
from pydicom.errors import InvalidDicomError

from hanoi_health_lake.faults import FAULT_KINDS, RULE_FOR_KIND
from hanoi_health_lake.formats.qd130 import TABLE_COLUMNS, TABLE_REQUIRED
from tests.simulator_checks import CHECK_FOR_KIND, csv_checks, duplicated_ids, fhir_checks
from tests.simulator_fixtures import (
    NAME_RE,
    csv_record_id,
    dicom_walk_complete,
    fhir_records,
    file_faults,
    json_ends_early,
    landing_files,
    read_csv,
    read_truth,
    record_faults,
    registry_codes,
)


def test_every_fault_kind_occurs_with_its_rule(simulated_tiny):
    rows = read_truth(simulated_tiny, "faults.csv")
    # XML dossier faults come from XML senders (test_simulator_xml_*.py); this run has none.
    assert {r["kind"] for r in rows} == {k.kind for k in FAULT_KINDS if k.formats != ("qd130_xml",)}
    for r in rows:
        assert r["rule_id"] == RULE_FOR_KIND[r["kind"]]
        assert (r["record_no"] == "") == (r["level"] == "file")


def test_faults_sit_in_formats_that_carry_them(simulated_tiny):
    formats = {k.kind: k.formats for k in FAULT_KINDS}
    ext_format = {"csv": {"csv"}, "ndjson": {"fhir_ndjson"}, "dcm": {"dicom"},
                  "json": {"fhir_json", "dicom_json"}, "xml": {"qd130_xml"}}  # fmt: skip
    for r in read_truth(simulated_tiny, "faults.csv"):
        ext = r["file"].rsplit(".", 1)[1]
        assert ext_format[ext] & set(formats[r["kind"]]), r


def _is_json_table(header: list[str]) -> str | None:
    return next((t for t, cols in TABLE_COLUMNS.items()
                 if len(set(header) & set(cols)) >= len(cols) // 2), None)  # fmt: skip


def test_file_faults_are_in_the_files(simulated_tiny):
    landing = simulated_tiny / "landing"
    faults = file_faults(simulated_tiny)
    assert faults
    for rel, kind in faults.items():
        path = landing / rel
        assert path.is_file(), rel  # a real file under the facility's day folder
        assert rel.split("/")[0] in registry_codes(simulated_tiny)
        data = path.read_bytes()
        if kind == "empty_file":
            assert data == b""
        elif kind == "unsafe_path":
            assert not NAME_RE.match(path.name) and data
        elif kind == "malformed_json":
            assert not json_ends_early(data)
            with pytest.raises(json.JSONDecodeError):
                json.loads(data)
        elif kind == "truncated_file" and path.suffix == ".dcm":
            assert not dicom_walk_complete(data)
        elif kind == "truncated_file":
            assert json_ends_early(data)
        elif kind == "not_dicom":
            assert data[128:132] != b"DICM"
            with pytest.raises(InvalidDicomError):
                pydicom.dcmread(path)
        elif kind == "wrong_encoding":
            assert data.startswith(b"\xff\xfe")
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            assert _is_json_table(data.decode("utf-16").split("\r\n")[0].split(",")) or (
                _is_json_table(data.decode("utf-16").split("\r\n")[0].split(";"))
            )
        elif kind == "missing_required_column":
            f = read_csv(data)
            table = _is_json_table(f.header)
            assert table and not set(TABLE_REQUIRED[table]) <= set(f.header)
        elif kind == "unknown_column_set":
            assert _is_json_table(read_csv(data).header) is None
        else:
            pytest.fail(f"unexpected file fault {kind}")


def test_files_without_file_faults_are_sound(simulated_tiny):
    landing = simulated_tiny / "landing"
    faults = file_faults(simulated_tiny)
    malformed_lines = {k for k, v in record_faults(simulated_tiny).items()
                       if v == "malformed_record"}  # fmt: skip
    for rel in landing_files(simulated_tiny):
        if rel in faults:
            continue
        path = landing / rel
        m = NAME_RE.match(path.name)
        assert m, rel
        data = path.read_bytes()
        assert data, rel
        if m["ext"] == "csv":
            f = read_csv(data)
            assert f.table, rel
        elif m["ext"] == "ndjson":
            for k, line in enumerate(data.decode("utf-8").splitlines(), 1):
                if (rel, k) not in malformed_lines:
                    json.loads(line)
        elif m["ext"] == "json" and m["part"] == "dicom":
            for item in json.loads(data):
                ds = pydicom.Dataset.from_json(item)
                assert ds.StudyInstanceUID and ds.Modality
        elif m["ext"] == "json":
            assert json.loads(data)["resourceType"] == "Bundle"
        else:
            assert dicom_walk_complete(data), rel
            ds = pydicom.dcmread(path)
            assert ds.StudyInstanceUID
            assert ds.InstitutionCodeSequence[0].CodeValue == rel.split("/")[0]


def _records(home):
    """(file, record_no, record_id, checks) of every counted record in a file not rejected."""
    landing = home / "landing"
    registry = registry_codes(home)
    skip = set(file_faults(home))
    for rel in landing_files(home):
        m = NAME_RE.match(rel.split("/")[-1])
        if rel in skip or not m or m["ext"] == "dcm" or m["part"] in ("dicom", "Patient",
                                                                       "Condition"):  # fmt: skip
            continue
        if m["ext"] == "csv":
            f = read_csv((landing / rel).read_bytes())
            ids = [csv_record_id(f.table, row) for row in f.rows]
            dup = duplicated_ids(ids)
            for k, (row, rid) in enumerate(zip(f.rows, ids, strict=True), 1):
                checks = csv_checks(f.table, row, registry)
                checks["unique_id"] = rid not in dup
                if "MA_CSKCB" in row and checks["facility"]:
                    checks["own_facility"] = row["MA_CSKCB"] == rel.split("/")[0]
                yield rel, k, rid, checks
        else:
            recs = fhir_records(landing, rel, skip)
            dup = duplicated_ids([r.record_id for r in recs])
            for r in recs:
                checks = fhir_checks(r, registry)
                if r.resource is not None:
                    checks["unique_id"] = r.record_id not in dup
                yield rel, r.record_no, r.record_id, checks


def test_record_faults_are_in_the_records_and_no_other_record_has_one(simulated_tiny):
    expected = record_faults(simulated_tiny)
    truth_ids = {
        (r["file"], int(r["record_no"])): r["record_id"]
        for r in read_truth(simulated_tiny, "faults.csv")
        if r["level"] == "record"
    }
    seen = set()
    clean = 0
    for rel, k, rid, checks in _records(simulated_tiny):
        kind = expected.get((rel, k))
        if kind is None:
            bad = {name: v for name, v in checks.items() if v is not True}
            assert not bad, (rel, k, bad)
            clean += 1
            continue
        seen.add((rel, k))
        if kind != "malformed_record":
            assert rid == truth_ids[(rel, k)]
        own = CHECK_FOR_KIND[kind]
        assert checks[own] is False, (rel, k, kind, checks)
        others = {name: v for name, v in checks.items() if name != own and v is False}
        assert not others, (rel, k, kind, others)  # at most one fault per record
    assert seen == set(expected)
    assert clean > 1000
