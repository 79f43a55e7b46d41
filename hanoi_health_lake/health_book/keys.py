"""The identity key: AES-256-GCM key of the restricted identity table, apart from the
pseudonymisation key (secrets.py), from HHL_IDENTITY_KEY, else a key file outside the repository.

A key is 64 hex digits (32 bytes). A newcomer's first `hhl demo` creates
`~/.config/hanoi-health-lake/identity.key` (0600); production sets HHL_IDENTITY_KEY from its secret
store. Rotation: `hhl rekey-identities` (health_book/rotation.py).
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path

from hanoi_health_lake.config import config_home, ensure_key_file, setting

ENV_KEY = "HHL_IDENTITY_KEY"
ENV_KEY_FILE = "HHL_IDENTITY_KEY_FILE"
ENV_OLD_KEY = "HHL_OLD_IDENTITY_KEY"
KEY_BYTES = 32
_LABEL = b"hanoi-health-lake/identity-key-id/v1"


class IdentityKeyError(RuntimeError):
    """No identity key, or one that is not 32 bytes of hex."""


def default_key_file() -> Path:
    return config_home() / "hanoi-health-lake" / "identity.key"


def parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise IdentityKeyError(f"the identity key {where} must be {KEY_BYTES * 2} hex digits")
    return key


def key_id(key: bytes) -> str:
    """Names a key without revealing it (HMAC of a fixed label): which key encrypted a row."""
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()[:16]


def identity_key(*, create: bool = False) -> bytes:
    """The key from HHL_IDENTITY_KEY, HHL_IDENTITY_KEY_FILE or the default file (created when
    `create`); Dagster's run workers inherit the same environment and find the same file."""
    if setting(ENV_KEY):
        return parse_key(setting(ENV_KEY), f"in {ENV_KEY}")
    path = Path(setting(ENV_KEY_FILE) or default_key_file())
    missing = IdentityKeyError(
        f"no identity key: set {ENV_KEY}, or {ENV_KEY_FILE} to a key file (looked for "
        f"{path}); the health book cannot encrypt or read identities without it"
    )
    ensure_key_file(path, "identity key", create=create, missing=missing)
    if path.stat().st_mode & 0o077:
        print(f"warning: the identity key file {path} is readable by others: chmod 600 {path}",
              file=sys.stderr)  # fmt: skip
    text = path.read_text()
    return parse_key(text, f"in {path}")
