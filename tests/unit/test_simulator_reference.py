"""The simulator's reference data: drugs, diagnosis mix, wrong codes, name pools, encodings."""

from __future__ import annotations

import re
import unicodedata

from hanoi_health_lake.reference.disease_groups import disease_groups
from hanoi_health_lake.reference.drugs import ROUTE_NAMES_VI, drugs, drugs_by_code
from hanoi_health_lake.reference.icd10 import is_accepted
from hanoi_health_lake.simulator.diagnoses import mix
from hanoi_health_lake.simulator.encodings import encode_text
from hanoi_health_lake.simulator.fault_values import INVALID_ICD10
from hanoi_health_lake.simulator.names import pools
from hanoi_health_lake.simulator.outbreaks import OUTBREAK_DISEASES
from hanoi_health_lake.simulator.prescribing import drug_uses


def test_drug_list_has_real_atc_codes_and_routes():
    rows = drugs()
    assert len(rows) >= 80
    assert len({d.drug_code for d in rows}) == len(rows)
    assert len({d.generic_name for d in rows}) == len(rows)
    for d in rows:
        assert re.fullmatch(r"[A-Z]\d{2}[A-Z]{1,2}(\d{2})?", d.atc_code), d
        assert set(d.routes) <= set(ROUTE_NAMES_VI)
        if d.atc_code.startswith("J01"):
            assert d.is_antibiotic
    assert sum(d.is_antibiotic for d in rows) >= 15


def test_every_drug_has_simulator_usage_data():
    assert {u.drug.drug_code for u in drug_uses()} == set(drugs_by_code())
    assert {u.rx_class for u in drug_uses()} == {"c", "n", "h", "y"}


def test_diagnosis_mix_uses_accepted_codes_only():
    assert all(is_accepted(d.code) for d in mix())
    assert {d.setting for d in mix()} == {"outpatient", "inpatient", "emergency"}


def test_wrong_codes_are_shaped_like_icd10_but_not_accepted():
    for code in INVALID_ICD10:
        assert re.fullmatch(r"[A-Z]\d{2}\.\w{1,3}", code)
        assert not is_accepted(code) and not is_accepted(code.replace(".", ""))


def test_outbreak_codes_belong_to_their_disease_group():
    groups = {g.group_id: g for g in disease_groups()}
    for group, (code, _, _) in OUTBREAK_DISEASES.items():
        assert groups[group].contains(code)
        assert any(d.code == code and d.setting == "outpatient" for d in mix())


def test_names_are_vietnamese_and_draw_from_faker_as_well():
    from faker.providers.person.vi_VN import Provider

    p = pools()
    assert set(Provider.last_names) <= set(p["family"].values)
    assert p["family"].pick_one(0.0) and p["given_female"].pick_one(0.999999)


def test_windows_1258_text_is_written_decomposed_and_reads_back():
    text = "Nguyễn Thị Ngọc Ánh, Phường Hoàn Kiếm, Xã Ứng Hòa, Bệnh viện Đa khoa Đức Giang"
    data = encode_text(text, "cp1258")
    decoded = data.decode("cp1258")
    assert decoded != text  # tone marks travel as combining characters
    assert unicodedata.normalize("NFC", decoded) == text
    assert encode_text(text, "utf-8-sig").startswith(b"\xef\xbb\xbf")
    assert encode_text(text, "utf-16").startswith(b"\xff\xfe")
