"""Field-level authenticated encryption of identities (AES-256-GCM, `cryptography`).

Each value is encrypted on its own with a fresh 96-bit nonce; the associated data binds it to its
row and column (`patient_key|field`), so a ciphertext copied into another row or column fails to
decrypt instead of naming the wrong person. Stored as `nonce || ciphertext || tag` (binary).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hanoi_health_lake.health_book.keys import key_id

NONCE_BYTES = 12


class UndecryptableError(RuntimeError):
    """A value did not authenticate under the key: wrong key, or tampered or moved data."""


class IdentityCipher:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.key_id = key_id(key)

    @staticmethod
    def _aad(patient_key: str, field: str) -> bytes:
        return f"{patient_key}|{field}".encode()

    def encrypt(self, patient_key: str, field: str, value: str | None) -> bytes | None:
        if value is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), self._aad(patient_key, field))
        return nonce + sealed

    def decrypt(self, patient_key: str, field: str, blob: bytes | None) -> str | None:
        if blob is None:
            return None
        try:
            plain = self._aead.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], self._aad(patient_key, field)
            )
        except InvalidTag as exc:
            raise UndecryptableError(
                f"an identity field ({field}) does not decrypt under key {self.key_id}: "
                "the wrong identity key, or the table was altered"
            ) from exc
        return plain.decode("utf-8")
