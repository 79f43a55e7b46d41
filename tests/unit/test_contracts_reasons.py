"""A quarantined record's reason names what is wrong with that record, not the whole rule."""

from __future__ import annotations

from hanoi_health_lake.conform import staged_frame
from hanoi_health_lake.contracts import validate
from tests.unit.test_contracts_rules import CTX, DAY, GOOD, _file, _record


def _reasons(changes: list[dict]) -> list[str]:
    records = []
    for no, change in enumerate(changes, 1):
        fields = {**GOOD["encounters"], "encounter_id": f"LK{no:04d}", **change}
        records.append(_record("encounters", no, fields))
    frame = staged_frame(
        "encounters", [(_file("encounters"), r) for r in records], service_date=DAY
    )
    outcome = validate("encounters", frame, CTX)
    return outcome.rejected(frame).sort("record_no")["reason"].to_list()


def test_completeness_reason_names_only_the_missing_fields_of_that_record():
    one, two = _reasons(
        [{"birth_date": None, "birth_year": None}, {"sex": None, "admitted_at": None}]
    )
    assert one.endswith("missing: birth_date (NGAY_SINH)"), one
    assert "missing: sex (GIOI_TINH), admitted_at (NGAY_VAO)" in two, two
    for reason in (one, two):
        assert reason.startswith("01012/2026-03-01/encounters__20260302T061500.csv row ")
        assert "primary_icd10" not in reason and "MA_BENH_CHINH" not in reason
