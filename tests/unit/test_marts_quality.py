"""Data-quality marts on hand-made quarantine entries of one facility over three days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_marts_lake import at, build_project, facility, make_lake, query

T = date(2026, 3, 10)
DAYS = [T - timedelta(days=2), T - timedelta(days=1), T]
ICD = "conformance.icd10_known"
BIRTH = "plausibility.birth_before_visit"
REQUIRED = "completeness.required"
DUPLICATE = "uniqueness.record_id"
MALFORMED = "file.malformed_json"
ODD = "custom.local_rule"  # a family the seed does not know

# (day index, record_no or None for a whole file, rule ids)
ENTRIES = [
    (0, 1, [ICD]),
    (0, 2, [ICD]),
    (0, 3, [BIRTH]),
    (0, 4, [ICD, REQUIRED]),
    (1, 1, [ICD]),
    (1, None, [MALFORMED]),
    (2, 5, [BIRTH]),
    (2, 6, [DUPLICATE]),
    (2, 7, [DUPLICATE, ODD]),
]


def entry(index: int, record_no: int | None, rule_ids: list[str]) -> dict:
    service_date = DAYS[index]
    return {
        "service_date": service_date,
        "facility_code": "01001",
        "dataset": "encounters",
        "source_file": f"01001/{service_date}/encounters__{'bad' if record_no is None else 'x'}",
        "export_ts": at(service_date, 30),
        "record_no": record_no,
        "rule_ids": rule_ids,
        "categories": sorted({r.split(".")[0] for r in rule_ids}),
        "severity": "error",
        "reason": "…",
        "payload": "{}",
    }


def reconciliation(index: int, delivered: int, accepted: int, quarantined: int) -> dict:
    return {
        "service_date": DAYS[index],
        "facility_code": "01001",
        "dataset": "encounters",
        "files": 2,
        "files_failed": 1 if index == 1 else 0,
        "delivered": delivered,
        "accepted": accepted,
        "quarantined": quarantined,
        "superseded": delivered - accepted - quarantined,
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality")
    files = [
        {
            "service_date": d,
            "facility_code": "01001",
            "dataset": "encounters",
            "source_file": f"01001/{d}/encounters__x",
            "export_ts": at(d, 30),
            "status": "ok",
        }
        for d in DAYS
    ]
    lake = make_lake(
        root,
        [facility("01001", "city_hospital", "public_city", "00004")],
        {
            "quarantine": [entry(*e) for e in ENTRIES],
            "reconciliation": [
                reconciliation(0, 20, 15, 4),
                reconciliation(1, 10, 9, 1),
                reconciliation(2, 30, 27, 3),
            ],
            "bronze_files": files,
        },
    )
    return build_project(root, lake)


def test_rules_daily_counts_records_and_files_per_rule(warehouse):
    rows = query(warehouse, "select * from mart_data_quality_rules_daily")
    got = {(r["service_date"], r["rule_id"]): r for r in rows}
    expected: dict[tuple[date, str], list[int]] = {}
    for index, record_no, rule_ids in ENTRIES:
        for rule in rule_ids:
            counts = expected.setdefault((DAYS[index], rule), [0, 0])
            counts[record_no is None] += 1
    assert {
        k: [r["records_quarantined"], r["files_quarantined"]] for k, r in got.items()
    } == expected
    assert got[(DAYS[0], ICD)]["records_quarantined"] == 3
    assert got[(DAYS[1], MALFORMED)]["files_quarantined"] == 1
    families = {r["rule_id"]: (r["rule_family"], r["kahn_category"]) for r in rows}
    assert families == {
        ICD: ("conformance", "conformance"),
        BIRTH: ("plausibility", "plausibility"),
        REQUIRED: ("completeness", "completeness"),
        DUPLICATE: ("uniqueness", "conformance"),
        MALFORMED: ("file", "conformance"),
        ODD: ("custom", "unknown"),
    }


def test_daily_quality_reconciles_and_counts_records_once_per_category(warehouse):
    rows = {r["service_date"]: r for r in query(warehouse, "select * from mart_data_quality_daily")}
    first = rows[DAYS[0]]
    assert (first["delivered"], first["accepted"], first["quarantined"], first["superseded"]) == (
        20,
        15,
        4,
        1,
    )
    assert first["quarantine_share"] == pytest.approx(4 / 20)
    # Records 1, 2, 4 broke a conformance rule (4 also a completeness one), record 3 plausibility.
    assert (
        first["quarantined_conformance"],
        first["quarantined_completeness"],
        first["quarantined_plausibility"],
        first["rules_broken"],
    ) == (3, 1, 1, 3)
    # The whole-file entry of the second day is a rule broken but no record.
    second = rows[DAYS[1]]
    assert (second["quarantined_conformance"], second["rules_broken"], second["files_failed"]) == (
        1,
        2,
        1,
    )
    # Uniqueness files under conformance; record 7 counts once although it broke two rules.
    third = rows[DAYS[2]]
    assert (third["quarantined_conformance"], third["quarantined_plausibility"]) == (2, 1)


def test_trend_compares_each_day_with_the_previous_delivery(warehouse):
    rows = query(warehouse, "select * from mart_data_quality_trend")
    status = {(r["service_date"], r["rule_id"]): r["status"] for r in rows}
    assert status == {
        # The first day has no earlier delivery: everything is new.
        (DAYS[0], ICD): "new",
        (DAYS[0], BIRTH): "new",
        (DAYS[0], REQUIRED): "new",
        (DAYS[1], ICD): "persisting",
        (DAYS[1], BIRTH): "resolved",
        (DAYS[1], REQUIRED): "resolved",
        (DAYS[1], MALFORMED): "new",
        (DAYS[2], ICD): "resolved",
        (DAYS[2], MALFORMED): "resolved",
        (DAYS[2], BIRTH): "new",
        (DAYS[2], DUPLICATE): "new",
        (DAYS[2], ODD): "new",
    }
    detail = {(r["service_date"], r["rule_id"]): r for r in rows}
    persisting = detail[(DAYS[1], ICD)]
    assert (persisting["records_quarantined"], persisting["previous_records_quarantined"]) == (1, 3)
    assert persisting["previous_delivery_date"] == DAYS[0]
    assert detail[(DAYS[2], ICD)]["records_quarantined"] == 0
    # The birth rule broke on the first and the last day: twice in the week ending T.
    assert detail[(DAYS[2], BIRTH)]["days_broken_7d"] == 2
    assert detail[(DAYS[0], ICD)]["previous_delivery_date"] is None


def test_no_quarantine_payload_or_record_id_reaches_a_mart(warehouse):
    types = warehouse.column_types()
    quality = [t for t in types if t.startswith("main.mart_data_quality")]
    assert len(quality) == 3
    for table in quality:
        assert not {"payload", "record_id", "locator", "source_file"} & set(types[table])
