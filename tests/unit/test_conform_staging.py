"""The staged frame: fixed typed columns per dataset, provenance, and honest type handling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from hanoi_health_lake.conform import STAGED_SCHEMAS, staged_frame
from hanoi_health_lake.conform.columns import OUT_OF_RANGE_RULE, VALUE_TYPE_RULE
from hanoi_health_lake.records import (
    DATASET_FIELDS,
    DATASETS,
    PERSON_FIELDS,
    ParsedFile,
    ParsedRecord,
    RecordError,
)

DAY = date(2026, 3, 1)
PATH = "01A3F/2026-03-01/encounters__20260302T061500.Encounter.ndjson"


def _file(path: str = PATH, fmt: str = "fhir_ndjson", sha: str = "ab" * 32) -> ParsedFile:
    return ParsedFile(path=path, format=fmt, size=10, sha256=sha)


def _record(no: int, errors: list[RecordError] | None = None, **fields) -> ParsedRecord:
    return ParsedRecord(
        "encounters",
        no,
        f"line {no}",
        fields.get("encounter_id"),
        fields,
        f'{{"n":{no}}}',
        errors or [],
    )


def _stage(records, file: ParsedFile | None = None, **kwargs) -> pl.DataFrame:
    file = file or _file()
    return staged_frame("encounters", [(file, r) for r in records], service_date=DAY, **kwargs)


@pytest.mark.parametrize("dataset", DATASETS)
def test_an_empty_partition_has_the_full_typed_schema(dataset):
    frame = staged_frame(dataset, [], service_date=DAY)
    assert frame.height == 0
    assert frame.schema == STAGED_SCHEMAS[dataset]
    assert list(frame.columns[: len(PERSON_FIELDS)]) == list(PERSON_FIELDS)
    assert set(DATASET_FIELDS[dataset]) <= set(frame.columns)


def test_fields_arrive_typed_and_in_order():
    admitted = datetime(2026, 3, 1, 8, 30)
    records = [
        _record(
            1,
            encounter_id="LK1",
            birth_date=date(1990, 1, 2),
            birth_year=1990,
            admitted_at=admitted,
            secondary_icd10=["I10", "E11.9"],
            followup_dates=[date(2026, 3, 8)],
            total_cost_vnd=150000,
            weight_kg=61.5,
        ),
        _record(2, encounter_id="LK2"),
    ]
    frame = _stage(records)
    assert frame.schema == STAGED_SCHEMAS["encounters"]
    assert frame["encounter_id"].to_list() == ["LK1", "LK2"]
    assert frame["admitted_at"].to_list() == [admitted, None]
    assert frame["secondary_icd10"].to_list() == [["I10", "E11.9"], []]
    assert frame["followup_dates"].to_list() == [[date(2026, 3, 8)], []]
    assert frame["total_cost_vnd"].to_list() == [150000.0, None]
    assert frame["birth_year"].to_list() == [1990, None]


def test_provenance_comes_from_the_file_and_the_record():
    frame = _stage([_record(7, encounter_id="LK7")])
    row = frame.row(0, named=True)
    assert row["service_date"] == DAY
    assert row["facility_folder"] == "01A3F"
    assert row["source_file"] == PATH
    assert row["source_format"] == "fhir_ndjson"
    assert row["sha256"] == "ab" * 32
    assert row["export_ts"] == datetime(2026, 3, 2, 6, 15)
    assert (row["record_no"], row["locator"], row["record_id"]) == (7, "line 7", "LK7")
    assert row["payload"] == '{"n":7}'


def test_the_facility_folder_can_be_given():
    constant = _stage([_record(1)], facility_folder="01012")
    assert constant["facility_folder"].to_list() == ["01012"]
    by_file = _stage([_record(1)], facility_folder=lambda f: f.path[:5].lower())
    assert by_file["facility_folder"].to_list() == ["01a3f"]


def test_records_of_several_files_keep_their_own_provenance():
    first, second = _file(), _file(PATH.replace("061500", "071500"), sha="cd" * 32)
    items = [(first, _record(1)), (second, _record(1)), (first, _record(2))]
    frame = staged_frame("encounters", items, service_date=DAY)
    assert frame["sha256"].to_list() == ["ab" * 32, "cd" * 32, "ab" * 32]
    assert frame["export_ts"].dt.hour().to_list() == [6, 7, 6]


def test_parse_errors_travel_with_their_record():
    errors = [RecordError("conformance.date_format", "admitted_at", "NGAY_VAO: bad")]
    frame = _stage([_record(1), _record(2, errors)])
    assert frame["parse_errors"].to_list() == [
        [],
        [
            {
                "rule_id": "conformance.date_format",
                "field": "admitted_at",
                "message": "NGAY_VAO: bad",
            }
        ],
    ]


def test_blank_text_is_absent_and_padding_is_trimmed():
    frame = _stage(
        [_record(1, encounter_id=" LK1 ", full_name="   ", secondary_icd10=[" I10", ""])]
    )
    assert frame["encounter_id"].to_list() == ["LK1"]
    assert frame["full_name"].to_list() == [None]
    assert frame["secondary_icd10"].to_list() == [["I10"]]


def test_a_value_of_the_wrong_type_is_dropped_and_named():
    original = [RecordError("conformance.code_value", "sex", "GIOI_TINH 9")]
    record = _record(1, original, encounter_id="LK1", weight_kg="sixty", birth_year=1990.0)
    frame = _stage([record])
    assert frame["weight_kg"].to_list() == [None]
    assert frame["birth_year"].to_list() == [1990]  # a whole float is an int
    rules = [e["rule_id"] for e in frame["parse_errors"].to_list()[0]]
    assert rules == ["conformance.code_value", VALUE_TYPE_RULE]
    assert len(record.errors) == 1  # the parser's record is left as it was


def test_unambiguous_values_are_converted():
    aware = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    frame = _stage([
        _record(1, admitted_at=aware, birth_date=datetime(1990, 5, 6, 0, 0), line="x",
                discharged_at=date(2026, 3, 2), secondary_icd10="I10;E11.9", treatment_result=1),
    ])  # fmt: skip
    row = frame.row(0, named=True)
    assert row["admitted_at"] == datetime(2026, 3, 1, 8, 30)  # Asia/Ho_Chi_Minh, naive
    assert row["birth_date"] == date(1990, 5, 6)
    assert row["discharged_at"] == datetime(2026, 3, 2)
    assert row["secondary_icd10"] == ["I10", "E11.9"]
    assert row["treatment_result"] == "1"
    assert row["parse_errors"] == []


def test_nan_is_null():
    frame = _stage([_record(1, weight_kg=float("nan"))])
    assert frame["weight_kg"].null_count() == 1


def test_numbers_beyond_their_silver_column_are_dropped_and_named():
    frame = _stage([
        _record(1, birth_year=2**31, weight_kg=float("inf")),  # int32 in silver; not finite
        _record(2, birth_year=-(2**70), total_cost_vnd="1e400"),  # beyond 64 bits; overflows
        _record(3, birth_year=1990, weight_kg=60.5, total_cost_vnd=1.5e300),  # all held
    ])  # fmt: skip
    assert frame["birth_year"].to_list() == [None, None, 1990]
    assert frame["weight_kg"].to_list() == [None, None, 60.5]
    assert frame["total_cost_vnd"].to_list() == [None, None, 1.5e300]
    errors = frame["parse_errors"].to_list()
    assert [(e["rule_id"], e["field"]) for e in errors[0]] == [
        (OUT_OF_RANGE_RULE, "birth_year"),
        (OUT_OF_RANGE_RULE, "weight_kg"),
    ]
    assert f"birth_year: {2**31} is out of range" in errors[0][0]["message"]
    assert f"birth_year: {-(2**70)} is out of range" in errors[1][0]["message"]
    assert [e["field"] for e in errors[1]] == ["birth_year", "total_cost_vnd"]
    assert errors[2] == []


def test_a_path_outside_the_landing_grammar_still_stages():
    frame = _stage([_record(1)], file=_file("01012/odd name.csv", "csv"))
    assert frame["facility_folder"].to_list() == ["01012"]
    assert frame["export_ts"].to_list() == [None]


def test_many_records_stage_as_columns():
    start = datetime(2026, 3, 1)
    records = [
        _record(
            i,
            encounter_id=f"LK{i}",
            admitted_at=start + timedelta(minutes=i),
            secondary_icd10=["I10"] * (i % 3),
        )
        for i in range(1, 5001)
    ]
    frame = _stage(records)
    assert frame.height == 5000
    assert frame["secondary_icd10"].list.len().sum() == sum(i % 3 for i in range(1, 5001))
    assert frame["record_no"].to_list() == list(range(1, 5001))
