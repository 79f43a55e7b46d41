"""Silver tables: pseudonymous (no identifier anywhere), typed, diagnoses exploded, patients
borrowed from encounters by the CSV tables that do not carry them."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pyarrow as pa
import pytest

from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.conform import Pseudonymizer, conform, encounter_lookup, staged_frame
from hanoi_health_lake.lake.catalog import SILVER_SCHEMAS, SILVER_TABLES
from hanoi_health_lake.records import DATASETS, PII_FIELDS, ParsedFile, ParsedRecord
from hanoi_health_lake.reference import icd10
from tests.people import NGUYEN_VAN_AN

DAY = date(2026, 3, 1)
P = Pseudonymizer(b"0123456789abcdef0123456789abcdef")
PEOPLE = [
    {
        **NGUYEN_VAN_AN,
        "ward_code": "00004",
        "patient_local_id": "BN-AN-0001",
    },
    {
        "citizen_id": "001302987654",
        "full_name": "Trần Thị Bình",
        "birth_date": date(2002, 11, 3),
        "birth_year": 2002,
        "sex": "female",
        "insurance_number": "HS4010987654321",
        "phone": "0987654321",
        "address_line": "25 Phố Huế",
        "ward_code": "00070",
        "patient_local_id": "BN-BINH-0002",
    },
]


def _file(dataset: str) -> ParsedFile:
    return ParsedFile(f"01012/2026-03-01/{dataset}__20260302T061500.csv", "csv", 1, "0" * 64)


def _staged(dataset: str, rows: list[dict], id_field: str) -> pl.DataFrame:
    records = [
        ParsedRecord(dataset, i, f"row {i}", row.get(id_field), row, "{}")
        for i, row in enumerate(rows, 1)
    ]
    return staged_frame(dataset, [(_file(dataset), r) for r in records], service_date=DAY)


def _encounters() -> pl.DataFrame:
    rows = [
        {
            **PEOPLE[0],
            "encounter_id": "LK1",
            "facility_code": "01012",
            "encounter_type": "inpatient",
            "admitted_at": datetime(2026, 3, 1, 8, 30),
            "discharged_at": datetime(2026, 3, 1, 17, 0),
            "primary_icd10": "j069",
            "secondary_icd10": ["I10", "J06.9", "E119"],
            "followup_dates": [date(2026, 3, 15), date(2026, 3, 8)],
            "total_cost_vnd": 1_500_000.0,
        },
        {
            **PEOPLE[1],
            "encounter_id": "LK2",
            "facility_code": "01012",
            "encounter_type": "outpatient",
            "admitted_at": datetime(2026, 3, 1, 23, 50),
            "discharged_at": datetime(2026, 3, 2, 0, 30),
            "primary_icd10": "A90",
        },
    ]
    return _staged("encounters", rows, "encounter_id")


def _csv_lines() -> pl.DataFrame:
    base = {
        "facility_code": "01012",
        "drug_code": "40.17",
        "drug_name": "Paracetamol",
        "quantity": 10.0,
        "unit_price_vnd": 500.0,
        "amount_vnd": 5000.0,
        "doctor_id": "BS1",
    }
    rows = [
        {
            **base,
            "line_id": "LK1-1",
            "encounter_id": "LK1",
            "prescription_code": "01012abc1234-c",
            "line_no": 1,
            "ordered_at": datetime(2026, 3, 1, 9, 0),
        },
        {
            **base,
            "line_id": "LK1-2",
            "encounter_id": "LK1",
            "prescription_code": "01012abc1234-c",
            "line_no": 2,
            "ordered_at": datetime(2026, 3, 1, 8, 45),
        },
        {
            **base,
            "line_id": "LK2-1",
            "encounter_id": "LK2",
            "prescription_code": None,
            "line_no": 1,
            "ordered_at": datetime(2026, 3, 2, 0, 10),
        },
        {
            **base,
            "line_id": "LK404-1",
            "encounter_id": "LK404",
            "prescription_code": "01012xyz9876-n",
            "line_no": 1,
            "ordered_at": datetime(2026, 3, 1, 10, 0),
        },
    ]
    return _staged("prescriptions", rows, "line_id")


def _all_datasets() -> dict[str, pl.DataFrame]:
    referral = {
        **PEOPLE[0],
        "referral_id": "CT1",
        "facility_code": "01012",
        "encounter_id": "LK1",
        "from_facility_code": "01012",
        "to_facility_code": "01001",
        "admitted_at": datetime(2026, 3, 1, 8, 30),
        "discharged_at": datetime(2026, 3, 1, 17, 0),
        "primary_icd10": "i210",
        "discharge_type": "2",
        "referral_reason": "2",
    }
    appointment = {
        "full_name": PEOPLE[1]["full_name"],
        "insurance_number": PEOPLE[1]["insurance_number"],
        "appointment_id": "GH1",
        "facility_code": "01012",
        "encounter_id": "LK2",
        "appointment_at": datetime(2026, 3, 8, 8, 0),
        "issued_date": date(2026, 3, 2),
        "primary_icd10": "A90",
    }
    study = {
        **PEOPLE[1],
        "study_uid": "1.2.840.1",
        "facility_code": "01012",
        "modality": "CT",
        "study_at": datetime(2026, 3, 1, 9, 30),
        "description": "CT ngực",
        "number_of_instances": 3,
    }
    service = {
        "line_id": "LK2-1",
        "facility_code": "01012",
        "encounter_id": "LK2",
        "line_no": 1,
        "service_code": "18.0001.0001",
        "service_name": "Chụp X-quang ngực thẳng",
        "quantity": 1.0,
        "amount_vnd": 65400.0,
        "ordered_at": datetime(2026, 3, 1, 9, 0),
        "result_at": datetime(2026, 3, 1, 9, 40),
    }
    lab = {
        "line_id": "LK2-1",
        "facility_code": "01012",
        "encounter_id": "LK2",
        "line_no": 1,
        "service_code": "22.0121.1369",
        "test_code": "WBC",
        "test_name": "Số lượng bạch cầu",
        "value": "11.2",
        "unit": "G/L",
        "result_at": datetime(2026, 3, 1, 10, 5),
    }
    # A check-in carries the person as XML1 does: every identifier must stay out of silver.
    checkin = {
        **PEOPLE[0],
        "encounter_id": "LK3",
        "facility_code": "01012",
        "encounter_type": "outpatient",
        "admitted_at": datetime(2026, 3, 1, 7, 45),
        "patient_category": "1",
        "registered_facility_code": "01012",
        "service_code": "02.1896",
        "service_name": "Khám bệnh",
        "ordered_at": datetime(2026, 3, 1, 7, 50),
    }
    return {
        "checkins": _staged("checkins", [checkin], "encounter_id"),
        "services": _staged("services", [service], "line_id"),
        "lab_results": _staged("lab_results", [lab], "line_id"),
        "encounters": _encounters(),
        "prescriptions": _csv_lines(),
        "referrals": _staged("referrals", [referral], "referral_id"),
        "appointments": _staged("appointments", [appointment], "appointment_id"),
        "imaging_studies": _staged("imaging_studies", [study], "study_uid"),
    }


@pytest.fixture(scope="module")
def silver() -> dict[str, pa.Table]:
    staged = _all_datasets()
    lookup = encounter_lookup(staged["encounters"], P)
    tables: dict[str, pa.Table] = {}
    for dataset, frame in staged.items():
        tables |= conform(dataset, frame, P, lookup, run_id="run-1")
    return tables


def test_every_silver_table_is_built_with_its_schema(silver):
    assert set(silver) == set(SILVER_SCHEMAS)
    for name, table in silver.items():
        assert table.schema == SILVER_SCHEMAS[name], name
        assert table.num_rows > 0, name
        assert set(table.column("run_id").to_pylist()) == {"run-1"}


def test_no_identifier_reaches_silver(silver):
    secrets = [p[f] for p in PEOPLE for f in PII_FIELDS]
    for name, table in silver.items():
        assert not PII_FIELDS & set(table.column_names), name
        for column in table.column_names:
            for value in table.column(column).to_pylist():
                texts = value if isinstance(value, list) else [value]
                for text in filter(None, texts):
                    leaked = [s for s in secrets if s in str(text)]
                    assert not leaked, f"{name}.{column} holds {leaked}"


def test_string_columns_hold_no_identifier_digits(silver):
    # the citizen ids as digit runs, whatever separator a builder might add
    for table in silver.values():
        frame = pl.from_arrow(table)
        for column, dtype in frame.schema.items():
            if dtype == pl.Utf8:
                joined = " ".join(v for v in frame[column].to_list() if v)
                assert all(p["citizen_id"] not in joined.replace("-", "") for p in PEOPLE), column


@pytest.mark.parametrize("dataset", DATASETS)
def test_empty_input_writes_typed_empty_tables(dataset):
    empty = staged_frame(dataset, [], service_date=DAY)
    tables = conform(
        dataset, empty, P, encounter_lookup(staged_frame("encounters", [], service_date=DAY), P)
    )
    assert set(tables) == set(SILVER_TABLES[dataset])
    for name, table in tables.items():
        assert table.num_rows == 0
        assert table.schema == SILVER_SCHEMAS[name]


def test_diagnoses_are_one_row_per_distinct_code_primary_first(silver):
    diagnoses = pl.from_arrow(silver["diagnoses"]).sort("encounter_id", "seq")
    lk1 = diagnoses.filter(pl.col("encounter_id") == "LK1")
    assert lk1["icd10"].to_list() == ["J06.9", "I10", "E11.9"]  # J06.9 repeated once, dropped
    assert lk1["is_primary"].to_list() == [True, False, False]
    assert lk1["seq"].to_list() == [1, 2, 3]
    assert lk1["icd10_chapter"].to_list() == [icd10.chapter(c) for c in lk1["icd10"]]
    lk2 = diagnoses.filter(pl.col("encounter_id") == "LK2")
    assert lk2.select("icd10", "is_primary", "icd10_chapter").rows() == [("A90", True, "I")]
    encounters = pl.from_arrow(silver["encounters"])
    assert (
        diagnoses["patient_key"].unique().sort().to_list()
        == encounters["patient_key"].sort().to_list()
    )


def test_encounter_codes_are_normalised_and_the_first_followup_kept(silver):
    lk1 = (
        pl.from_arrow(silver["encounters"])
        .filter(pl.col("encounter_id") == "LK1")
        .row(0, named=True)
    )
    assert lk1["primary_icd10"] == "J06.9"
    assert lk1["secondary_icd10"] == ["I10", "J06.9", "E11.9"]
    assert lk1["followup_date"] == date(2026, 3, 8)


def test_times_carry_the_local_zone_and_keep_the_wall_clock(silver):
    encounters = silver["encounters"]
    assert encounters.schema.field("admitted_at").type.tz == TIMEZONE
    lk2 = pl.from_arrow(encounters).filter(pl.col("encounter_id") == "LK2")
    assert lk2["admitted_at"].dt.replace_time_zone(None).to_list() == [datetime(2026, 3, 1, 23, 50)]


def test_age_is_completed_years_at_the_visit(silver):
    ages = dict(pl.from_arrow(silver["encounters"]).select("encounter_id", "age_years").rows())
    assert ages == {"LK1": 40, "LK2": 23}  # born 1985-04-25 and 2002-11-03, seen 2026-03-01
    assert pl.from_arrow(silver["encounters"])["birth_year"].to_list() == [1985, 2002]


def test_csv_lines_borrow_the_patient_of_their_encounter(silver):
    encounters = dict(
        pl.from_arrow(silver["encounters"]).select("encounter_id", "patient_key").rows()
    )
    items = pl.from_arrow(silver["prescription_items"]).sort("line_id")
    by_line = {r["line_id"]: r for r in items.iter_rows(named=True)}
    assert by_line["LK1-1"]["patient_key"] == encounters["LK1"]
    assert by_line["LK1-1"]["patient_key_type"] == "cccd"
    assert (
        by_line["LK1-1"]["sex"],
        by_line["LK1-1"]["birth_year"],
        by_line["LK1-1"]["ward_code"],
    ) == ("male", 1985, "00004")
    assert by_line["LK2-1"]["age_years"] == 23
    # no encounter for LK404 in the partition: the episode key of docs/lake-tables.md
    assert by_line["LK404-1"]["patient_key_type"] == "episode"
    assert (
        by_line["LK404-1"]["patient_key"]
        == P.patient_key(episode_id="LK404", facility_code="01012")[0]
    )


def test_a_record_with_only_an_insurance_card_still_prefers_the_encounters_citizen_id(silver):
    appointment = pl.from_arrow(silver["appointments"]).row(0, named=True)
    assert appointment["patient_key_type"] == "cccd"
    assert appointment["patient_key"] == P.patient_key(citizen_id=PEOPLE[1]["citizen_id"])[0]
    assert appointment["appointment_date"] == date(2026, 3, 8)


def test_without_a_lookup_the_record_keys_on_what_it_carries():
    tables = conform("appointments", _all_datasets()["appointments"], P)
    row = pl.from_arrow(tables["appointments"]).row(0, named=True)
    assert row["patient_key_type"] == "bhyt"
    assert row["patient_key"] == P.patient_key(insurance_number=PEOPLE[1]["insurance_number"])[0]


def test_prescription_headers_group_lines_per_code(silver):
    headers = pl.from_arrow(silver["prescriptions"]).sort("encounter_id")
    assert headers.select("encounter_id", "prescription_code", "n_items").rows() == [
        ("LK1", "01012abc1234-c", 2),
        ("LK2", None, 1),
        ("LK404", "01012xyz9876-n", 1),
    ]
    first = headers.row(0, named=True)
    assert first["ordered_at"].replace(tzinfo=None) == datetime(2026, 3, 1, 8, 45)
    assert first["patient_key"] == pl.from_arrow(silver["encounters"])["patient_key"][0]


def test_referrals_and_studies(silver):
    referral = pl.from_arrow(silver["referrals"]).row(0, named=True)
    assert referral["referred_at"].replace(tzinfo=None) == datetime(2026, 3, 1, 17, 0)
    assert referral["primary_icd10"] == "I21.0"
    assert referral["to_facility_code"] == "01001"
    study = pl.from_arrow(silver["imaging_studies"]).row(0, named=True)
    assert study["patient_key"] == P.patient_key(citizen_id=PEOPLE[1]["citizen_id"])[0]
    assert study["number_of_instances"] == 3


def test_the_lookup_has_one_row_per_folder_and_encounter():
    encounters = _encounters()
    lookup = encounter_lookup(pl.concat([encounters, encounters]), P)
    assert lookup.select("facility_folder", "encounter_id").rows() == [
        ("01012", "LK1"),
        ("01012", "LK2"),
    ]
    assert not PII_FIELDS & set(lookup.columns)
