"""Key pairs for clients and the simulated VNeID, as JWKs (what a vendor's software would hold)."""

from __future__ import annotations

import json
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm


def new_ec_key() -> tuple[dict, dict]:
    """A P-384 key pair for ES384: (private JWK, public JWK) with one kid."""
    private = ec.generate_private_key(ec.SECP384R1())
    kid = uuid.uuid4().hex[:16]
    private_jwk = json.loads(ECAlgorithm.to_jwk(private)) | {"kid": kid, "alg": "ES384"}
    public_jwk = json.loads(ECAlgorithm.to_jwk(private.public_key())) | {
        "kid": kid,
        "alg": "ES384",
    }
    return private_jwk, public_jwk


def signing_key(private_jwk: dict):
    return jwt.PyJWK(private_jwk).key
