"""Contracts compile to Great Expectations suites; GX and the row-level Polars pass agree."""

from __future__ import annotations

import importlib
from collections import Counter
from datetime import date, datetime, timedelta

import pandas as pd
import polars as pl
import pytest

from hanoi_health_lake.conform import Pseudonymizer, conform, staged_frame
from hanoi_health_lake.contracts import ValidationContext, load_contracts, validate, validate_silver
from hanoi_health_lake.contracts.checks import compile_checks
from hanoi_health_lake.contracts.gx_suite import build_suite, run_suite
from hanoi_health_lake.contracts.model import contract_for
from hanoi_health_lake.records import ParsedFile, ParsedRecord, RecordError

CONTRACTS = load_contracts()
SINGLE_EXPECTATION = ("unique", "derived", "parse_error")


def _expected_count(contract, rule) -> int:
    if rule.check.kind in SINGLE_EXPECTATION:
        return 1
    return len(contract.check_columns(rule))


@pytest.mark.parametrize("table", sorted(CONTRACTS))
def test_suite_is_named_table_dot_version(table):
    contract = CONTRACTS[table]
    suite = build_suite(contract)
    assert suite.name == f"{contract.table}.{contract.version}"


@pytest.mark.parametrize("table", sorted(CONTRACTS))
def test_one_expectation_per_checked_column_and_every_rule_present(table):
    contract = CONTRACTS[table]
    suite = build_suite(contract)
    per_rule = Counter(e.meta["rule_id"] for e in suite.expectations)
    assert per_rule == {rule.id: _expected_count(contract, rule) for rule in contract.rules}
    assert len(suite.expectations) == len(compile_checks(contract))


def test_required_columns_become_not_null_expectations():
    contract = CONTRACTS["encounters"]
    suite = build_suite(contract)
    not_null = {
        e.column
        for e in suite.expectations
        if e.expectation_type == "expect_column_values_to_not_be_null"
    }
    assert not_null == {name for name, column in contract.columns.items() if column.required}


DAY = date(2026, 3, 1)
FILE = ParsedFile("01012/2026-03-01/prescriptions__20260302T061500.csv", "csv", 1, "0" * 64)
CTX = ValidationContext(registry_codes=frozenset({"01012"}))


def _line(no: int, **changes) -> ParsedRecord:
    fields = {
        "line_id": f"LK1-{no}",
        "facility_code": "01012",
        "encounter_id": "LK1",
        "prescription_code": "01012abc1234-c",
        "line_no": no,
        "drug_code": "40.17",
        "drug_name": "Paracetamol",
        "quantity": 10.0,
        "unit_price_vnd": 500.0,
        "amount_vnd": 5000.0,
        "ordered_at": datetime(2026, 3, 1, 9, 0),
    } | changes
    return ParsedRecord("prescriptions", no, f"row {no}", fields["line_id"], fields, "{}")


def _validate(records: list[ParsedRecord]):
    frame = staged_frame("prescriptions", [(FILE, r) for r in records], service_date=DAY)
    return validate("prescriptions", frame, CTX)


def test_gx_counts_are_the_failing_rows():
    records = [
        _line(1),
        _line(2, quantity=-1.0, amount_vnd=-500.0),
        _line(3, quantity=0.0, amount_vnd=0.0),
        _line(4, drug_name=None, quantity=None),
        _line(5, atc_code="NOT-ATC"),
    ]
    outcome = _validate(records)
    assert not outcome.success
    quantity = outcome.rules["plausibility.quantity_positive"]
    assert (quantity.evaluated, quantity.failed, quantity.unexpected) == (4, 2, 2)
    assert not quantity.passed
    required = outcome.rules["completeness.required"]
    assert (required.failed, required.unexpected) == (1, 2)  # one row, two empty fields
    atc = outcome.rules["conformance.atc_format"]
    assert (atc.evaluated, atc.failed, atc.severity) == (1, 1, "warn")
    assert outcome.rejected_mask.to_list() == [False, True, True, True, False]


def test_a_clean_frame_is_a_passed():
    outcome = _validate([_line(1), _line(2)])
    assert outcome.success
    assert all(r.passed and r.failed == 0 for r in outcome.rules.values())
    assert outcome.summary()["rejected"] == 0


