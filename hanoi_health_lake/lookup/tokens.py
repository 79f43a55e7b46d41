"""SMART Backend Services style authorisation: a signed client assertion buys a short-lived
access token with scopes.

The facility's software signs a JWT (RS384/ES384) with its private key: iss = sub = its
client_id, aud = the token URL, exp at most 5 minutes ahead, a jti never used before. The API
checks it against the public key registered for that client and returns an access token (a JWT
signed with the API's own HS256 key) naming the client, its facility and the granted scopes.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from hanoi_health_lake.lookup.clients import ALGORITHMS, Client, load_client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ISSUER = "urn:vn:hanoi:hhl:lookup-api"
ACCESS_ALGORITHM = "HS256"
CLOCK_SKEW = 30


class TokenRequestError(Exception):
    """An OAuth error answer: `error` code, HTTP status, and who claimed to ask."""

    def __init__(self, error: str, description: str, status: int = 400, client_id=None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.client_id = client_id


class AccessDenied(Exception):
    """A request without a usable access token (401) or with too little scope (403)."""

    def __init__(self, detail: str, status: int = 401, grant: Grant | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.grant = grant


@dataclass(frozen=True)
class Grant:
    """What a valid access token says: who calls and what it may do."""

    client_id: str
    facility_code: str
    scope: frozenset[str]

    def allows(self, resource_type: str) -> bool:
        return f"system/{resource_type}.read" in self.scope or (
            "system/*.read" in self.scope and resource_type != "AuditEvent"
        )


def verify_assertion(
    form: dict[str, str], registry, audience: str, max_seconds: int, remember_jti
) -> Client:
    """The registered client the assertion proves, or TokenRequestError.

    `remember_jti(client_id, jti, exp)` returns False when the jti was seen before (replay)."""
    if form.get("grant_type") != "client_credentials":
        raise TokenRequestError("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise TokenRequestError(
            "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}"
        )
    assertion = form.get("client_assertion") or ""
    try:
        header = jwt.get_unverified_header(assertion)
        claimed = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise TokenRequestError("invalid_request", "client_assertion is not a JWT") from error
    client_id = str(claimed.get("iss") or "")
    client = load_client(registry, client_id)
    if client is None:
        raise TokenRequestError("invalid_client", "unknown client", 401, client_id or None)
    if header.get("alg") not in ALGORITHMS:
        raise TokenRequestError(
            "invalid_client", f"alg must be one of {', '.join(ALGORITHMS)}", 401, client_id
        )
    keys = client.key_for(header.get("kid"))
    claims = None
    for key in keys:
        try:
            claims = jwt.decode(
                assertion,
                key.key,
                algorithms=list(ALGORITHMS),
                audience=audience,
                issuer=client_id,
                leeway=CLOCK_SKEW,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
            break
        except jwt.ExpiredSignatureError as error:
            raise TokenRequestError(
                "invalid_client", "client_assertion expired", 401, client_id
            ) from error
        except jwt.InvalidAudienceError as error:
            raise TokenRequestError(
                "invalid_client", f"client_assertion aud must be {audience}", 401, client_id
            ) from error
        except jwt.PyJWTError:
            continue
    if claims is None:
        raise TokenRequestError(
            "invalid_client",
            "client_assertion signature does not match the registered key",
            401,
            client_id,
        )
    if claims.get("sub") != client_id:
        raise TokenRequestError(
            "invalid_client", "sub must equal iss (the client id)", 401, client_id
        )
    if claims["exp"] > time.time() + max_seconds + CLOCK_SKEW:
        raise TokenRequestError(
            "invalid_client", f"client_assertion may live at most {max_seconds} s", 401, client_id
        )
    if not remember_jti(client_id, str(claims["jti"]), int(claims["exp"])):
        raise TokenRequestError(
            "invalid_client", "client_assertion jti was used before", 401, client_id
        )
    return client


def granted_scope(client: Client, requested: str | None) -> frozenset[str]:
    asked = frozenset((requested or "").split()) or client.scope
    granted = frozenset(s for s in asked if s in client.scope or _within(s, client.scope))
    if not granted:
        raise TokenRequestError(
            "invalid_scope",
            f"this client may ask for: {' '.join(sorted(client.scope))}",
            400,
            client.client_id,
        )
    return granted


def _within(scope: str, allowed: frozenset[str]) -> bool:
    """system/Patient.read is within system/*.read (AuditEvent never is: supervision only)."""
    return (
        scope.startswith("system/")
        and scope.endswith(".read")
        and "system/*.read" in allowed
        and scope != "system/AuditEvent.read"
    )


def issue_access_token(client: Client, scope: frozenset[str], key: bytes, seconds: int) -> dict:
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": ISSUER,
            "sub": client.client_id,
            "facility": client.facility_code,
            "scope": " ".join(sorted(scope)),
            "iat": now,
            "exp": now + seconds,
            "jti": secrets.token_hex(8),
        },
        key,
        algorithm=ACCESS_ALGORITHM,
    )
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": seconds,
        "scope": " ".join(sorted(scope)),
    }


def read_access_token(authorization: str | None, key: bytes) -> Grant:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AccessDenied("no bearer access token")
    token = authorization[7:].strip()
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ACCESS_ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "scope", "facility"]},
        )
    except jwt.ExpiredSignatureError as error:
        # signed by us, so who it was is known: the audit row names the expired client
        claims = jwt.decode(
            token, key, algorithms=[ACCESS_ALGORITHM], options={"verify_exp": False}
        )
        raise AccessDenied("access token expired", 401, _grant(claims)) from error
    except jwt.PyJWTError as error:
        raise AccessDenied("access token invalid") from error
    return _grant(claims)


def _grant(claims: dict) -> Grant:
    return Grant(
        client_id=str(claims.get("sub")),
        facility_code=str(claims.get("facility")),
        scope=frozenset(str(claims.get("scope", "")).split()),
    )
