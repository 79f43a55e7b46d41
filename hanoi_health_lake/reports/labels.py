"""Every word a report shows, in Vietnamese and English, from `labels.csv` beside this module.

Rule meanings come from where the rules are defined: `data_contracts/*.yml` (each rule's
`description.vi` / `.en`) and, for whole-file rules, `faults.py` (English) with the Vietnamese
wording kept here under `rule.<id>`.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from hanoi_health_lake.faults import FAULT_KINDS
from hanoi_health_lake.reports.model import Text, same

LABELS_FILE = Path(__file__).parent / "labels.csv"


@cache
def labels() -> dict[str, Text]:
    with LABELS_FILE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    table: dict[str, Text] = {}
    for row in rows:
        if None in row or None in row.values():
            raise ValueError(f"{LABELS_FILE}: row {row} has the wrong number of fields")
        key = row["key"].strip()
        if key in table:
            raise ValueError(f"{LABELS_FILE}: label {key!r} appears twice")
        if not row["vi"].strip() or not row["en"].strip():
            raise ValueError(f"{LABELS_FILE}: label {key!r} lacks a language")
        table[key] = Text(row["vi"].strip(), row["en"].strip())
    return table


def label(key: str, **params: object) -> Text:
    try:
        text = labels()[key]
    except KeyError:
        raise KeyError(f"no label {key!r} in {LABELS_FILE}") from None
    return text.format(**params) if params else text


def code_label(prefix: str, code: str | None) -> Text:
    """The label of a code (`facility_type.city_hospital`), or the code itself when unlisted."""
    if code is None:
        return label("value.unknown")
    return labels().get(f"{prefix}.{code}", same(code))


@cache
def _contract_rules() -> dict[tuple[str | None, str], Text]:
    """(dataset, rule id) → meaning; also (None, rule id) → the first dataset's meaning."""
    from hanoi_health_lake.contracts import load_contracts

    meanings: dict[tuple[str | None, str], Text] = {}
    for contract in load_contracts().values():
        for rule in contract.rules:
            text = Text(rule.description_vi, rule.description_en)
            meanings.setdefault((rule.applies_to, rule.id), text)
            meanings.setdefault((None, rule.id), text)
    return meanings


def rule_meaning(rule_id: str, dataset: str | None = None) -> Text:
    """What a quarantine rule means for a dataset (a rule such as `completeness.required` names
    different fields in each), for the facility that broke it."""
    contract_rules = _contract_rules()
    for key in ((dataset, rule_id), (None, rule_id)):
        if key in contract_rules:
            return contract_rules[key]
    fault = next((f for f in FAULT_KINDS if f.rule_id == rule_id), None)
    own = labels().get(f"rule.{rule_id}")
    if own is not None:
        return Text(own.vi, fault.meaning.capitalize() + "." if fault else own.en)
    return same(rule_id)
