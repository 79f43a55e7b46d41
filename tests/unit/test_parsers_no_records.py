"""A delivery with no record of its dataset gets a file-level verdict that reaches quarantine."""

from __future__ import annotations

import json
from datetime import date

from hanoi_health_lake.parsers import parse_file
from hanoi_health_lake.pipeline.parse_day import parse_day
from hanoi_health_lake.pipeline.quarantine import file_rows
from tests.landing import land

DAY = "01012/2026-03-01"


def _patient(i: int) -> dict:
    return {"resourceType": "Patient", "id": f"p{i}", "gender": "female"}


def _bundle(resources: list[dict]) -> bytes:
    entries = [{"resource": res} for res in resources]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode()


def test_patient_only_encounters_bundle_is_no_records_and_keeps_what_it_held(tmp_path):
    relpath = land(
        tmp_path, "encounters__20260302T061500.json", _bundle([_patient(1), _patient(2)])
    )
    parsed = parse_file(tmp_path, relpath)
    assert (parsed.status, parsed.error_rule) == ("error", "file.no_records")
    assert parsed.error_message == (
        f"{relpath}: no encounters record (Encounter) in the file; found 2 Patient"
    )
    assert len(parsed.auxiliary) == 2  # still in bronze, as delivered


def test_a_bulk_export_log_named_as_ndjson_data_is_no_records(tmp_path):
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "information"}]}
    data = "\n".join(json.dumps(outcome) for _ in range(3)).encode()
    parsed = parse_file(tmp_path, land(tmp_path, "encounters__20260302T061500.ndjson", data))
    assert parsed.error_rule == "file.no_records"
    assert parsed.error_message.endswith("found 3 OperationOutcome")


def test_sibling_files_of_an_ndjson_set_and_empty_deliveries_pass(tmp_path):
    patients = "\n".join(json.dumps(_patient(i)) for i in range(2)).encode()
    encounter = {
        "resourceType": "Encounter",
        "id": "e1",
        "subject": {"reference": "Patient/p0"},
    }
    ts = "encounters__20260302T061500"
    sibling = parse_file(tmp_path, land(tmp_path, f"{ts}.Patient.ndjson", patients))
    counted = parse_file(
        tmp_path, land(tmp_path, f"{ts}.Encounter.ndjson", json.dumps(encounter).encode())
    )
    empty = parse_file(tmp_path, land(tmp_path, "encounters__20260302T071500.json", _bundle([])))
    assert [p.status for p in (sibling, counted, empty)] == ["ok", "ok", "ok"]
    assert len(counted.records) == 1


def test_the_verdict_reaches_quarantine(tmp_path):
    land(tmp_path, "encounters__20260302T061500.json", _bundle([_patient(1)]))
    day = parse_day(tmp_path, date(2026, 3, 1), frozenset({"01012"}), run_id="r", workers=1)
    (row,) = file_rows(day.bronze_files, "r").to_pylist()
    assert (row["facility_code"], row["dataset"], row["rule_ids"]) == (
        "01012",
        "encounters",
        ["file.no_records"],
    )
    assert "found 1 Patient" in row["reason"]
    assert day.bronze_records.num_rows == 1  # the Patient stays in bronze
