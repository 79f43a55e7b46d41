"""FHIR R4 deliveries: Bundle JSON and NDJSON sets joined into canonical records."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from hanoi_health_lake.parsers import parse_file
from tests.landing import land

FIXTURES = Path(__file__).parents[1] / "fixtures" / "parsers" / "landing"
DAY = "01012/2026-03-01"


def _fixture(name: str, root: Path = FIXTURES):
    return parse_file(root, f"{DAY}/{name}")


def test_bundle_joins_patient_and_ranked_conditions_into_the_encounter():
    parsed = _fixture("encounters__20260302T080000.json")
    assert (parsed.status, parsed.format, parsed.encoding) == ("ok", "fhir_json", "utf-8")
    assert [r.record_id for r in parsed.records] == ["LK2001", "LK2002"]
    assert [(a.record_no, a.resource_type) for a in parsed.auxiliary] == [
        (1, "Patient"),
        (3, "Condition"),
        (4, "Condition"),
    ]
    first = parsed.records[0]
    assert (first.record_no, first.resource_type) == (2, "Encounter")
    assert first.locator == "entry 2 (Encounter)"
    assert first.errors == []
    f = first.fields
    assert (f["citizen_id"], f["insurance_number"], f["patient_local_id"]) == (
        "001190023456",
        "GD4010120054321",
        "BN2001",
    )
    assert f["full_name"] == "Phạm Thị Thu Hằng"
    assert (f["birth_date"], f["birth_year"]) == (date(1990, 7, 1), 1990)  # "1990-07"
    assert f["phone"] == "0987654321"  # the phone, not the e-mail
    assert (f["address_line"], f["ward_code"]) == ("Số 8 ngõ 102 Trường Chinh", "00199")
    assert f["encounter_type"] == "inpatient"
    assert f["admitted_at"] == datetime(2026, 3, 1, 8, 15)  # 01:15Z in Hanoi
    assert f["discharged_at"] == datetime(2026, 3, 4, 10, 0)
    assert (f["primary_icd10"], f["secondary_icd10"]) == ("J18.9", ["E11.9"])  # by rank
    assert (f["referred_from"], f["discharge_type"], f["treatment_result"]) == ("01A3F", "1", "2")
    assert f["facility_code"] == "01012"
    assert json.loads(first.payload)["identifier"][0]["value"] == "LK2001"


def test_unresolved_subject_falls_back_to_its_logical_identifier_and_bad_dates_are_errors():
    second = _fixture("encounters__20260302T080000.json").records[1]
    f = second.fields
    assert (f["citizen_id"], f["patient_local_id"]) == ("001090001111", "p-missing")
    assert f["encounter_type"] == "emergency"
    assert f["admitted_at"] is None
    assert f["discharged_at"] == datetime(2026, 3, 1, 12, 0)  # no offset: already local
    assert [(e.rule_id, e.field) for e in second.errors] == [
        ("conformance.date_format", "admitted_at")
    ]


def test_ndjson_set_counted_file_is_joined_with_its_siblings():
    parsed = _fixture("encounters__20260302T090000.Encounter.ndjson")
    assert (parsed.status, parsed.format, parsed.table) == ("ok", "fhir_ndjson", "Encounter")
    assert parsed.auxiliary == []
    e1, broken, e3 = parsed.records
    assert e1.record_id == "LK3001"
    assert e1.locator == "line 1"
    assert (e1.fields["full_name"], e1.fields["citizen_id"]) == ("Vũ Minh Khôi", "001201009876")
    assert (e1.fields["birth_date"], e1.fields["birth_year"]) == (date(2001, 1, 1), 2001)
    assert e1.fields["primary_icd10"] == "A97.0"  # Condition.encounter → Encounter/e1
    assert e3.fields["primary_icd10"] == "B01.9"  # Condition.encounter by ma-lk identifier
    assert e3.fields["encounter_type"] == "day_inpatient"
    assert (broken.record_no, broken.record_id, broken.fields) == (2, None, {})
    assert [e.rule_id for e in broken.errors] == ["record.malformed"]
    raw_line = (FIXTURES / DAY / "encounters__20260302T090000.Encounter.ndjson").read_text()
    assert broken.payload == raw_line.splitlines()[1]


@pytest.mark.parametrize("part", ["Patient", "Condition"])
def test_ndjson_auxiliary_files_hold_only_auxiliary_records(part):
    parsed = _fixture(f"encounters__20260302T090000.{part}.ndjson")
    assert parsed.status == "ok"
    assert parsed.records == []
    assert [a.resource_type for a in parsed.auxiliary] == [part, part]
    assert [a.record_no for a in parsed.auxiliary] == [1, 2]


def test_ndjson_counted_file_without_siblings_still_parses(tmp_path):
    data = (FIXTURES / DAY / "encounters__20260302T090000.Encounter.ndjson").read_bytes()
    parsed = parse_file(
        tmp_path, land(tmp_path, "encounters__20260302T090000.Encounter.ndjson", data)
    )
    e1 = parsed.records[0]
    assert e1.fields["patient_local_id"] == "p1"  # the reference's id is all there is
    assert e1.fields["full_name"] is None
    assert e1.fields["primary_icd10"] is None


def test_siblings_of_another_export_are_not_joined(tmp_path):
    shutil.copytree(FIXTURES, tmp_path, dirs_exist_ok=True)
    folder = tmp_path / DAY
    (folder / "encounters__20260302T090000.Patient.ndjson").rename(
        folder / "encounters__20260302T091500.Patient.ndjson"
    )
    e1 = _fixture("encounters__20260302T090000.Encounter.ndjson", tmp_path).records[0]
    assert e1.fields["full_name"] is None
    assert e1.fields["primary_icd10"] == "A97.0"  # the Condition file still belongs


def test_medication_requests_with_contained_referenced_and_inline_medication():
    parsed = _fixture("prescriptions__20260302T100000.json")
    assert [a.resource_type for a in parsed.auxiliary] == ["Patient", "Medication"]
    contained, inline, referenced = parsed.records
    f = contained.fields
    assert (contained.record_id, f["line_no"], f["prescription_code"]) == (
        "LK3001-1",
        1,
        "01012xyz7890-c",
    )
    assert (f["drug_code"], f["atc_code"], f["drug_name"]) == (
        "40.17",
        "N02BE01",
        "Paracetamol 500mg",
    )
    assert (f["strength"], f["route"], f["quantity"], f["unit"]) == ("500 mg", "1.01", 10.0, "viên")
    assert f["dosage"] == "Uống 1 viên khi sốt trên 38,5°C"
    assert (f["encounter_id"], f["doctor_id"]) == ("LK3001", "BS009")
    assert f["ordered_at"] == datetime(2026, 3, 1, 9, 10)
    assert f["citizen_id"] == "001201009876"
    g = inline.fields
    assert (g["drug_code"], g["atc_code"], g["encounter_id"]) == ("40.30", "J01CA04", "LK3001")
    assert g["ordered_at"] == datetime(2026, 3, 1, 0, 0)  # a date only: midnight
    assert [(e.rule_id, e.field) for e in inline.errors] == [
        ("conformance.number_format", "quantity")
    ]
    assert referenced.record_id == "mr3"  # no line identifier: the resource id
    assert (referenced.fields["drug_code"], referenced.fields["drug_name"]) == ("05.12", "Oresol")


def test_referrals_are_service_requests_with_a_referral_category():
    parsed = _fixture("referrals__20260302T110000.ServiceRequest.ndjson")
    assert [r.record_id for r in parsed.records] == ["CT-2026-0101"]
    assert [(a.resource_type, a.record_id) for a in parsed.auxiliary] == [("ServiceRequest", "sr2")]
    f = parsed.records[0].fields
    assert (f["from_facility_code"], f["to_facility_code"]) == ("01012", "01001")
    assert (f["primary_icd10"], f["secondary_icd10"]) == ("I21.9", ["I10"])
    assert f["discharged_at"] == datetime(2026, 3, 1, 15, 45)
    assert (f["encounter_id"], f["referral_reason"], f["citizen_id"]) == (
        "LK3002",
        "2",
        "001185007777",
    )
    assert f["transport"] == "Xe cứu thương"  # from the labelled note


def test_appointment_participants_and_supporting_encounter():
    parsed = _fixture("appointments__20260302T140000.json")
    (appointment,) = parsed.records
    f = appointment.fields
    assert appointment.record_id == "GH-0101"
    assert (f["full_name"], f["citizen_id"]) == ("Đỗ Thị Lan", "001185007777")
    # Organization and Practitioner come as bare identifiers: their system says what they are.
    assert (f["facility_code"], f["doctor_id"], f["encounter_id"]) == ("01A3F", "BS003", "LK3003")
    assert (f["appointment_at"], f["issued_date"]) == (
        datetime(2026, 3, 15, 8, 0),
        date(2026, 3, 1),
    )
    assert f["primary_icd10"] == "B01.9"


def _bundle_bytes() -> bytes:
    return (FIXTURES / DAY / "encounters__20260302T080000.json").read_bytes()


@pytest.mark.parametrize("cut", [1, 40, 200, 1000, -30, -2])
def test_a_bundle_cut_short_is_truncated(tmp_path, cut):
    data = _bundle_bytes()[:cut]
    parsed = parse_file(tmp_path, land(tmp_path, "encounters__20260302T080000.json", data))
    assert (parsed.status, parsed.error_rule) == ("error", "file.truncated")
    assert parsed.error_message.startswith(f"{DAY}/encounters__20260302T080000.json")
    assert parsed.records == parsed.auxiliary == []


def test_a_bundle_cut_inside_a_vietnamese_character_is_truncated(tmp_path):
    data = _bundle_bytes()
    cut = data.index("Hằng".encode()) + 2  # inside the multi-byte "ằ"
    parsed = parse_file(tmp_path, land(tmp_path, "encounters__20260302T080000.json", data[:cut]))
    assert parsed.error_rule == "file.truncated"


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.replace(b'"type": "transaction",', b'"type": "transaction",,', 1),
        lambda d: d.replace(b'"status": "finished"', b'"status" "finished"', 1),
        lambda d: d + b"\n{}",
        lambda d: b"<Bundle xmlns='http://hl7.org/fhir'/>",
    ],
)
def test_json_that_does_not_parse_is_malformed(tmp_path, damage):
    parsed = parse_file(
        tmp_path, land(tmp_path, "encounters__20260302T080000.json", damage(_bundle_bytes()))
    )
    assert parsed.error_rule == "file.malformed_json"


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"", "file.empty"),
        (b"[1, 2, 3]", "file.unknown_layout"),
        (b'{"hello": "world"}', "file.unknown_layout"),
        (b'{"resourceType": "Bundle", "entry": {"x": 1}}', "file.unknown_layout"),
        ('{"resourceType": "Patient", "name": [{"text": "Trân"}]}'.encode("cp1258"),
         "file.encoding"),
    ],
)  # fmt: skip
def test_other_json_file_rejections(tmp_path, data, rule):
    parsed = parse_file(tmp_path, land(tmp_path, "encounters__20260302T080000.json", data))
    assert parsed.error_rule == rule


def test_odd_bundle_entries_are_kept_as_auxiliary(tmp_path):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [
            {"response": {"status": "201 Created"}},
            {"resource": {"id": "x"}},
            {"resource": {"resourceType": "Observation", "id": "o1"}},
            "not an entry",
        ],
    }
    relpath = land(tmp_path, "encounters__20260302T080000.json", json.dumps(bundle).encode())
    parsed = parse_file(tmp_path, relpath)
    # No Encounter at all: a file-level verdict for the sender, the entries kept in bronze.
    assert (parsed.status, parsed.error_rule) == ("error", "file.no_records")
    assert parsed.records == []
    aux = parsed.auxiliary
    assert [(a.record_no, a.resource_type) for a in aux] == [
        (1, None),
        (2, None),
        (3, "Observation"),
        (4, None),
    ]
    assert [e.rule_id for a in aux for e in a.errors] == ["record.malformed"]  # entry 2 only
    assert json.loads(aux[0].payload) == {"response": {"status": "201 Created"}}


def test_ndjson_lines_that_are_not_resources(tmp_path):
    lines = [
        b'{"resourceType":"Appointment","id":"a1","start":"2026-03-15T08:00:00+07:00"}',
        b"[1,2]",
        b'{"id":"no-type"}',
        '{"resourceType":"Appointment","id":"a2","comment":"Tr\xe2n"}'.encode("cp1258"),
        b"",
        b'{"resourceType":"Patient","id":"p9"}',
    ]
    relpath = land(tmp_path, "appointments__20260302T140000.Appointment.ndjson", b"\n".join(lines))
    parsed = parse_file(tmp_path, relpath)
    assert [(r.record_no, r.record_id) for r in parsed.records] == [
        (1, "a1"),
        (2, None),
        (3, None),
        (4, None),
    ]
    assert all(e.rule_id == "record.malformed" for r in parsed.records[1:] for e in r.errors)
    assert [(a.record_no, a.resource_type) for a in parsed.auxiliary] == [(6, "Patient")]


def test_dicom_json_named_as_a_bundle_is_recognised_by_content(tmp_path):
    data = (FIXTURES / DAY / "imaging_studies__20260302T050000.dicom.json").read_bytes()
    parsed = parse_file(tmp_path, land(tmp_path, "imaging_studies__20260302T050000.json", data))
    assert parsed.format == "dicom_json"
    assert parsed.records[0].record_id == "1.2.826.0.1.3680043.8.498.1001"


def test_a_bundle_named_as_dicom_json_is_recognised_by_content(tmp_path):
    series = [
        {"uid": "1.2.3.4.1", "numberOfInstances": 3, "bodySite": {"display": "Đầu"}},
        {"uid": "1.2.3.4.2", "numberOfInstances": 2, "modality": {"code": "MR"}},
    ]
    study = {
        "resourceType": "ImagingStudy",
        "id": "s1",
        "started": "2026-03-01T09:00:00+07:00",
        "identifier": [{"system": "urn:dicom:uid", "value": "urn:oid:1.2.3.4"}],
        "series": series,
    }
    relpath = land(
        tmp_path, "imaging_studies__20260302T050000.dicom.json", json.dumps(study).encode()
    )
    parsed = parse_file(tmp_path, relpath)
    assert parsed.format == "fhir_json"
    f = parsed.records[0].fields
    assert (f["study_uid"], f["modality"], f["number_of_instances"]) == ("1.2.3.4", "MR", 5)
    assert (f["body_part"], f["study_at"]) == ("Đầu", datetime(2026, 3, 1, 9, 0))


def test_patient_found_by_contained_reference_and_by_logical_identifier(tmp_path):
    patient = {
        "resourceType": "Patient",
        "id": "p7",
        "identifier": [{"system": "urn:vn:moh:sid:cccd", "value": "001095001234"}],
        "name": [{"family": "Bùi", "given": ["Thanh", "Tâm"]}],
    }
    contained = {
        "resourceType": "Encounter",
        "identifier": [{"system": "urn:vn:moh:sid:ma-lk", "value": "LK7001"}],
        "contained": [{**patient, "id": "pat", "name": [{"text": "Ngô Bảo Châu"}]}],
        "subject": {"reference": "#pat"},
        "class": {"code": "AMB"},
    }
    logical = {
        "resourceType": "Encounter",
        "identifier": [{"system": "urn:vn:moh:sid:ma-lk", "value": "LK7002"}],
        "subject": {"identifier": {"system": "urn:vn:moh:sid:cccd", "value": "001095001234"}},
        "class": {"code": "AMB"},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (patient, contained, logical)],
    }
    data = json.dumps(bundle, ensure_ascii=False).encode()
    parsed = parse_file(tmp_path, land(tmp_path, "encounters__20260302T080000.json", data))
    names = [r.fields["full_name"] for r in parsed.records]
    assert names == ["Ngô Bảo Châu", "Bùi Thanh Tâm"]
    assert parsed.records[1].fields["patient_local_id"] == "p7"


def test_missing_codes_are_not_hidden_by_fallbacks(tmp_path):
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr9",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "J01CA04"}]
        },
    }
    conditions = [
        {"resourceType": "Condition", "id": "c1", "clinicalStatus": {"text": "active"}},
        {"resourceType": "Condition", "id": "c2", "code": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]}},
    ]  # fmt: skip
    encounter = {
        "resourceType": "Encounter",
        "id": "e9",
        "class": {"code": "AMB"},
        "diagnosis": [
            {"condition": {"reference": "Condition/c2"}, "rank": 2},
            {"condition": {"reference": "Condition/c1"}, "rank": 1},
        ],
    }
    lines = "\n".join(json.dumps(r) for r in (encounter, *conditions)).encode()
    enc = parse_file(
        tmp_path, land(tmp_path, "encounters__20260302T090000.Encounter.ndjson", lines)
    )
    # The rank-1 diagnosis has no ICD-10 code: the primary is missing, not the rank-2 one.
    assert (enc.records[0].fields["primary_icd10"], enc.records[0].fields["secondary_icd10"]) == (
        None,
        ["I10"],
    )
    data = json.dumps(request).encode()
    med = parse_file(tmp_path, land(tmp_path, "prescriptions__20260302T100000.json", data))
    assert (med.records[0].fields["drug_code"], med.records[0].fields["atc_code"]) == (
        None,
        "J01CA04",
    )
