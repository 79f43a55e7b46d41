"""What a parser hands to the pipeline: files and records in one canonical shape per dataset.

Parsers (hanoi_health_lake/parsers/) turn any supported delivery into `ParsedFile`s. A record's
`fields` use the canonical names below whatever the format, with typed values where the value
parsed (datetime.date, datetime.datetime naive in Asia/Ho_Chi_Minh local time, int, float,
list[str]) and None where it was absent or did not parse; a value that did not parse also leaves
an entry in `errors` with the contract rule it breaks. Personal identifiers are still present here:
this is the bronze (restricted) view. Conforming to silver drops them (see PII_FIELDS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DATASETS = (
    "encounters", "prescriptions", "referrals", "appointments", "imaging_studies",
    "services", "lab_results", "checkins",
)  # fmt: skip
FORMATS = ("fhir_json", "fhir_ndjson", "csv", "dicom", "dicom_json", "qd130_xml")

# Person fields any dataset may carry, depending on the format.
PERSON_FIELDS = (
    "citizen_id",  # str, 12 digits when valid
    "full_name",  # str
    "birth_date",  # date; an unknown day or month (`00`) becomes the 1st
    "birth_year",  # int, kept apart because QĐ 130 allows an unknown day/month
    "sex",  # "male" | "female" | "other" | "unknown"
    "insurance_number",  # str, 15 chars per card
    "phone",  # str
    "address_line",  # str, street address
    "ward_code",  # str, 5 digits (MAXA_CU_TRU)
    "patient_local_id",  # str, the facility's own patient number (MA_BN, Patient.id)
)

# Fields that never leave bronze: identify a person directly.
PII_FIELDS = frozenset(
    {"citizen_id", "full_name", "insurance_number", "phone", "address_line", "patient_local_id"}
)

DATASET_FIELDS: dict[str, tuple[str, ...]] = {
    "encounters": (
        "encounter_id", "facility_code", "encounter_type", "admitted_at", "inpatient_at",
        "discharged_at", "primary_icd10", "secondary_icd10", "treatment_result",
        "discharge_type", "referred_from", "referred_to", "followup_dates", "total_cost_vnd",
        "insurance_paid_vnd", "patient_paid_vnd", "weight_kg", "department_code",
    ),
    "prescriptions": (
        "line_id", "facility_code", "encounter_id", "prescription_code", "line_no",
        "drug_code", "drug_name", "atc_code", "unit", "strength", "route", "dosage", "quantity",
        "unit_price_vnd", "amount_vnd", "doctor_id", "ordered_at",
    ),
    "referrals": (
        "referral_id", "facility_code", "encounter_id", "from_facility_code",
        "to_facility_code", "admitted_at", "discharged_at", "primary_icd10", "secondary_icd10",
        "discharge_type", "referral_reason", "transport", "doctor_id",
    ),
    "appointments": (
        "appointment_id", "facility_code", "encounter_id", "admitted_at", "discharged_at",
        "appointment_at", "issued_date", "primary_icd10", "doctor_id",
    ),
    "imaging_studies": (
        "study_uid", "facility_code", "accession_number", "modality", "study_at", "body_part",
        "description", "number_of_instances", "sop_class_uid", "transfer_syntax",
        "character_set", "series_uid", "instance_uid",
    ),
    # QĐ 130 XML3 (dossier only): one service or supply line of an episode.
    "services": (
        "line_id", "facility_code", "encounter_id", "line_no", "service_code", "service_name",
        "supply_code", "supply_name", "unit", "quantity", "unit_price_vnd", "amount_vnd",
        "department_code", "doctor_id", "ordered_at", "result_at",
    ),
    # QĐ 130 XML4 (dossier only): one lab or imaging result item of an episode.
    "lab_results": (
        "line_id", "facility_code", "encounter_id", "line_no", "service_code", "test_code",
        "test_name", "value", "unit", "description", "conclusion", "result_at", "doctor_id",
    ),
    # QĐ 130 check-in table (checkin__<ts>.xml): care started. The first service, drug or supply
    # ordered comes with it; card validity and the inpatient reason stay in bronze.
    "checkins": (
        "encounter_id", "facility_code", "encounter_type", "admitted_at", "inpatient_at",
        "patient_category", "registered_facility_code", "service_code", "service_name",
        "drug_code", "drug_name", "supply_code", "supply_name", "ordered_at",
    ),
}  # fmt: skip

# The natural key of each dataset within one facility (the record_id of a ParsedRecord).
RECORD_ID_FIELD = {
    "encounters": "encounter_id",
    "prescriptions": "line_id",
    "referrals": "referral_id",
    "appointments": "appointment_id",
    "imaging_studies": "study_uid",  # a DICOM record is one instance: SOPInstanceUID
    "services": "line_id",
    "lab_results": "line_id",
    "checkins": "encounter_id",  # one check-in per episode (MA_LK)
}


@dataclass
class RecordError:
    rule_id: str  # a rule id from data_contracts/ or faults.py (e.g. "conformance.date_format")
    field: str | None
    message: str


LANDING_FOLDER = "the landing folder"  # a facility_source: the sender's folder, lacking a field


@dataclass
class ParsedRecord:
    dataset: str
    record_no: int  # 1-based position of the record in its file
    locator: str  # for a person reading quarantine: "row 12", "line 3", "entry 4 (Encounter/e1)"
    record_id: str | None
    fields: dict[str, Any]
    payload: str  # the record exactly as delivered (CSV row as a JSON object, resource JSON)
    errors: list[RecordError] = field(default_factory=list)
    resource_type: str | None = None  # FHIR resourceType (bronze_records.resource_type)
    # Where facility_code was read ("MA_CSKCB", "Encounter.serviceProvider", "the landing
    # folder"): a verdict on the value names the field that held it.
    facility_source: str | None = None


@dataclass
class ParsedFile:
    path: str  # relative to the landing root
    format: str  # one of FORMATS, or "unknown"
    size: int
    sha256: str
    encoding: str | None = None  # "utf-8", "utf-8-sig", "cp1258" for CSV; JSON is UTF-8
    delimiter: str | None = None
    table: str | None = None  # QĐ 130 table (XML1…) or FHIR resource type for NDJSON
    status: Literal["ok", "error"] = "ok"
    error_rule: str | None = None  # a file-level rule id from faults.py when status == "error"
    error_message: str | None = None  # names the file and says what is wrong
    records: list[ParsedRecord] = field(default_factory=list)
    # Resources delivered alongside the counted records (FHIR Patient, Condition, Medication):
    # kept in bronze, joined into records, never counted as records of their own.
    auxiliary: list[ParsedRecord] = field(default_factory=list)


# Fields a record must carry (contract rule `completeness.required`). Each maps back to a required
# QĐ 130 column (formats/qd130.py *_REQUIRED) or the FHIR element that carries it; the simulator's
# `missing_required_field` fault empties one of these.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "encounters": (
        "encounter_id", "facility_code", "patient_local_id", "citizen_id", "birth_date", "sex",
        "encounter_type", "admitted_at", "discharged_at", "primary_icd10",
    ),
    "prescriptions": (
        "line_id", "facility_code", "encounter_id", "drug_code", "drug_name", "quantity",
        "ordered_at",
    ),
    "referrals": (
        "referral_id", "facility_code", "encounter_id", "to_facility_code", "primary_icd10",
        "discharged_at",
    ),
    "appointments": (
        "appointment_id", "facility_code", "encounter_id", "appointment_at", "issued_date",
    ),
    "imaging_studies": ("study_uid", "facility_code", "modality", "study_at"),
    "services": ("line_id", "facility_code", "encounter_id", "ordered_at"),
    "lab_results": ("line_id", "facility_code", "encounter_id", "service_code"),
    "checkins": (
        "encounter_id", "facility_code", "patient_local_id", "birth_date", "sex",
        "encounter_type", "admitted_at",
    ),
}  # fmt: skip
