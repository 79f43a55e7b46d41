"""A landing file named after a patient reaches the warehouse (and the reports) as a file id."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from test_marts_lake import build_project, facility, make_lake, query

from hanoi_health_lake.sqlmodels.publish import analysts_path

T = date(2026, 3, 10)
A = "01001"
PATIENT = "Nguyen_Van_An"
NAMED = f"{A}/2026-03-10/{PATIENT}_ket_qua_xet_nghiem.csv"
NAMED_PART = f"{A}/2026-03-10/encounters__20260310T210000.NguyenVanAn.ndjson"
SECOND = f"{A}/2026-03-10/{PATIENT}_lan_2.csv"
GOOD = f"{A}/2026-03-10/encounters__20260310T210000.csv"
GOOD_NDJSON = f"{A}/2026-03-10/encounters__20260310T210000.Encounter.ndjson"


def _file(path: str, **values) -> dict:
    return {"service_date": T, "facility_code": A, "dataset": "encounters", "source_file": path,
            "status": "ok", **values}  # fmt: skip


def _rejected(path: str, n: int) -> dict:
    return {"service_date": T, "facility_code": A, "dataset": "encounters", "source_file": path,
            "record_no": n, "rule_ids": ["file.unsafe_path"]}  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("file_names")
    bad = [NAMED, NAMED_PART, SECOND]
    rows = {
        "bronze_files": [
            *(
                _file(
                    p,
                    status="error",
                    error_rule="file.unsafe_path",
                    error_message=f"{p!r}: does not match the landing grammar",
                )
                for p in bad
            ),
            _file(GOOD),
            _file(GOOD_NDJSON),
        ],
        "quarantine": [_rejected(p, None) for p in bad] + [_rejected(GOOD, 3)],
    }
    registry = [facility(A, "city_hospital", "public_city", "00004")]
    return build_project(root, make_lake(root, registry, rows))


def _every_text(path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and data_type like 'VARCHAR%'"
        ).fetchall()
        return [
            value
            for schema, table, column in columns
            for (value,) in con.execute(f'select "{column}" from {schema}."{table}"').fetchall()
            if value is not None
        ]


def test_no_table_of_either_warehouse_holds_the_patients_name(warehouse):
    for path in (warehouse.path, analysts_path(warehouse.path)):
        texts = _every_text(path)
        assert texts
        assert not [t for t in texts if "NguyenVanAn" in t or PATIENT in t], path


def test_names_of_the_expected_shape_pass_and_others_become_distinct_file_ids(warehouse):
    files = query(warehouse, "select source_file, error_message from lake.bronze_files")
    names = sorted(r["source_file"] for r in files)
    assert GOOD in names and GOOD_NDJSON in names
    ids = [n for n in names if n not in (GOOD, GOOD_NDJSON)]
    assert len(set(ids)) == 3
    assert all(
        n.startswith(f"{A}/2026-03-10/file-") and len(n.rsplit("-", 1)[1]) == 16 for n in ids
    )
    # The error message names the file by its id, so the facility's feedback still points at it.
    for r in files:
        if r["error_message"]:
            assert r["error_message"].startswith(f"'{r['source_file']}'")
    quarantined = query(warehouse, "select distinct source_file from lake.quarantine")
    assert {r["source_file"] for r in quarantined} == set(ids) | {GOOD}
