"""The dossier signature (CHUKYDONVI): valid, tampered, unknown signer, missing; report or
quarantine by policy, globally or per facility. Certificates come from a test CA made here."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from lxml import etree

from hanoi_health_lake.parsers import parse_file
from hanoi_health_lake.simulator import xml_export
from hanoi_health_lake.simulator.xml_signing import sign_dossier
from tests.test_pki import facility_identity
from tests.xml_dossiers import DAY, FACILITY, two_episodes

REL = f"{FACILITY}/2026-03-01/hoso__20260302T061500.xml"


def _home(tmp_path: Path, registered: dict[str, str], policies: dict[str, str] | None = None):
    certs = tmp_path / "registry" / "certificates"
    certs.mkdir(parents=True)
    for code, signer in registered.items():
        (certs / f"{code}.pem").write_bytes(facility_identity(signer).cert_pem)
    rows = ["facility_code,name,signature_policy"] + [
        f"{code},x,{policy}" for code, policy in (policies or {}).items()
    ]
    (tmp_path / "registry" / "facilities.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "landing"


def _signed(signer: str = FACILITY) -> bytes:
    identity = facility_identity(signer)
    root = sign_dossier(
        xml_export.dossier(FACILITY, DAY, two_episodes()), identity.key_pem, identity.cert_pem
    )
    return xml_export.to_bytes(root)


def _tampered(data: bytes) -> bytes:
    """One drug line's quantity changed after signing, as a man in the middle would."""
    root = etree.fromstring(data)
    node = next(f for f in root.iter("FILEHOSO") if f.findtext("LOAIHOSO") == "XML2")
    inner = base64.b64decode(node.findtext("NOIDUNGFILE")).replace(b"14.000", b"140.000")
    node.find("NOIDUNGFILE").text = base64.b64encode(inner).decode()
    return xml_export.to_bytes(root)


def _parse(landing: Path, data: bytes):
    path = landing / REL
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return parse_file(landing, REL)


def test_a_valid_signature_passes_silently(tmp_path):
    result = _parse(_home(tmp_path, {FACILITY: FACILITY}), _signed())
    assert (result.status, result.error_rule) == ("ok", None)
    assert len(result.records) == 14


@pytest.mark.parametrize(
    ("registered", "data", "rule", "words"),
    [
        ({FACILITY: FACILITY}, lambda: _tampered(_signed()), "signature.invalid",
         "does not verify"),
        ({FACILITY: FACILITY}, lambda: _signed("01099"), "signature.unknown_signer",
         "not a certificate registered for facility 01012"),
        ({}, _signed, "signature.unknown_signer", "no signing certificate is registered"),
        ({FACILITY: FACILITY},
         lambda: xml_export.to_bytes(xml_export.dossier(FACILITY, DAY, two_episodes())),
         "signature.missing", "CHUKYDONVI holds no XML signature"),
    ],
)  # fmt: skip
def test_by_default_a_bad_signature_is_reported_and_the_records_go_on(
    tmp_path, registered, data, rule, words
):
    result = _parse(_home(tmp_path, registered), data())
    assert (result.status, result.error_rule) == ("ok", rule)
    assert result.error_message.startswith(REL) and words in result.error_message
    assert "signature policy: report" in result.error_message
    assert len(result.records) == 14


def test_the_global_quarantine_policy_rejects_the_dossier(tmp_path, monkeypatch):
    monkeypatch.setenv("HHL_SIGNATURE_POLICY", "quarantine")
    result = _parse(_home(tmp_path, {FACILITY: FACILITY}), _tampered(_signed()))
    assert (result.status, result.error_rule) == ("error", "signature.invalid")
    assert result.records == []


def test_a_facility_policy_overrides_the_global_one(tmp_path, monkeypatch):
    landing = _home(tmp_path, {FACILITY: FACILITY}, {FACILITY: "quarantine"})
    result = _parse(landing, _signed("01099"))
    assert (result.status, result.error_rule) == ("error", "signature.unknown_signer")
    monkeypatch.setenv("HHL_SIGNATURE_POLICY", "quarantine")
    (tmp_path / "registry" / "facilities.csv").write_text(
        f"facility_code,name,signature_policy\n{FACILITY},x,report\n"
    )
    (landing / REL).unlink()
    assert _parse(landing, _signed("01099")).status == "ok"


def test_an_unknown_policy_value_is_a_clear_error(monkeypatch):
    from hanoi_health_lake.parsers.xml_signature import default_policy

    monkeypatch.setenv("HHL_SIGNATURE_POLICY", "sometimes")
    with pytest.raises(ValueError, match="HHL_SIGNATURE_POLICY must be one of"):
        default_policy()
