"""What the look-up API and its loader read from the environment (secrets never from the repo)."""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hanoi_health_lake.config import environment

DSN_ENV = "HHL_LOOKUP_DSN"  # libpq DSN or postgresql:// URL of the serving store
KEY_ENV = "HHL_LOOKUP_KEY"  # HMAC key of citizen_hash and the sealing of Patient resources
TOKEN_KEY_ENV = "HHL_API_TOKEN_KEY"  # HMAC key that signs the API's own access tokens
AUDIENCE_ENV = "HHL_API_TOKEN_URL"  # the token URL clients put in `aud` (behind a proxy)
MIN_KEY_CHARS = 32  # HS256 and HMAC-SHA256 keys of at least 256 bits (RFC 7518 §3.2)


class LookupConfigError(RuntimeError):
    """A setting the look-up API needs is missing or too weak."""


def dsn(env: dict[str, str] | None = None) -> str:
    env = environment() if env is None else env
    value = env.get(DSN_ENV)
    if not value:
        raise LookupConfigError(
            f"set {DSN_ENV} to the serving store's PostgreSQL DSN, "
            "e.g. postgresql://postgres@127.0.0.1:5432/hhl_lookup"
        )
    return value


def lookup_key(env: dict[str, str] | None = None) -> bytes:
    env = environment() if env is None else env
    value = env.get(KEY_ENV, "")
    if len(value) < MIN_KEY_CHARS:
        raise LookupConfigError(f"set {KEY_ENV} to a secret of at least {MIN_KEY_CHARS} characters")
    return value.encode("utf-8")


def token_key(env: dict[str, str] | None = None) -> bytes:
    """The access-token key; without one, a random key for this process (tokens then die with
    it, which is harmless for 5-minute tokens and one process, and said on stderr)."""
    env = environment() if env is None else env
    value = env.get(TOKEN_KEY_ENV, "")
    if value and len(value) < MIN_KEY_CHARS:
        raise LookupConfigError(f"{TOKEN_KEY_ENV} must have at least {MIN_KEY_CHARS} characters")
    if not value:
        print(
            f"hhl serve-api: {TOKEN_KEY_ENV} not set; access tokens are signed with a random "
            "key of this process (set it when several processes serve the API)",
            file=sys.stderr,
        )
        return secrets.token_bytes(32)
    return value.encode("utf-8")


@dataclass(frozen=True)
class ApiSettings:
    """Everything the app needs; `from_env` for the server, explicit values in tests."""

    dsn: str
    lookup_key: bytes
    token_key: bytes
    registry: Path  # HHL_HOME/registry: api_clients/*.json and vneid/*.json
    token_audience: str | None = None  # None: the URL the token request came to
    token_seconds: int = 300  # short-lived access tokens (SMART Backend Services: <= 5 min)
    max_assertion_seconds: int = 300  # a client assertion may live at most this long
    max_body_bytes: int = 16 * 1024  # the API reads; only the token and consent posts have bodies
    rate_per_minute: int = 600  # per client (or per address before a token)
    rate_burst: int = 60
    max_count: int = 500  # largest _count page
    default_count: int = 100
    max_consent_days: int = 365
    pool_size: int = 20
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, home: Path) -> ApiSettings:
        env = dict(environment())

        def _int(name: str, default: int) -> int:
            return int(env[name]) if env.get(name) else default

        return cls(
            dsn=dsn(),
            lookup_key=lookup_key(),
            token_key=token_key(),
            registry=home / "registry",
            token_audience=env.get(AUDIENCE_ENV) or None,
            rate_per_minute=_int("HHL_API_RATE_PER_MINUTE", 600),
            rate_burst=_int("HHL_API_RATE_BURST", 60),
            pool_size=_int("HHL_API_DB_POOL", 20),
        )
