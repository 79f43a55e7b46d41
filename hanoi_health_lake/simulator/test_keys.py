"""Simulator test keys: a test CA and one signing certificate per dossier-sending facility.

SIMULATOR TEST KEYS — made at simulate time, never real, never committed. They are derived from
the simulation seed (seeded primes, fixed validity and serial numbers), so the same arguments
give byte-identical certificates and signatures in any process; only the certificates are
written (`registry/certificates/<code>.pem`), the private keys stay in memory.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from hanoi_health_lake.simulator.rand import rng

LABEL = "Simulator test key - not real (hhl simulate)"
_VALID = (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
_SMALL_PRIMES = [p for p in range(3, 5000) if all(p % d for d in range(2, int(p**0.5) + 1))]
_SMALL_PRODUCT = math.prod(_SMALL_PRIMES)  # one gcd sieves a candidate by all of them
_E = 65537


@dataclass(frozen=True)
class Identity:
    key_pem: bytes
    cert_pem: bytes


def _probably_prime(n: int, rnd: random.Random, rounds: int = 12) -> bool:
    """Miller–Rabin with seeded bases (a simulator key needs no stronger guarantee)."""
    if math.gcd(n, _SMALL_PRODUCT) != 1:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(rnd.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rnd: random.Random, bits: int) -> int:
    while True:
        candidate = rnd.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % _E and _probably_prime(candidate, rnd):
            return candidate


def _rsa_key(rnd: random.Random, bits: int = 2048) -> rsa.RSAPrivateKey:
    p, q = _prime(rnd, bits // 2), _prime(rnd, bits // 2)
    while p == q:
        q = _prime(rnd, bits // 2)
    d = pow(_E, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(_E, p * q),
    )  # fmt: skip
    return numbers.private_key()


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, LABEL),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])  # fmt: skip


def _certificate(subject: str, key, issuer_name: x509.Name, issuer_key, serial: int, ca: bool):
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(_VALID[0])
        .not_valid_after(_VALID[1])
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def facility_identities(seed: int, codes: list[str]) -> dict[str, Identity]:
    """A test CA and, under it, one identity per facility code, all derived from `seed`."""
    ca_key = _rsa_key(rng(seed, "test-ca"))
    ca_name = _name("Hanoi HIS Simulator Test CA")
    out = {}
    for serial, code in enumerate(sorted(codes), start=2):
        key = _rsa_key(rng(seed, "test-key", code))
        cert = _certificate(f"Co so KCB {code} (test)", key, ca_name, ca_key, serial, ca=False)
        out[code] = Identity(
            key_pem=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        )
    return out