def test_an_empty_frame_validates():
    outcome = _validate([])
    assert outcome.rows == 0
    assert outcome.errors.len() == 0
    assert all(r.pass_rate is None for r in outcome.rules.values())


def test_a_parse_error_counts_for_its_rule():
    bad = _line(2, ordered_at=None)
    bad.errors.append(RecordError("conformance.date_format", "ordered_at", "NGAY_YL: bad"))
    date_rule = _validate([_line(1), bad]).rules["conformance.date_format"]
    assert (date_rule.evaluated, date_rule.failed, date_rule.unexpected) == (2, 1, 1)


def _encounter(no: int, primary: str, secondary: list[str]) -> ParsedRecord:
    fields = {
        "citizen_id": "001085012345",
        "birth_date": date(1985, 4, 25),
        "birth_year": 1985,
        "sex": "male",
        "patient_local_id": f"BN{no}",
        "encounter_id": f"LK{no}",
        "facility_code": "01012",
        "encounter_type": "outpatient",
        "admitted_at": datetime(2026, 3, 1, 8, 0) + timedelta(minutes=no),
        "discharged_at": datetime(2026, 3, 1, 11, 0),
        "primary_icd10": primary,
        "secondary_icd10": secondary,
    }
    return ParsedRecord("encounters", no, f"row {no}", fields["encounter_id"], fields, "{}")


@pytest.fixture(scope="module")
def silver():
    file = ParsedFile("01012/2026-03-01/encounters__20260302T061500.csv", "csv", 1, "0" * 64)
    records = [_encounter(1, "J06.9", ["I10", "E11.9"]), _encounter(2, "A97.0", [])]
    frame = staged_frame("encounters", [(file, r) for r in records], service_date=DAY)
    return conform("encounters", frame, Pseudonymizer(b"k" * 32))


def test_built_silver_tables_pass_their_batch_contracts(silver):
    outcome = validate_silver("diagnoses", silver["diagnoses"])
    assert outcome.suite_name == "diagnoses.1"
    assert outcome.success
    assert outcome.rules["plausibility.one_primary"].evaluated == silver["diagnoses"].num_rows


def test_a_diagnoses_table_with_two_primaries_fails_its_batch_contract(silver):
    broken = pl.from_arrow(silver["diagnoses"]).with_columns(is_primary=pl.lit(True))
    outcome = validate_silver("diagnoses", broken)
    assert not outcome.success
    # LK1 has three codes, now all primary; LK2's single code is still the one primary
    assert outcome.rules["plausibility.one_primary"].failed == 3
    assert outcome.rules["plausibility.one_primary"].severity == "error"


def test_a_repeated_diagnosis_fails_uniqueness(silver):
    table = pl.from_arrow(silver["diagnoses"])
    outcome = validate_silver("diagnoses", pl.concat([table, table.head(1)]))
    assert outcome.rules["uniqueness.diagnosis"].failed == 2


def test_an_expectation_gx_cannot_run_is_an_error_not_a_pass():
    contract = CONTRACTS["prescription_items"]
    frame = _validate([_line(1)])  # warm the suite up; then hand GX a frame lacking columns
    assert frame.success
    with pytest.raises(RuntimeError, match="did not run"):
        run_suite(contract, pd.DataFrame({"line_id": ["LK1-1"]}))


def test_gx_audits_a_sample_that_holds_the_failing_rows(monkeypatch):
    # the package exports the function `validate`; the module is reached by its full name
    validate_module = importlib.import_module("hanoi_health_lake.contracts.validate")
    records = [_line(i) for i in range(1, 2501)]
    records[2400] = _line(2401, quantity=-1.0, amount_vnd=-500.0)  # late in the frame
    audited = []
    real = validate_module.run_suite
    monkeypatch.setattr(validate_module, "run_suite", lambda c, f: audited.append(f) or real(c, f))
    outcome = _validate(records)
    assert outcome.rules["plausibility.quantity_positive"].failed == 1
    (sample,) = audited
    assert len(sample) <= validate_module.AUDIT_ROWS < len(records)
    assert (sample["quantity"] < 0).sum() == 1  # the failing row is among those GX judged


