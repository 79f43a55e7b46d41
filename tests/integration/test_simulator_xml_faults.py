"""Each whole-file fault the simulator puts into a QĐ 130 XML dossier is rejected by the real
parser under the rule the ground truth names for it; the clean dossier parses, signature valid."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from hanoi_health_lake.faults import FAULT_KINDS, RULE_FOR_KIND
from hanoi_health_lake.parsers.dispatch import parse_file
from hanoi_health_lake.simulator.fault_values import FaultContext
from hanoi_health_lake.simulator.faults_xml import (
    ATTACK_FAULTS,
    TREE_FAULTS,
    cut_off,
    damage_tree,
    tamper,
    with_attack,
)
from hanoi_health_lake.simulator.files import OutFile, damage
from hanoi_health_lake.simulator.run import simulate
from hanoi_health_lake.simulator.xml_delivery import SIGNATURE_FAULTS, STRICT_POLICY
from hanoi_health_lake.simulator.xml_export import to_bytes

DAY = date(2026, 3, 1)
XML_KINDS = [k.kind for k in FAULT_KINDS if k.level == "file" and "qd130_xml" in k.formats]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    home = tmp_path_factory.mktemp("xml_faults") / "home"
    simulate(DAY, 1, "tiny", seed=7, out=home, fault_rate=0.0, xml_share=1.0)
    # A facility whose policy quarantines a failed signature (public hospitals in the simulator).
    with (home / "registry" / "facilities.csv").open(encoding="utf-8") as fh:
        strict = {r["facility_code"] for r in csv.DictReader(fh)
                  if r["signature_policy"] == STRICT_POLICY}  # fmt: skip
    dossiers = [p for p in (home / "landing").glob("*/*/hoso__*.xml") if p.parts[-3] in strict]
    dossier = max(dossiers, key=lambda p: p.stat().st_size)
    return home, dossier


def _parse(home: Path, path: Path):
    return parse_file(home / "landing", path.relative_to(home / "landing").as_posix())


def test_the_clean_dossier_parses_with_a_valid_signature(clean):
    home, dossier = clean
    parsed = _parse(home, dossier)
    assert parsed.status == "ok" and parsed.error_rule is None, parsed.error_message
    assert {r.dataset for r in parsed.records} >= {"encounters", "prescriptions"}


def test_the_simulator_knows_every_dossier_check_of_the_parser():
    assert {RULE_FOR_KIND[k] for k in XML_KINDS} >= {
        "xml.malformed_envelope", "xml.malformed_table", "xml.bad_base64",
        "xml.unknown_loaihoso", "xml.count_mismatch", "xml.episode_mismatch",
        "xml.facility_mismatch", "file.empty", "file.unsafe_path", "signature.missing",
        "signature.invalid", "xml.forbidden_dtd",
    }  # fmt: skip


@pytest.mark.parametrize("kind", XML_KINDS)
def test_each_dossier_fault_is_rejected_by_its_rule(clean, kind: str):
    home, dossier = clean
    rnd = random.Random(kind)
    ctx = FaultContext(rnd, ("01Z99",), 7)
    data = dossier.read_bytes()
    name = f"hoso__20260302T07{XML_KINDS.index(kind):02d}00.xml"
    if kind in TREE_FAULTS:
        root = etree.fromstring(data)
        assert damage_tree(kind, root, ctx) == kind
        data = to_bytes(root)
    elif kind == "xml_malformed_envelope":
        data = cut_off(data, rnd)
    elif kind in ATTACK_FAULTS:
        data = with_attack(data, kind)
    elif kind in SIGNATURE_FAULTS:
        root = etree.fromstring(data)
        if kind == "xml_signature_missing":  # as the simulator writes it: never signed
            root.find("CHUKYDONVI").clear()
        else:
            tamper(root, ctx)
        data = to_bytes(root)
    else:
        damaged = damage(OutFile(name, data, "qd130_xml"), kind, rnd)
        name, data = damaged.name, damaged.data
    target = dossier.parent / name
    target.write_bytes(data)
    parsed = _parse(home, target)
    assert parsed.status == "error", kind
    assert parsed.error_rule == RULE_FOR_KIND[kind], (kind, parsed.error_message)
    assert name in parsed.error_message or kind == "unsafe_path"
    if kind in ATTACK_FAULTS:  # refused unread: nothing of the entity, or of what it names
        assert parsed.records == [] and "&" not in parsed.error_message
        secret = Path("/etc/passwd")
        if secret.exists():
            assert secret.read_text().split(":", 1)[0] + ":x:" not in parsed.error_message
