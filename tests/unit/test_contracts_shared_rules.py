"""Shared contract rules (data_contracts/shared/rules.yml): a contract that includes a rule
compiles to the same Great Expectations suite as when the rule was written out in it.

The snapshot tests/snapshots/compiled_suites.json was written from the contracts before the
shared file existed (commit 80587d0); after an intended change to a contract, refresh it:

    HHL_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/test_contracts_shared_rules.py
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from hanoi_health_lake.contracts import ContractError, load_contracts
from hanoi_health_lake.contracts.gx_suite import build_suite
from hanoi_health_lake.contracts.model import contracts_dir, load_contract

SNAPSHOT = Path(__file__).parents[1] / "snapshots" / "compiled_suites.json"


def compiled_suites() -> dict:
    """Per contract: its GX suite's expectations (class, arguments, rule id) and its rules."""
    out = {}
    for name, contract in sorted(load_contracts().items()):
        suite = build_suite(contract)
        out[name] = {
            "suite": contract.suite_name,
            "expectations": [
                _without_id(e.configuration.to_json_dict()) for e in suite.expectations
            ],
            "rules": [
                [
                    *(r.id, r.category, r.severity, r.applies_to),
                    *(r.description_vi, r.description_en, repr(r.check)),
                ]
                for r in contract.rules
            ],
        }
    return json.loads(json.dumps(out, sort_keys=True, default=str))


def _without_id(expectation: dict) -> dict:
    """A random id GX stamps on an expectation it has stored is no part of what was compiled."""
    return {k: v for k, v in expectation.items() if k != "id"}


def test_compiled_suites_match_the_snapshot():
    suites = compiled_suites()
    if os.environ.get("HHL_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(suites, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    assert suites == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_the_contracts_include_shared_rules():
    texts = [p.read_text(encoding="utf-8") for p in contracts_dir().glob("*.yml")]
    assert sum(text.count("- include: ") for text in texts) >= 50


def _copy_contracts(tmp_path: Path) -> Path:
    shutil.copytree(contracts_dir(), tmp_path / "contracts")
    return tmp_path / "contracts"


def test_an_included_rule_applies_to_the_including_contract(tmp_path):
    folder = _copy_contracts(tmp_path)
    referrals = load_contract(folder / "referrals.yml")
    encounters = load_contract(folder / "encounters.yml")
    assert referrals.rule("conformance.sex_known").applies_to == "referrals"
    assert encounters.rule("conformance.sex_known").applies_to == "encounters"


def test_an_unknown_include_is_refused(tmp_path):
    folder = _copy_contracts(tmp_path)
    path = folder / "encounters.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "- include: conformance.sex_known", "- include: conformance.gender_known"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ContractError, match=r"no shared rule 'conformance\.gender_known'"):
        load_contract(path)


def test_a_shared_rule_may_not_name_its_target(tmp_path):
    folder = _copy_contracts(tmp_path)
    shared = folder / "shared" / "rules.yml"
    raw = yaml.safe_load(shared.read_text(encoding="utf-8"))
    raw["rules"][0]["applies_to"] = "encounters"
    shared.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContractError, match="applies_to comes from the contract"):
        load_contract(folder / "encounters.yml")


def test_a_changed_shared_rule_changes_every_contract_that_includes_it(tmp_path):
    folder = _copy_contracts(tmp_path)
    shared = folder / "shared" / "rules.yml"
    raw = yaml.safe_load(shared.read_text(encoding="utf-8"))
    rule = next(r for r in raw["rules"] if r["id"] == "conformance.sex_known")
    rule["severity"] = "warn"
    shared.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    for table in ("encounters", "referrals", "appointments"):
        assert (
            load_contract(folder / f"{table}.yml").rule("conformance.sex_known").severity == "warn"
        )