def test_polars_and_gx_disagreeing_on_the_sample_stops_the_validation(monkeypatch):
    from hanoi_health_lake.contracts import checks as checks_module

    real = checks_module.CompiledCheck.failed

    def wrong(self):  # a Polars form that no longer means what the GX expectation means
        if self.rule_id == "plausibility.quantity_positive":
            return pl.lit(False)
        return real(self)

    monkeypatch.setattr(checks_module.CompiledCheck, "failed", wrong)
    with pytest.raises(RuntimeError, match=r"quantity_positive .* in Great Expectations"):
        _validate([_line(1), _line(2, quantity=-1.0, amount_vnd=-500.0)])


def test_the_arrival_path_audits_each_suite_at_most_once_per_interval(monkeypatch, tmp_path):
    """An arrival batch pays GX's fixed cost only when the suite's audit is due; the verdicts are
    the same either way, and an audit that fails is due again at the next batch."""
    from hanoi_health_lake.contracts.audit_schedule import AuditEvery

    validate_module = importlib.import_module("hanoi_health_lake.contracts.validate")
    audited = []
    real = validate_module.run_suite
    monkeypatch.setattr(validate_module, "run_suite", lambda c, f: audited.append(c) or real(c, f))
    hourly = AuditEvery(tmp_path / "gx_audit", timedelta(minutes=60))
    ctx = ValidationContext(registry_codes=CTX.registry_codes, audits=hourly)
    frame = staged_frame("prescriptions", [(FILE, _line(1)), (FILE, _line(2, quantity=-1.0))],
                         service_date=DAY)  # fmt: skip
    first, second = (validate("prescriptions", frame, ctx) for _ in range(2))
    assert len(audited) == 1  # the second batch within the hour is not audited
    assert first.rules == second.rules and first.rejected_mask.sum() == 1
    every_batch = ValidationContext(
        registry_codes=CTX.registry_codes,
        audits=AuditEvery(tmp_path / "gx_audit", timedelta(0)),
    )
    validate("prescriptions", frame, every_batch)
    assert len(audited) == 2

    def failing(c, f):
        raise RuntimeError("GX and Polars disagree")

    monkeypatch.setattr(validate_module, "run_suite", failing)
    fresh = AuditEvery(tmp_path / "other", timedelta(minutes=60))
    with pytest.raises(RuntimeError, match="disagree"):
        validate("prescriptions", frame, ValidationContext(CTX.registry_codes, audits=fresh))
    assert fresh.due(first.suite_name)  # no marker after a failed audit
    assert list((tmp_path / "other").glob("*")) == []


def test_a_changed_suite_is_audited_at_its_first_batch_whatever_the_interval(monkeypatch, tmp_path):
    """The arrival path audits a suite once a day, but what it vouches for is the suite as
    compiled: a contract whose expectations changed is audited at once."""
    from dataclasses import replace

    from hanoi_health_lake.contracts.audit_schedule import AuditEvery

    validate_module = importlib.import_module("hanoi_health_lake.contracts.validate")
    audited = []
    real = validate_module.run_suite
    monkeypatch.setattr(validate_module, "run_suite", lambda c, f: audited.append(c) or real(c, f))
    daily = AuditEvery(tmp_path / "gx_audit", timedelta(days=1))
    frame = staged_frame("prescriptions", [(FILE, _line(1)), (FILE, _line(2, quantity=-1.0))],
                         service_date=DAY)  # fmt: skip
    contract = contract_for("prescriptions")
    ctx = ValidationContext(registry_codes=CTX.registry_codes, audits=daily)
    validate_module._validate(contract, frame, ctx)
    validate_module._validate(contract, frame, ctx)
    assert len(audited) == 1  # within the day: audited once
    fewer = replace(contract, rules=contract.rules[1:])  # a rule dropped, the same version
    assert fewer.suite_name == contract.suite_name
    assert validate_module.audit_key(fewer) != validate_module.audit_key(contract)
    validate_module._validate(fewer, frame, ctx)
    assert len(audited) == 2
