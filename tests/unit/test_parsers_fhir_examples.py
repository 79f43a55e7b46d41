"""The 32 official HL7 FHIR R4 examples: any valid R4 input maps to what it has, never raises.

The examples live outside the repository, in ../shared/conformance/fhir-r4-examples beside the
checkout (or the folder HHL_FHIR_EXAMPLES names). Where they are missing the module is skipped on
a developer's machine, but in CI (CI=true) it fails: a CI run must not pass without them.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from hanoi_health_lake.parsers import parse_file
from hanoi_health_lake.parsers.fhir_mapping import COUNTED_TYPE

EXAMPLES = Path(
    os.environ.get("HHL_FHIR_EXAMPLES")
    or Path(__file__).parents[2] / ".." / "shared" / "conformance" / "fhir-r4-examples"
)
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
DATASETS = list(COUNTED_TYPE)
RELPATH = "01012/2026-03-01/{dataset}__20260302T061500.json"

pytestmark = pytest.mark.skipif(
    not EXAMPLES.is_dir() and not IN_CI,
    reason=f"HL7 FHIR R4 examples not found at {EXAMPLES.resolve()} (../shared/conformance)",
)


def _examples() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.json")) if EXAMPLES.is_dir() else []


def _parse(tmp_path: Path, example: str, dataset: str):
    relpath = RELPATH.format(dataset=dataset)
    (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / example, tmp_path / relpath)
    return parse_file(tmp_path, relpath)


def test_all_32_examples_are_present():
    assert len(_examples()) == 32, f"expected the 32 HL7 FHIR R4 examples in {EXAMPLES.resolve()}"


@pytest.mark.parametrize("example", _examples())
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_example_parses_into_records_or_auxiliary_resources(tmp_path, example, dataset):
    document = json.loads((EXAMPLES / example).read_text(encoding="utf-8"))
    if document["resourceType"] == "Bundle":
        resources = [e.get("resource") or {} for e in document.get("entry", [])]
    else:
        resources = [document]

    parsed = _parse(tmp_path, example, dataset)

    assert parsed.format == "fhir_json"
    if parsed.records or not parsed.auxiliary:
        assert parsed.status == "ok", parsed.error_message
    else:  # none of the dataset's records, other resources only: a verdict for the sender
        assert (parsed.status, parsed.error_rule) == ("error", "file.no_records")
    assert len(parsed.records) + len(parsed.auxiliary) == len(resources)  # nothing dropped
    for record in parsed.records:
        assert record.resource_type == COUNTED_TYPE[dataset]
        assert record.record_id, record.locator
        assert record.fields["facility_code"]
        assert not [e for e in record.errors if e.rule_id == "record.malformed"]
    counted_here = sum(1 for r in resources if r.get("resourceType") == COUNTED_TYPE[dataset])
    assert len(parsed.records) <= counted_here
    for aux in parsed.auxiliary:
        assert aux.fields == {}
        if aux.resource_type is not None:
            assert json.loads(aux.payload)["resourceType"] == aux.resource_type


def _only(tmp_path, example, dataset):
    parsed = _parse(tmp_path, example, dataset)
    (record,) = parsed.records
    return record.fields


def test_encounter_with_offset_is_converted_to_hanoi_time(tmp_path):
    f = _only(tmp_path, "Encounter-emerg.json", "encounters")
    assert f["admitted_at"] == datetime(2017, 2, 1, 4, 15)  # 07:15 at +10:00
    assert (f["encounter_type"], f["patient_local_id"]) == ("inpatient", "example")


def test_encounter_with_date_only_period(tmp_path):
    f = _only(tmp_path, "Encounter-f203.json", "encounters")
    assert (f["admitted_at"], f["discharged_at"]) == (datetime(2013, 3, 11), datetime(2013, 3, 20))


def test_document_bundle_joins_its_patient(tmp_path):
    f = _only(tmp_path, "Bundle-father.json", "encounters")
    assert (f["full_name"], f["sex"], f["birth_date"]) == (
        "Eve Everywoman",
        "female",
        date(1955, 1, 6),
    )


def test_contained_medication_gives_the_drug(tmp_path):
    f = _only(tmp_path, "MedicationRequest-medrx0301.json", "prescriptions")
    assert (f["drug_code"], f["drug_name"]) == ("430127000", "Oral Form Oxycodone (product)")
    assert (f["quantity"], f["encounter_id"], f["doctor_id"]) == (30.0, "f201", "f007")


def test_searchset_medication_request_is_counted_and_medication_is_auxiliary(tmp_path):
    parsed = _parse(tmp_path, "Bundle-bundle-example.json", "prescriptions")
    assert [r.record_id for r in parsed.records] == ["3123"]
    assert [a.resource_type for a in parsed.auxiliary] == ["Medication"]


def test_imaging_study_fields(tmp_path):
    f = _only(tmp_path, "ImagingStudy-example-xr.json", "imaging_studies")
    assert f["study_uid"] == "2.16.124.113543.6003.1154777499.30246.19789.3503430046"
    assert (f["accession_number"], f["modality"], f["number_of_instances"]) == (
        "W12342398",
        "DX",
        2,
    )
    assert (f["body_part"], f["sop_class_uid"]) == ("Wrist Joint", "1.2.840.10008.5.1.4.1.1.2")
    assert f["study_at"] == datetime(2017, 1, 1, 15, 1, 20)  # 11:01:20 at +03:00


def test_referral_category_decides_what_counts(tmp_path):
    assert _parse(tmp_path, "ServiceRequest-myringotomy.json", "referrals").records  # 103696004
    lab = _parse(tmp_path, "ServiceRequest-example.json", "referrals")
    assert (lab.records, [a.resource_type for a in lab.auxiliary]) == ([], ["ServiceRequest"])


def test_appointment_example(tmp_path):
    f = _only(tmp_path, "Appointment-example.json", "appointments")
    assert (f["appointment_at"], f["issued_date"]) == (
        datetime(2013, 12, 10, 16, 0),
        date(2013, 10, 10),
    )
    assert (f["patient_local_id"], f["doctor_id"]) == ("example", "example")


def test_transaction_response_entries_without_resources_are_kept(tmp_path):
    bundle = json.loads((EXAMPLES / "Bundle-bundle-response.json").read_text(encoding="utf-8"))
    without_resource = [e for e in bundle["entry"] if "resource" not in e]
    parsed = _parse(tmp_path, "Bundle-bundle-response.json", "encounters")
    assert parsed.records == []
    kept = [json.loads(a.payload) for a in parsed.auxiliary if a.resource_type is None]
    assert kept == without_resource
