"""A facility's side of the API, as an HIS vendor would write it: sign a client assertion with
the facility's private key, trade it for an access token, call the API. Used by the tests and
`hhl bench api`; the docs (docs/lookup-api.md) show the same steps with curl."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
import requests

from hanoi_health_lake.lookup.tokens import ASSERTION_TYPE


@dataclass
class FacilityClient:
    """A facility's software: its client id, facility code, private key (JWK), the API's base."""

    client_id: str
    facility_code: str
    private_jwk: dict
    base: str = ""

    def assertion(self, audience: str, *, lifetime: int = 240, **overrides) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        } | overrides
        key = jwt.PyJWK(self.private_jwk).key
        return jwt.encode(claims, key, algorithm="ES384", headers={"kid": self.private_jwk["kid"]})

    def token_response(self, assertion: str | None = None, scope: str = "system/*.read"):
        return requests.post(
            f"{self.base}/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion or self.assertion(f"{self.base}/auth/token"),
                "scope": scope,
            },
            timeout=10,
        )

    def token(self, scope: str = "system/*.read") -> str:
        response = self.token_response(scope=scope)
        response.raise_for_status()
        return response.json()["access_token"]

    def get(self, path: str, token: str | None, headers: dict | None = None, **params):
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(
            f"{self.base}{path}", params=params, headers=auth | (headers or {}), timeout=30
        )

    def post_consent(self, token: str, qr: str):
        return requests.post(
            f"{self.base}/fhir/Consent",
            json={"qr": qr},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
