"""The contract files load, pass their schema check, and agree with the shared definitions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from hanoi_health_lake.conform import STAGED_SCHEMAS
from hanoi_health_lake.conform.columns import VALUE_TYPE_RULE
from hanoi_health_lake.contracts import ContractError, contract_for, load_contracts
from hanoi_health_lake.contracts.model import contracts_dir, load_contract, with_shared_rules
from hanoi_health_lake.faults import FAULT_KINDS
from hanoi_health_lake.lake.catalog import SILVER_SCHEMAS
from hanoi_health_lake.parsers import rejection
from hanoi_health_lake.records import DATASETS, PII_FIELDS, REQUIRED_FIELDS

CONTRACTS = load_contracts()
RECORD_CONTRACTS = {c.applies_to: c for c in CONTRACTS.values() if c.is_record_level}

# Where each record fault of faults.py can arise: the fields it concerns exist there.
FAULT_RULES_BY_DATASET = {
    "encounters": {
        "record.malformed", "conformance.date_format", "plausibility.birth_before_visit",
        "plausibility.discharge_after_admission", "conformance.icd10_known",
        "plausibility.citizen_id_consistent", "uniqueness.record_id",
        "conformance.facility_known", "conformance.referral_target_known",
        "completeness.required",
    },
    "prescriptions": {
        "record.malformed", "conformance.date_format", "plausibility.birth_before_visit",
        "plausibility.citizen_id_consistent", "uniqueness.record_id",
        "plausibility.quantity_positive", "conformance.facility_known", "completeness.required",
    },
    "referrals": {
        "record.malformed", "conformance.date_format", "plausibility.birth_before_visit",
        "plausibility.discharge_after_admission", "conformance.icd10_known",
        "plausibility.citizen_id_consistent", "uniqueness.record_id",
        "conformance.facility_known", "conformance.referral_target_known",
        "completeness.required",
    },
    "appointments": {
        "record.malformed", "conformance.date_format", "plausibility.birth_before_visit",
        "plausibility.discharge_after_admission", "conformance.icd10_known",
        "plausibility.citizen_id_consistent", "uniqueness.record_id",
        "conformance.facility_known", "completeness.required",
    },
    "imaging_studies": {
        "record.malformed", "conformance.date_format", "plausibility.birth_before_visit",
        "plausibility.citizen_id_consistent", "uniqueness.record_id",
        "conformance.facility_known", "completeness.required",
    },
}  # fmt: skip


def test_one_contract_per_silver_table():
    assert set(CONTRACTS) == set(SILVER_SCHEMAS)


def test_every_staged_dataset_has_one_record_contract():
    assert set(RECORD_CONTRACTS) == set(DATASETS)
    assert contract_for("prescriptions").table == "prescription_items"


def test_rule_ids_are_unique_and_shaped_like_ids():
    for contract in CONTRACTS.values():
        ids = [rule.id for rule in contract.rules]
        assert len(ids) == len(set(ids)), contract.table
        assert all(re.fullmatch(r"[a-z]+\.[a-z0-9_]+", i) for i in ids), contract.table


def test_every_record_fault_of_faults_py_is_an_error_rule_where_it_can_arise():
    record_rules = {f.rule_id for f in FAULT_KINDS if f.level == "record"}
    assert set().union(*FAULT_RULES_BY_DATASET.values()) == record_rules
    for dataset, expected in FAULT_RULES_BY_DATASET.items():
        contract = RECORD_CONTRACTS[dataset]
        for rule_id in expected:
            assert contract.rule(rule_id).severity == "error", (dataset, rule_id)


@pytest.mark.parametrize("dataset", DATASETS)
def test_rule_ids_the_parsers_and_staging_emit_are_contract_rules(dataset):
    emitted = {
        rejection.DATE_FORMAT, rejection.NUMBER_FORMAT, rejection.CODE_VALUE,
        rejection.RECORD_MALFORMED, rejection.FACILITY_KNOWN, VALUE_TYPE_RULE,
    }  # fmt: skip
    if dataset == "referrals":
        emitted.add(rejection.REFERRAL_TARGET_KNOWN)
    ids = {rule.id for rule in RECORD_CONTRACTS[dataset].rules}
    assert emitted <= ids


@pytest.mark.parametrize("dataset", DATASETS)
def test_required_columns_are_the_records_required_fields(dataset):
    contract = RECORD_CONTRACTS[dataset]
    required = {name for name, column in contract.columns.items() if column.required}
    assert required == set(REQUIRED_FIELDS[dataset])


@pytest.mark.parametrize("dataset", DATASETS)
def test_pii_columns_are_exactly_the_identifiers(dataset):
    assert set(RECORD_CONTRACTS[dataset].pii_columns) == PII_FIELDS


@pytest.mark.parametrize("dataset", DATASETS)
def test_record_contract_columns_are_the_staged_fields(dataset):
    contract = RECORD_CONTRACTS[dataset]
    staged = set(STAGED_SCHEMAS[dataset])
    assert set(contract.columns) <= staged
    assert set(contract.keys) <= set(contract.columns)


def test_every_rule_has_both_descriptions():
    for contract in CONTRACTS.values():
        for rule in contract.rules:
            assert rule.description_vi and rule.description_en
            assert rule.description_vi != rule.description_en


def _raw(table: str = "encounters") -> dict:
    """The contract file as a mapping, its shared rules written out (so that one can be broken)."""
    raw = yaml.safe_load((contracts_dir() / f"{table}.yml").read_text(encoding="utf-8"))
    raw["rules"] = with_shared_rules(raw["rules"], contracts_dir(), table)
    return raw


def _rule(raw: dict, rule_id: str) -> dict:
    return next(r for r in raw["rules"] if r["id"] == rule_id)


def _on_rule(rule_id: str, **changes):
    return lambda c: _rule(c, rule_id).update(changes)


def _on_check(rule_id: str, **changes):
    return lambda c: _rule(c, rule_id)["check"].update(changes)


def _on_column(name: str, **changes):
    return lambda c: c["columns"][name].update(changes)


BROKEN = [
    ("unknown top-level key", lambda c: c.update(owner="me"), "unknown keys"),
    ("repeated rule id", lambda c: c["rules"].append(dict(c["rules"][0])), "rule ids repeat"),
    ("bad category", _on_rule("record.malformed", category="accuracy"), "category"),
    ("bad severity", _on_rule("record.malformed", severity="fatal"), "severity"),
    ("bad id", _on_rule("record.malformed", id="Record Malformed"), "bad id"),
    ("two targets", _on_rule("record.malformed", applies_to="referrals"), "one target"),
    ("no Vietnamese", lambda c: _rule(c, "record.malformed")["description"].pop("vi"), "['vi']"),
    ("pattern not enforced", _on_column("full_name", pattern="^x$"), "enforced by 0"),
    ("wrong type", _on_column("birth_date", type="string"), "wrong type"),
    ("bad regex", _on_column("citizen_id", pattern="^(\\d{12}$"), "does not compile"),
    ("missing column", lambda c: c["columns"].pop("phone"), "missing ['phone']"),
    ("unknown derived", _on_check("plausibility.citizen_id_consistent", name="magic"), "derived"),
    ("unknown check column", _on_check("conformance.sex_known", columns=["gender"]), "unknown col"),
    (
        "required not checked",
        lambda c: c["rules"].remove(_rule(c, "completeness.required")),
        "required is enforced by 0",
    ),
]


@pytest.mark.parametrize(("what", "breaks", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_contract_is_refused_with_the_reason(tmp_path, what, breaks, message):
    raw = _raw()
    breaks(raw)
    path = tmp_path / "encounters.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContractError, match=re.escape(message)):
        load_contract(path)


def test_the_file_name_is_the_table(tmp_path):
    shutil.copy(contracts_dir() / "encounters.yml", tmp_path / "visits.yml")
    with pytest.raises(ContractError, match="match the file name"):
        load_contract(tmp_path / "visits.yml")


def test_two_contracts_for_one_dataset_are_refused(tmp_path):
    raw = _raw()
    Path(tmp_path / "encounters.yml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    raw["table"] = "referrals"  # a second contract whose rules also apply to encounters
    Path(tmp_path / "referrals.yml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(ContractError, match="both apply to 'encounters'"):
        load_contracts(tmp_path)
