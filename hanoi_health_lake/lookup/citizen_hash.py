"""Keyed hashes of the citizen id (CCCD): the serving store's key and the API's Patient id.

HMAC-SHA256 under HHL_LOOKUP_KEY, a key of its own: the serving store's hashes do not join the
analysts' patient_key (HHL_PSEUDONYM_KEY), and without the key a guessed CCCD cannot be turned
into a row. The Patient id a facility sees is another HMAC of the same CCCD, so the audit key
(citizen_hash) never leaves the server.
"""

from __future__ import annotations

import hashlib
import hmac
import re

CCCD_SYSTEM = "urn:vn:moh:sid:cccd"
_CCCD = re.compile(r"^\d{12}$")


class CitizenHasher:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def citizen_hash(self, cccd: str) -> str:
        return self._mac("cccd", normalise_cccd(cccd))

    def patient_id(self, cccd: str) -> str:
        # 32 hex characters: a FHIR id (<= 64 [A-Za-z0-9.-]) that reveals nothing
        return self._mac("patient-id", normalise_cccd(cccd))[:32]

    def seal_key(self) -> bytes:
        """The AES-256 key that seals stored Patient resources (they hold names and ids)."""
        return hmac.new(self._key, b"seal:patient", hashlib.sha256).digest()


def normalise_cccd(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if not _CCCD.match(digits):
        raise ValueError("a citizen id (CCCD) has 12 digits")
    return digits


def is_cccd(value: str) -> bool:
    return bool(_CCCD.match(value or ""))
