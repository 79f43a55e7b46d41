"""Arrow schemas of the silver tables (docs/lake-tables.md), fixed so that an empty partition
still writes a typed table. No column here may hold a direct identifier (records.PII_FIELDS)."""

from __future__ import annotations

import pyarrow as pa

from hanoi_health_lake.config import TIMEZONE

AT = pa.timestamp("us", tz=TIMEZONE)  # `_at` columns carry their zone (STYLE.md)

PERSON = [
    ("facility_code", pa.string()),
    ("service_date", pa.date32()),
    ("patient_key", pa.string()),
    ("patient_key_type", pa.string()),
    ("sex", pa.string()),
    ("birth_year", pa.int32()),
    ("age_years", pa.int32()),
    ("ward_code", pa.string()),
]
PROVENANCE = [
    ("source_file", pa.string()),
    ("export_ts", pa.timestamp("us")),  # local time, as in the file name and bronze
    ("record_no", pa.int64()),
    ("run_id", pa.string()),
    ("source_format", pa.string()),
]


def _schema(*columns: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([*PERSON, *columns, *PROVENANCE])


SILVER_SCHEMAS: dict[str, pa.Schema] = {
    "encounters": _schema(
        ("encounter_id", pa.string()),
        ("encounter_type", pa.string()),
        ("admitted_at", AT),
        ("inpatient_at", AT),
        ("discharged_at", AT),
        ("primary_icd10", pa.string()),
        ("secondary_icd10", pa.list_(pa.string())),
        ("treatment_result", pa.string()),
        ("discharge_type", pa.string()),
        ("referred_from", pa.string()),
        ("referred_to", pa.string()),
        ("followup_date", pa.date32()),
        ("total_cost_vnd", pa.float64()),
        ("insurance_paid_vnd", pa.float64()),
        ("patient_paid_vnd", pa.float64()),
        ("weight_kg", pa.float64()),
        ("department_code", pa.string()),
    ),
    "diagnoses": _schema(
        ("encounter_id", pa.string()),
        ("icd10", pa.string()),
        ("icd10_chapter", pa.string()),
        ("is_primary", pa.bool_()),
        ("seq", pa.int32()),
        ("admitted_at", AT),
    ),
    "prescriptions": _schema(
        ("prescription_code", pa.string()),
        ("encounter_id", pa.string()),
        ("ordered_at", AT),
        ("n_items", pa.int32()),
        ("doctor_id", pa.string()),
    ),
    "prescription_items": _schema(
        ("line_id", pa.string()),
        ("prescription_code", pa.string()),
        ("encounter_id", pa.string()),
        ("line_no", pa.int32()),
        ("drug_code", pa.string()),
        ("drug_name", pa.string()),
        ("atc_code", pa.string()),
        ("route", pa.string()),
        ("unit", pa.string()),
        ("strength", pa.string()),
        ("dosage", pa.string()),
        ("quantity", pa.float64()),
        ("unit_price_vnd", pa.float64()),
        ("amount_vnd", pa.float64()),
        ("doctor_id", pa.string()),
        ("ordered_at", AT),
    ),
    "referrals": _schema(
        ("referral_id", pa.string()),
        ("encounter_id", pa.string()),
        ("from_facility_code", pa.string()),
        ("to_facility_code", pa.string()),
        ("referred_at", AT),
        ("admitted_at", AT),
        ("primary_icd10", pa.string()),
        ("discharge_type", pa.string()),
        ("referral_reason", pa.string()),
        ("transport", pa.string()),
        ("doctor_id", pa.string()),
    ),
    "appointments": _schema(
        ("appointment_id", pa.string()),
        ("encounter_id", pa.string()),
        ("appointment_at", AT),
        ("appointment_date", pa.date32()),
        ("issued_date", pa.date32()),
        ("primary_icd10", pa.string()),
        ("doctor_id", pa.string()),
    ),
    "imaging_studies": _schema(
        ("study_uid", pa.string()),
        ("accession_number", pa.string()),
        ("modality", pa.string()),
        ("study_at", AT),
        ("body_part", pa.string()),
        ("description", pa.string()),
        ("number_of_instances", pa.int32()),
        ("sop_class_uid", pa.string()),
        ("transfer_syntax", pa.string()),
        ("character_set", pa.string()),
        # What was received of the study (instances roll up to one row: conform/silver.py).
        ("instances_received", pa.int32()),
        ("series_received", pa.int32()),
        ("records_received", pa.int32()),
    ),
    # QĐ 130 XML3 and XML4, delivered only in the XML dossier; the health book needs them.
    "services": _schema(
        ("line_id", pa.string()),
        ("encounter_id", pa.string()),
        ("line_no", pa.int32()),
        ("service_code", pa.string()),
        ("service_name", pa.string()),
        ("supply_code", pa.string()),
        ("supply_name", pa.string()),
        ("unit", pa.string()),
        ("quantity", pa.float64()),
        ("unit_price_vnd", pa.float64()),
        ("amount_vnd", pa.float64()),
        ("department_code", pa.string()),
        ("doctor_id", pa.string()),
        ("ordered_at", AT),
        ("result_at", AT),
    ),
    "lab_results": _schema(
        ("line_id", pa.string()),
        ("encounter_id", pa.string()),
        ("line_no", pa.int32()),
        ("service_code", pa.string()),
        ("test_code", pa.string()),
        ("test_name", pa.string()),
        ("value", pa.string()),
        ("unit", pa.string()),
        ("description", pa.string()),
        ("conclusion", pa.string()),
        ("result_at", AT),
        ("doctor_id", pa.string()),
    ),
    # The QĐ 130 check-in table (checkin__<ts>.xml): care started, the earliest sign of a live
    # facility. Identifiers (name, citizen id, card, MA_BN) only feed patient_key.
    "checkins": _schema(
        ("encounter_id", pa.string()),
        ("encounter_type", pa.string()),
        ("admitted_at", AT),
        ("inpatient_at", AT),
        ("patient_category", pa.string()),
        ("registered_facility_code", pa.string()),
        ("service_code", pa.string()),
        ("service_name", pa.string()),
        ("drug_code", pa.string()),
        ("drug_name", pa.string()),
        ("supply_code", pa.string()),
        ("supply_name", pa.string()),
        ("ordered_at", AT),
    ),
}

# The silver tables each staged dataset conforms into.
SILVER_TABLES: dict[str, tuple[str, ...]] = {
    "encounters": ("encounters", "diagnoses"),
    "prescriptions": ("prescription_items", "prescriptions"),
    "referrals": ("referrals",),
    "appointments": ("appointments",),
    "imaging_studies": ("imaging_studies",),
    "services": ("services",),
    "lab_results": ("lab_results",),
    "checkins": ("checkins",),
}
