"""Each record rule catches a hand-built bad record and passes the matching good one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache

import pytest

from hanoi_health_lake.conform import staged_frame
from hanoi_health_lake.contracts import ValidationContext, validate
from hanoi_health_lake.records import (
    DATASETS,
    REQUIRED_FIELDS,
    ParsedFile,
    ParsedRecord,
    RecordError,
)
from hanoi_health_lake.reference.wards import ward_codes
from tests.people import NGUYEN_VAN_AN

DAY = date(2026, 3, 1)
ADMITTED = datetime(2026, 3, 1, 8, 30)
DISCHARGED = datetime(2026, 3, 1, 10, 0)
CTX = ValidationContext(registry_codes=frozenset({"01012", "01001", "01A3F"}))
WARD = min(ward_codes())

PERSON = {
    **NGUYEN_VAN_AN,
    "ward_code": WARD,
    "patient_local_id": "BN0001",
}
GOOD: dict[str, dict] = {
    "encounters": {
        **PERSON,
        "encounter_id": "LK0001",
        "facility_code": "01012",
        "encounter_type": "inpatient",
        "admitted_at": ADMITTED,
        "inpatient_at": ADMITTED + timedelta(minutes=20),
        "discharged_at": DISCHARGED,
        "primary_icd10": "J06.9",
        "secondary_icd10": ["I10", "E11.9"],
        "treatment_result": "1",
        "discharge_type": "2",
        "referred_from": "01001",
        "referred_to": "01A3F",
        "followup_dates": [date(2026, 3, 8)],
        "total_cost_vnd": 1_500_000.0,
        "insurance_paid_vnd": 1_200_000.0,
        "patient_paid_vnd": 300_000.0,
        "weight_kg": 61.5,
        "department_code": "K01",
    },
    "prescriptions": {
        **PERSON,
        "line_id": "LK0001-1",
        "facility_code": "01012",
        "encounter_id": "LK0001",
        "prescription_code": "01012abc1234-c",
        "line_no": 1,
        "drug_code": "40.17",
        "drug_name": "Paracetamol 500mg",
        "atc_code": "N02BE01",
        "unit": "viên",
        "strength": "500mg",
        "route": "uống",
        "dosage": "2 viên/ngày",
        "quantity": 10.0,
        "unit_price_vnd": 500.0,
        "amount_vnd": 5000.0,
        "doctor_id": "BS01",
        "ordered_at": ADMITTED + timedelta(minutes=45),
    },
    "referrals": {
        **PERSON,
        "referral_id": "CT0001",
        "facility_code": "01012",
        "encounter_id": "LK0001",
        "from_facility_code": "01012",
        "to_facility_code": "01A3F",
        "admitted_at": ADMITTED,
        "discharged_at": DISCHARGED,
        "primary_icd10": "I21.0",
        "secondary_icd10": ["I10"],
        "discharge_type": "2",
        "referral_reason": "2",
        "transport": "xe cứu thương",
        "doctor_id": "BS01",
    },
    "appointments": {
        **PERSON,
        "appointment_id": "GH0001",
        "facility_code": "01012",
        "encounter_id": "LK0001",
        "admitted_at": ADMITTED,
        "discharged_at": DISCHARGED,
        "appointment_at": datetime(2026, 3, 8, 8, 0),
        "issued_date": date(2026, 3, 1),
        "primary_icd10": "E11.9",
        "doctor_id": "BS01",
    },
    "imaging_studies": {
        **PERSON,
        "study_uid": "1.2.840.113619.2.55.3.1",
        "facility_code": "01012",
        "accession_number": "ACC0001",
        "modality": "CT",
        "study_at": ADMITTED + timedelta(hours=1),
        "body_part": "CHEST",
        "description": "CT ngực",
        "number_of_instances": 120,
        "sop_class_uid": "1.2.840.10008.5.1.4.1.1.2",
        "transfer_syntax": "1.2.840.10008.1.2.1",
        "character_set": "ISO_IR 192",
    },
    "services": {
        "line_id": "LK0001-1",
        "facility_code": "01012",
        "encounter_id": "LK0001",
        "line_no": 1,
        "service_code": "18.0001.0001",
        "service_name": "Chụp X-quang ngực thẳng",
        "quantity": 1.0,
        "amount_vnd": 65400.0,
        "ordered_at": ADMITTED + timedelta(minutes=15),
        "result_at": ADMITTED + timedelta(minutes=55),
    },
    "lab_results": {
        "line_id": "LK0001-1",
        "facility_code": "01012",
        "encounter_id": "LK0001",
        "line_no": 1,
        "service_code": "22.0121.1369",
        "test_code": "WBC",
        "value": "11.2",
        "unit": "G/L",
        "result_at": ADMITTED + timedelta(hours=1),
    },
    "checkins": {
        **PERSON,
        "encounter_id": "LK0001",
        "facility_code": "01012",
        "encounter_type": "outpatient",
        "admitted_at": ADMITTED,
        "patient_category": "1",
        "registered_facility_code": "01012",
        "service_code": "02.1896",
        "service_name": "Khám bệnh",
        "drug_code": "40.17",
        "drug_name": "Paracetamol",
        "ordered_at": ADMITTED + timedelta(minutes=20),
    },
}
ID_FIELD = {
    "encounters": "encounter_id",
    "prescriptions": "line_id",
    "referrals": "referral_id",
    "appointments": "appointment_id",
    "imaging_studies": "study_uid",
    "services": "line_id",
    "lab_results": "line_id",
    "checkins": "encounter_id",
}


def _record(dataset: str, no: int, fields: dict, errors: list[RecordError] | None = None):
    record_id = fields.get(ID_FIELD[dataset])
    return ParsedRecord(dataset, no, f"row {no}", record_id, fields, "{}", errors or [])


def _file(dataset: str, stamp: str = "20260302T061500") -> ParsedFile:
    return ParsedFile(f"01012/2026-03-01/{dataset}__{stamp}.csv", "csv", 1, "0" * 64)


def _outcome(dataset: str, records: list[ParsedRecord], files: list[ParsedFile] | None = None):
    files = files or [_file(dataset)] * len(records)
    frame = staged_frame(dataset, zip(files, records, strict=True), service_date=DAY)
    return validate(dataset, frame, CTX)


def _changed(dataset: str, change: Callable[[dict], list[RecordError] | None], no: int):
    fields = dict(GOOD[dataset])
    fields[ID_FIELD[dataset]] = f"{fields[ID_FIELD[dataset]]}{no:02d}"  # its own record id
    errors = change(fields)
    return _record(dataset, no, fields, errors)


def _set(**values) -> Callable[[dict], None]:
    return lambda fields: fields.update(values)


def _unparsed(field: str, rule: str) -> Callable[[dict], list[RecordError]]:
    """What a parser hands over for a value that did not parse: None and an error."""

    def change(fields: dict) -> list[RecordError]:
        fields[field] = None
        return [RecordError(rule, field, f"{field}: does not parse")]

    return change


def _reissued(citizen_id: str) -> Callable[[dict], None]:
    return _set(citizen_id=citizen_id)


LATER = DAY + timedelta(days=30)
FAULT_CASES = [
    ("encounters", "conformance.date_format", _unparsed("inpatient_at", "conformance.date_format")),
    (
        "appointments",
        "conformance.date_format",
        _unparsed("issued_date", "conformance.date_format"),
    ),
    (
        "prescriptions",
        "conformance.date_format",
        _unparsed("ordered_at", "conformance.date_format"),
    ),
    (
        "encounters",
        "record.malformed",
        lambda f: (f.clear(), [RecordError("record.malformed", None, "bad JSON")])[1],
    ),
    (
        "encounters",
        "plausibility.birth_before_visit",
        _set(birth_date=LATER, birth_year=LATER.year, citizen_id="001326012345"),
    ),
    (
        "imaging_studies",
        "plausibility.birth_before_visit",
        _set(birth_date=None, birth_year=2027, citizen_id=None),
    ),
    (
        "encounters",
        "plausibility.discharge_after_admission",
        _set(discharged_at=ADMITTED - timedelta(minutes=5)),
    ),
    (
        "referrals",
        "plausibility.discharge_after_admission",
        _set(admitted_at=DISCHARGED + timedelta(hours=1)),
    ),
    (
        "appointments",
        "plausibility.discharge_after_admission",
        _set(discharged_at=ADMITTED - timedelta(days=1)),
    ),
    ("encounters", "conformance.icd10_known", _set(primary_icd10="E11.65")),
    ("encounters", "conformance.icd10_known", _set(secondary_icd10=["I10", "J45.909"])),
    ("referrals", "conformance.icd10_known", _set(primary_icd10="Z00.00")),
    ("appointments", "conformance.icd10_known", _set(primary_icd10="K21.00")),
    ("encounters", "plausibility.citizen_id_consistent", _reissued("001185012345")),  # female digit
    ("encounters", "plausibility.citizen_id_consistent", _reissued("001087012345")),  # year 87
    ("encounters", "plausibility.citizen_id_consistent", _reissued("001285012345")),  # 2000s
    (
        "encounters",
        "plausibility.citizen_id_consistent",
        _set(sex="other", citizen_id="001385012345"),
    ),
    (
        "imaging_studies",
        "plausibility.citizen_id_consistent",
        _set(birth_date=None, citizen_id="001084012345"),
    ),
    ("prescriptions", "plausibility.quantity_positive", _set(quantity=-10.0, amount_vnd=-5000.0)),
    ("prescriptions", "plausibility.quantity_positive", _set(quantity=0.0, amount_vnd=0.0)),
    ("encounters", "conformance.facility_known", _set(facility_code="01ZZ9")),
    ("appointments", "conformance.facility_known", _set(facility_code="01ZZ9")),
    ("referrals", "conformance.referral_target_known", _set(to_facility_code="01ZZ9")),
    ("encounters", "conformance.referral_target_known", _set(referred_to="01ZZ9")),
    *(
        (dataset, "completeness.required", _set(**{field: None}))
        for dataset in DATASETS
        for field in REQUIRED_FIELDS[dataset]
        if field != ID_FIELD[dataset]
    ),
    *(
        (dataset, "completeness.required", _set(**{field: "  "}))
        for dataset in DATASETS
        for field in ("facility_code",)
    ),
]
WARN_CASES = [
    ("encounters", "conformance.ward_known", _set(ward_code="79999")),
    ("encounters", "conformance.citizen_id_format", _set(citizen_id="B12345678")),
    ("encounters", "conformance.insurance_number_format", _set(insurance_number="DN40101234")),
    ("encounters", "plausibility.weight_range", _set(weight_kg=900.0)),
    ("encounters", "plausibility.money_nonnegative", _set(total_cost_vnd=-1.0)),
    ("encounters", "conformance.treatment_result_known", _set(treatment_result="9")),
    (
        "encounters",
        "plausibility.inpatient_within_stay",
        _set(inpatient_at=DISCHARGED + timedelta(hours=1)),
    ),
    ("encounters", "conformance.referral_source_known", _set(referred_from="01ZZ9")),
    (
        "encounters",
        "conformance.code_value",
        _unparsed("treatment_result", "conformance.code_value"),
    ),
    ("prescriptions", "plausibility.amount_consistent", _set(amount_vnd=7000.0)),
    (
        "prescriptions",
        "conformance.prescription_code_format",
        _set(prescription_code="01012ABC1234-c"),
    ),
    ("referrals", "conformance.discharge_type_known", _set(discharge_type="1")),
    (
        "appointments",
        "plausibility.appointment_after_issue",
        _set(appointment_at=datetime(2026, 2, 27, 8)),
    ),
    ("imaging_studies", "conformance.modality_known", _set(modality="XX")),
    (
        "imaging_studies",
        "plausibility.age_range",
        _set(birth_date=date(1890, 1, 1), birth_year=1890, citizen_id=None),
    ),
]


@pytest.mark.parametrize("dataset", DATASETS)
def test_good_records_break_no_rule(dataset):
    outcome = _outcome(dataset, [_record(dataset, 1, GOOD[dataset])])
    assert outcome.errors.to_list() == [[]]
    assert outcome.warnings.to_list() == [[]]
    assert outcome.success


@cache
def _batch(dataset: str):
    """One validation per dataset: the good record (row 0), then every changed record in order.

    Each case keeps its own row, so each parametrised test below still checks one rule.
    """
    cases = [c for c in FAULT_CASES + WARN_CASES if c[0] == dataset]
    records = [_record(dataset, 1, GOOD[dataset])]
    records += [_changed(dataset, change, no) for no, (_, _, change) in enumerate(cases, 2)]
    outcome = _outcome(dataset, records)
    return outcome, {id(change): row for row, (_, _, change) in enumerate(cases, 1)}


def _case(dataset: str, change) -> tuple[list[str], list[str], list[str], list[str]]:
    """(good errors, good warnings, bad errors, bad warnings)."""
    outcome, rows = _batch(dataset)
    errors, warnings = outcome.errors.to_list(), outcome.warnings.to_list()
    row = rows[id(change)]
    return errors[0], warnings[0], errors[row], warnings[row]


@pytest.mark.parametrize(
    ("dataset", "rule_id", "change"),
    FAULT_CASES,
    ids=[f"{d}-{r}-{i}" for i, (d, r, _) in enumerate(FAULT_CASES)],
)
def test_rule_rejects_the_bad_record_and_keeps_the_good(dataset, rule_id, change):
    good_errors, good_warnings, bad_errors, _ = _case(dataset, change)
    assert (good_errors, good_warnings) == ([], [])
    assert rule_id in bad_errors


def test_required_id_field_missing_is_caught():
    for dataset in DATASETS:
        fields = {**GOOD[dataset], ID_FIELD[dataset]: None}
        outcome = _outcome(
            dataset, [_record(dataset, 1, GOOD[dataset]), _record(dataset, 2, fields)]
        )
        assert outcome.errors.to_list() == [[], ["completeness.required"]], dataset


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_copy_of_a_repeated_record_id_in_one_file_is_rejected(dataset):
    first = _record(dataset, 1, GOOD[dataset])
    copy = _record(dataset, 2, {**GOOD[dataset], "facility_code": "01012"})
    other = _record(dataset, 3, {**GOOD[dataset], ID_FIELD[dataset]: "X-3"})
    outcome = _outcome(dataset, [first, copy, other])
    assert outcome.errors.to_list() == [["uniqueness.record_id"], ["uniqueness.record_id"], []]


def test_the_same_record_id_in_two_files_is_not_a_duplicate():
    files = [_file("encounters", "20260302T061500"), _file("encounters", "20260302T071500")]
    records = [_record("encounters", 1, GOOD["encounters"])] * 2
    assert _outcome("encounters", records, files).errors.to_list() == [[], []]


def test_an_unknown_birth_day_and_month_still_passes():
    # QĐ 130 `19850000`: the parser gives 1 January and the year; a newborn seen on its birthday
    fields = {**GOOD["encounters"], "birth_date": date(2026, 1, 1), "birth_year": 2026}
    fields["citizen_id"] = "001226012345"
    assert _outcome("encounters", [_record("encounters", 1, fields)]).errors.to_list() == [[]]


def test_sex_other_checks_only_the_century():
    fields = {**GOOD["encounters"], "sex": "other", "citizen_id": "001185012345"}
    assert _outcome("encounters", [_record("encounters", 1, fields)]).errors.to_list() == [[]]


@pytest.mark.parametrize(
    ("dataset", "rule_id", "change"), WARN_CASES, ids=[r for _, r, _ in WARN_CASES]
)
def test_a_warning_is_recorded_and_the_record_kept(dataset, rule_id, change):
    _, _, bad_errors, bad_warnings = _case(dataset, change)
    assert bad_errors == []
    assert bad_warnings == [rule_id]
    assert _batch(dataset)[0].rules[rule_id].severity == "warn"


def test_a_record_in_another_facility_folder_is_rejected():
    # Kept, it would count for the facility it names, twice when that facility sent it too.
    fields = {**GOOD["encounters"], "facility_code": "01001"}
    outcome = _outcome("encounters", [_record("encounters", 1, fields)])
    assert outcome.errors.to_list() == [["conformance.facility_matches_folder"]]
    assert outcome.warnings.to_list() == [[]]


def test_a_parser_rule_outside_the_contract_still_rejects():
    errors = [RecordError("conformance.unheard_of", "x", "new parser check")]
    record = _record("encounters", 1, GOOD["encounters"], errors)
    frame = staged_frame("encounters", [(_file("encounters"), record)], service_date=DAY)
    outcome = validate("encounters", frame, CTX)
    assert outcome.errors.to_list() == [["conformance.unheard_of"]]
    rejected = outcome.rejected(frame)
    assert rejected["categories"].to_list() == [["conformance"]]
    assert rejected["reason"][0].endswith("row 1: conformance.unheard_of (new parser check)")


def test_rejected_rows_carry_rule_ids_and_categories():
    bad = {
        **GOOD["encounters"],
        "encounter_id": "LK9",
        "primary_icd10": "E11.65",
        "citizen_id": "001185012345",
    }
    records = [_record("encounters", 1, GOOD["encounters"]), _record("encounters", 2, bad)]
    frame = staged_frame(
        "encounters", [(_file("encounters"), r) for r in records], service_date=DAY
    )
    outcome = validate("encounters", frame, CTX)
    rejected = outcome.rejected(frame)
    assert rejected["record_id"].to_list() == ["LK9"]
    assert rejected["rule_ids"].to_list() == [
        ["conformance.icd10_known", "plausibility.citizen_id_consistent"]
    ]
    assert rejected["categories"].to_list() == [["conformance", "plausibility"]]
    assert rejected["severity"].to_list() == ["error"]
    assert rejected["reason"].to_list() == [
        "01012/2026-03-01/encounters__20260302T061500.csv row 2: "
        + "; ".join(outcome.descriptions[r] for r in rejected["rule_ids"][0])
    ]
    assert outcome.accepted(frame)["record_id"].to_list() == ["LK0001"]


def test_counts_cover_evaluated_rows_only():
    no_weight = {**GOOD["encounters"], "encounter_id": "LK2", "weight_kg": None}
    heavy = {**GOOD["encounters"], "encounter_id": "LK3", "weight_kg": 900.0}
    records = [
        _record("encounters", i, f) for i, f in enumerate([GOOD["encounters"], no_weight, heavy], 1)
    ]
    weight = _outcome("encounters", records).rules["plausibility.weight_range"]
    assert (weight.evaluated, weight.failed, weight.pass_rate) == (2, 1, 0.5)
