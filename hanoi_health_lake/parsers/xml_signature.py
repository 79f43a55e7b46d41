"""The dossier's signature (`CHUKYDONVI`, XML-DSig enveloped) checked against the facility's
registered certificate, with `signxml` (the maintained XML-DSig library for Python, on lxml).

Trust lives next to the registry (`HHL_HOME/registry/`):
- `certificates/<facility_code>.pem`: the facility's signing certificate(s), PEM (several while a
  renewed certificate overlaps the old one);
- the policy: `HHL_SIGNATURE_POLICY` (`report`, the default while phase 2 runs, or `quarantine`)
  for every facility, overridden per facility by an optional `signature_policy` column of
  `facilities.csv`.

Outcomes are rules like any other: `signature.missing` (no Signature in CHUKYDONVI),
`signature.unknown_signer` (no certificate registered for the facility, or signed with a
certificate that is not one of its registered ones), `signature.invalid` (the signature does not
verify: content changed after signing, or it does not cover the whole dossier). Under `report`
the verdict is recorded on the file (bronze_files.error_rule, status still ok) and the records go
on; under `quarantine` the dossier is rejected whole.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree
from signxml import XMLVerifier
from signxml.exceptions import InvalidCertificate, InvalidInput, InvalidSignature

from hanoi_health_lake.config import setting

MISSING = "signature.missing"
INVALID = "signature.invalid"
UNKNOWN_SIGNER = "signature.unknown_signer"
POLICY_ENV = "HHL_SIGNATURE_POLICY"
POLICIES = ("report", "quarantine")
DSIG = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True)
class SignatureTrust:
    certificates: Mapping[str, tuple[x509.Certificate, ...]] = field(default_factory=dict)
    policies: Mapping[str, str] = field(default_factory=dict)  # facility → policy
    default_policy: str = "report"

    def policy(self, facility: str) -> str:
        return self.policies.get(facility) or self.default_policy


@dataclass(frozen=True)
class SignatureVerdict:
    rule_id: str
    message: str


def default_policy() -> str:
    value = setting(POLICY_ENV).lower() or "report"
    if value not in POLICIES:
        raise ValueError(f"{POLICY_ENV} must be one of {POLICIES}, got {value!r}")
    return value


def load_trust(registry_dir: Path) -> SignatureTrust:
    """Certificates and policies under `registry_dir` (HHL_HOME/registry); none there is fine."""
    certs_dir = Path(registry_dir) / "certificates"
    registry = Path(registry_dir) / "facilities.csv"
    return _load(
        str(certs_dir), _stamp(certs_dir), str(registry), _stamp(registry), default_policy()
    )


def trust_stamp(registry_dir: Path) -> str:
    """Changes whenever what `load_trust` reads changes (a certificate, a signature policy)."""
    registry_dir = Path(registry_dir)
    return f"{_stamp(registry_dir / 'certificates')}:{_stamp(registry_dir / 'facilities.csv')}"


def _stamp(path: Path) -> float:
    try:
        stamps = [path.stat().st_mtime_ns]
        if path.is_dir():
            stamps += [p.stat().st_mtime_ns for p in path.glob("*.pem")]
        return max(stamps)
    except OSError:
        return -1


@lru_cache(maxsize=8)
def _load(certs_dir: str, _c: float, registry: str, _r: float, policy: str) -> SignatureTrust:
    certificates = {}
    for pem in sorted(Path(certs_dir).glob("*.pem")) if Path(certs_dir).is_dir() else []:
        certificates[pem.stem] = tuple(x509.load_pem_x509_certificates(pem.read_bytes()))
    policies: dict[str, str] = {}
    if Path(registry).is_file():
        frame = pl.read_csv(registry, infer_schema=False)
        if "signature_policy" in frame.columns:
            for code, value in frame.select("facility_code", "signature_policy").iter_rows():
                if value and value.strip().lower() in POLICIES:
                    policies[code] = value.strip().lower()
    return SignatureTrust(certificates, policies, policy)


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def check_signature(
    root: etree._Element, facility: str, trust: SignatureTrust, data: bytes | None = None
) -> SignatureVerdict | None:
    """None when the dossier is signed, over all of it, by one of the facility's certificates.
    `data`, the file's bytes `root` was parsed from, spares signxml serialising the tree again
    before it parses it with its own hardened parser (a tree is always re-parsed there)."""
    holder = next((c for c in root if etree.QName(c).localname == "CHUKYDONVI"), None)
    signature = holder.find(f"{{{DSIG}}}Signature") if holder is not None else None
    if signature is None:
        return SignatureVerdict(MISSING, "CHUKYDONVI holds no XML signature")
    registered = trust.certificates.get(facility, ())
    if not registered:
        return SignatureVerdict(
            UNKNOWN_SIGNER, f"no signing certificate is registered for facility {facility}"
        )
    candidates = list(registered)
    embedded_text = signature.findtext(f".//{{{DSIG}}}X509Certificate")
    if embedded_text:
        try:
            embedded = x509.load_der_x509_certificate(
                base64.b64decode("".join(embedded_text.split()))
            )
        except ValueError:
            return SignatureVerdict(INVALID, "the certificate in the signature cannot be read")
        match = [c for c in registered if _fingerprint(c) == _fingerprint(embedded)]
        if not match:
            return SignatureVerdict(
                UNKNOWN_SIGNER,
                f"signed by {embedded.subject.rfc4514_string()} (SHA-256 "
                f"{_fingerprint(embedded).hex()[:16]}…), not a certificate registered for "
                f"facility {facility}",
            )
        candidates = match
    problem = "no registered certificate verifies it"
    for cert in candidates:
        pem = cert.public_bytes(serialization.Encoding.PEM)
        try:
            result = XMLVerifier().verify(root if data is None else data, x509_cert=pem)
        except (InvalidSignature, InvalidInput, InvalidCertificate) as exc:
            problem = str(exc).strip() or type(exc).__name__
            continue
        if etree.QName(result.signed_xml).localname != "GIAMDINHHS":
            return SignatureVerdict(INVALID, "the signature does not cover the whole dossier")
        return None
    return SignatureVerdict(INVALID, f"the signature does not verify ({problem})")
