"""Consent from the citizen's VNeID QR code, scanned at the facility's desk (simulated).

The citizen's VNeID app shows a QR code holding a JWS signed by VNeID (ES384): sub = CCCD,
aud = the facility code the citizen chose, `consent_days` (how long the facility may look),
exp a few minutes ahead, a jti. The facility's software posts it to `POST /fhir/Consent`; the
API checks VNeID's signature with the public keys in HHL_HOME/registry/vneid/*.json, that the
QR names the caller's facility, and records a consent for that citizen and facility. The real
VNeID would sign with its own key; `simulated_qr` stands in for the app.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from hanoi_health_lake.lookup.citizen_hash import CCCD_SYSTEM, is_cccd

VNEID_ISSUER = "urn:vn:vneid"
QR_ALGORITHMS = ("ES384", "RS384")
QR_MAX_SECONDS = 600


class ConsentError(ValueError):
    pass


@dataclass(frozen=True)
class QrConsent:
    cccd: str
    facility_code: str
    days: int
    jti: str


def vneid_dir(registry: Path) -> Path:
    return registry / "vneid"


def register_vneid_key(registry: Path, public_jwk: dict) -> Path:
    folder = vneid_dir(registry)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{public_jwk['kid']}.json"
    path.write_text(json.dumps(public_jwk, indent=2), encoding="utf-8")
    return path


def _vneid_keys(registry: Path) -> dict[str, jwt.PyJWK]:
    keys = {}
    for path in sorted(vneid_dir(registry).glob("*.json")):
        key = jwt.PyJWK(json.loads(path.read_text(encoding="utf-8")))
        keys[key.key_id or path.stem] = key
    return keys


def simulated_qr(private_jwk: dict, cccd: str, facility_code: str, days: int = 30) -> str:
    """What the citizen's VNeID app would show: a signed, short-lived consent."""
    now = int(time.time())
    return jwt.encode(
        {
            "iss": VNEID_ISSUER,
            "sub": cccd,
            "aud": facility_code,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_hex(12),
            "consent_days": days,
            "identifier_system": CCCD_SYSTEM,
        },
        jwt.PyJWK(private_jwk).key,
        algorithm="ES384",
        headers={"kid": private_jwk["kid"]},
    )


def read_qr(qr: str, registry: Path, facility_code: str, max_days: int) -> QrConsent:
    try:
        header = jwt.get_unverified_header(qr)
    except jwt.PyJWTError as error:
        raise ConsentError("the QR payload is not a VNeID token") from error
    key = _vneid_keys(registry).get(str(header.get("kid")))
    if key is None:
        raise ConsentError("the QR was not signed by a known VNeID key")
    try:
        claims = jwt.decode(
            qr,
            key.key,
            algorithms=list(QR_ALGORITHMS),
            audience=facility_code,
            issuer=VNEID_ISSUER,
            options={"require": ["sub", "aud", "exp", "jti"]},
        )
    except jwt.InvalidAudienceError as error:
        raise ConsentError("the QR consents to another facility") from error
    except jwt.ExpiredSignatureError as error:
        raise ConsentError("the QR has expired: ask the citizen to show a new one") from error
    except jwt.PyJWTError as error:
        raise ConsentError("the QR signature or content is invalid") from error
    if claims["exp"] > time.time() + QR_MAX_SECONDS:
        raise ConsentError("the QR lives too long")
    if not is_cccd(str(claims["sub"])):
        raise ConsentError("the QR does not carry a citizen id")
    days = int(claims.get("consent_days") or 1)
    return QrConsent(
        cccd=str(claims["sub"]),
        facility_code=facility_code,
        days=max(1, min(days, max_days)),
        jti=str(claims["jti"]),
    )
