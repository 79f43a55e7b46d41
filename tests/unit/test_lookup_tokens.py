"""Client assertions (SMART Backend Services): what buys an access token and what does not."""

from __future__ import annotations

import time

import jwt
import pytest

from hanoi_health_lake.lookup.clients import AUDIT_SCOPE, FACILITY_SCOPE, register_client
from hanoi_health_lake.lookup.keys import new_ec_key
from hanoi_health_lake.lookup.tokens import (
    ASSERTION_TYPE,
    AccessDenied,
    TokenRequestError,
    granted_scope,
    issue_access_token,
    read_access_token,
    verify_assertion,
)
from tests.lookup_support import Facility

AUD = "https://api.example.vn/auth/token"
KEY = b"k" * 32


@pytest.fixture
def world(tmp_path):
    registry = tmp_path / "registry"
    facilities = {}
    for code in ("01001", "01002"):
        private, public = new_ec_key()
        register_client(registry, f"his-{code}", code, public, FACILITY_SCOPE)
        facilities[code] = Facility(f"his-{code}", code, private)
    seen: set[tuple[str, str]] = set()

    def remember(client_id, jti, exp):
        if (client_id, jti) in seen:
            return False
        seen.add((client_id, jti))
        return True

    def verify(assertion):
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        }
        return verify_assertion(form, registry, AUD, 300, remember)

    return facilities, verify, registry


def test_a_fresh_assertion_signed_with_the_registered_key_names_its_client(world):
    facilities, verify, _ = world
    client = verify(facilities["01001"].assertion(AUD))
    assert (client.client_id, client.facility_code) == ("his-01001", "01001")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f, o: f.assertion("https://elsewhere/token"), "aud"),
        (lambda f, o: f.assertion(AUD, lifetime=-120), "expired"),
        (lambda f, o: f.assertion(AUD, lifetime=3600), "at most"),
        (lambda f, o: f.assertion(AUD, sub="his-01002"), "sub"),
        # client 01002 signs, claiming to be 01001: the registered key of 01001 does not match
        (lambda f, o: Facility("his-01001", "01001", o.private_jwk).assertion(AUD), "signature"),
        (lambda f, o: f.assertion(AUD, iss="his-09999", sub="his-09999"), "unknown client"),
        (
            lambda f, o: jwt.encode(
                {"iss": f.client_id, "sub": f.client_id, "aud": AUD, "exp": time.time() + 60,
                 "jti": "x"}, "a-shared-secret-guessed-by-someone", algorithm="HS256"),
            "alg",
        ),
    ],
)  # fmt: skip
def test_assertions_that_buy_no_token(world, make, message):
    facilities, verify, _ = world
    with pytest.raises(TokenRequestError, match=message) as refused:
        verify(make(facilities["01001"], facilities["01002"]))
    assert refused.value.status == 401 and refused.value.error == "invalid_client"


def test_an_assertion_is_good_once(world):
    facilities, verify, _ = world
    assertion = facilities["01001"].assertion(AUD)
    verify(assertion)
    with pytest.raises(TokenRequestError, match="used before"):
        verify(assertion)


def test_a_facility_cannot_ask_for_the_supervision_scope(world):
    facilities, verify, _ = world
    client = verify(facilities["01001"].assertion(AUD))
    assert granted_scope(client, "system/Patient.read") == {"system/Patient.read"}
    with pytest.raises(TokenRequestError, match="may ask for"):
        granted_scope(client, AUDIT_SCOPE)


def test_access_tokens_expire_and_name_who_held_them(world):
    facilities, verify, _ = world
    client = verify(facilities["01001"].assertion(AUD))
    token = issue_access_token(client, frozenset({FACILITY_SCOPE}), KEY, seconds=-60)
    with pytest.raises(AccessDenied, match="expired") as denied:
        read_access_token(f"Bearer {token['access_token']}", KEY)
    assert denied.value.grant.client_id == "his-01001"
    fresh = issue_access_token(client, frozenset({FACILITY_SCOPE}), KEY, seconds=300)
    grant = read_access_token(f"Bearer {fresh['access_token']}", KEY)
    assert grant.allows("Patient") and not grant.allows("AuditEvent")
    with pytest.raises(AccessDenied, match="invalid"):
        read_access_token(f"Bearer {fresh['access_token']}", b"another-key" * 4)
