"""Labels and rule meanings: every rule a facility can break reads in Vietnamese and English."""

from __future__ import annotations

import pytest

from hanoi_health_lake.contracts import load_contracts
from hanoi_health_lake.faults import FAULT_KINDS
from hanoi_health_lake.parsers import rejection
from hanoi_health_lake.reports import labels as labels_module
from hanoi_health_lake.reports.labels import code_label, label, labels, rule_meaning
from hanoi_health_lake.reports.model import same


def _all_rule_ids() -> set[str]:
    contract_rules = {r.id for c in load_contracts().values() for r in c.rules}
    fault_rules = {f.rule_id for f in FAULT_KINDS}
    parser_rules = {v for k, v in vars(rejection).items() if k.isupper() and isinstance(v, str)}
    return contract_rules | fault_rules | parser_rules


@pytest.mark.parametrize("rule_id", sorted(_all_rule_ids()))
def test_every_rule_has_a_meaning_in_both_languages(rule_id):
    meaning = rule_meaning(rule_id)
    assert meaning != same(rule_id), f"{rule_id} has no meaning"
    assert meaning.vi and meaning.en and meaning.vi != meaning.en


def test_file_rules_take_vietnamese_from_labels_and_english_from_faults():
    fault = next(f for f in FAULT_KINDS if f.rule_id == "file.encoding")
    meaning = rule_meaning("file.encoding")
    assert meaning.vi == labels()["rule.file.encoding"].vi
    assert fault.meaning.lower().rstrip(".") in meaning.en.lower()


def test_a_rule_means_what_its_datasets_contract_says():
    by_dataset = {
        r.applies_to: r.description_vi
        for c in load_contracts().values()
        for r in c.rules
        if r.id == "completeness.required"
    }
    assert len(set(by_dataset.values())) > 1, "the contracts no longer differ; pick another rule"
    for dataset, vi in by_dataset.items():
        assert rule_meaning("completeness.required", dataset).vi == vi


def test_label_fills_placeholders_per_language():
    text = label("card.n_of", n="3", of="7")
    assert "3" in text.vi and "7" in text.vi and "3" in text.en and "7" in text.en
    assert text.vi != text.en


def test_unknown_codes_read_as_themselves_and_missing_labels_fail_loudly():
    assert code_label("facility_type", "floating_clinic") == same("floating_clinic")
    assert code_label("facility_type", "city_hospital").vi == "Bệnh viện thành phố"
    with pytest.raises(KeyError, match="no label"):
        label("no.such.label")


def test_a_label_file_missing_a_language_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "labels.csv"
    bad.write_text("key,vi,en\ngroup.city,Toàn thành phố,\n", encoding="utf-8")
    monkeypatch.setattr(labels_module, "LABELS_FILE", bad)
    labels.cache_clear()
    try:
        with pytest.raises(ValueError, match="lacks a language"):
            labels()
    finally:
        monkeypatch.undo()
        labels.cache_clear()
