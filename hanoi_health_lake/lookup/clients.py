"""The registry of API clients: one JSON file per client in HHL_HOME/registry/api_clients/.

    {"client_id": "bv-01001-his", "facility_code": "01001", "scope": "system/*.read",
     "jwks": {"keys": [<the facility's public key as a JWK, RS384 or ES384>]}}

The Department registers a facility's public key (`hhl api register-client`); the private key
never leaves the facility. A client's scope is the most a token may carry: facilities get
`system/*.read`; the Department's supervision client `system/AuditEvent.read`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import jwt

ALGORITHMS = ("RS384", "ES384")  # SMART Backend Services: RS384 or ES384
FACILITY_SCOPE = "system/*.read"
AUDIT_SCOPE = "system/AuditEvent.read"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class Client:
    client_id: str
    facility_code: str
    scope: frozenset[str]
    keys: tuple[jwt.PyJWK, ...]

    def key_for(self, kid: str | None) -> list[jwt.PyJWK]:
        if kid is None:
            return list(self.keys)
        return [k for k in self.keys if k.key_id == kid]


def clients_dir(registry: Path) -> Path:
    return registry / "api_clients"


def load_client(registry: Path, client_id: str) -> Client | None:
    """The registered client, or None (unknown, or a name that is not a plain id)."""
    if not _SAFE_ID.match(client_id or ""):
        return None
    path = clients_dir(registry) / f"{client_id}.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("client_id") != client_id:
        return None
    keys = tuple(jwt.PyJWK(k) for k in data["jwks"]["keys"])
    return Client(
        client_id=client_id,
        facility_code=str(data["facility_code"]),
        scope=frozenset(str(data.get("scope", FACILITY_SCOPE)).split()),
        keys=keys,
    )


def register_client(
    registry: Path, client_id: str, facility_code: str, public_jwk: dict, scope: str
) -> Path:
    if not _SAFE_ID.match(client_id):
        raise ValueError("a client id is 1-64 letters, digits, '.', '_' or '-'")
    if any(k in public_jwk for k in ("d", "p", "q")):
        raise ValueError("that is a private key: register the public key only")
    jwt.PyJWK(public_jwk)  # refuses what is not a usable key
    folder = clients_dir(registry)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{client_id}.json"
    path.write_text(
        json.dumps(
            {
                "client_id": client_id,
                "facility_code": facility_code,
                "scope": scope,
                "jwks": {"keys": [public_jwk]},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return path
