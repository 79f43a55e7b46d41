"""Seeded randomness that does not depend on the order things are generated in.

Two kinds: counter-based hashes give a person's attributes straight from their index — `unit_of`
for one index in plain Python, `unit` for a numpy array of them, bit for bit the same numbers;
`rng` (stdlib Random, cheap to make and to draw from one at a time) and `generator` (numpy, for
bulk draws) give a stream for one (seed, facility, day, purpose), so facilities and days can be
generated independently and in parallel.
"""

from __future__ import annotations

import hashlib
import math
import random

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def stable_int(*parts: object) -> int:
    """A 64-bit integer from any parts; unlike hash() it is the same in every process."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


_MASK = (1 << 64) - 1


def _mix(z: int) -> int:
    """splitmix64's finaliser on a Python int (the scalar twin of `_splitmix`)."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def mixed_key(key: int) -> int:
    """Pre-mix a `stable_int` key once for `unit_of` calls."""
    return _mix(key & _MASK)


def unit_of(mixed: int, index: int) -> float:
    """A uniform float in [0, 1) for one index; equals `unit(key, [index])[0]`."""
    return (_mix(index ^ mixed) >> 11) * (1.0 / (1 << 53))


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def hash64(key: int, index: np.ndarray) -> np.ndarray:
    """uint64 hash of each index under `key` (a `stable_int`)."""
    idx = np.asarray(index, dtype=np.uint64)
    return _splitmix(idx ^ _splitmix(np.uint64(key & 0xFFFFFFFFFFFFFFFF)))


def unit(key: int, index: np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1) for each index under `key`."""
    return (hash64(key, index) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def generator(*parts: object) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([stable_int(*parts)]))


def rng(*parts: object) -> random.Random:
    return random.Random(stable_int(*parts))


def poisson(rnd: random.Random, mean: float) -> int:
    """A Poisson draw: Knuth's product method for small means, normal beyond."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rnd.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    k, p = 0, rnd.random()
    while p > limit:
        k += 1
        p *= rnd.random()
    return k


class UuidMaker:
    """Deterministic UUIDs (version-4 layout) under a fixed prefix, e.g. (seed, facility): the
    prefix is hashed once and each id only adds its own key."""

    def __init__(self, *prefix: object):
        text = "".join(f"{p}\x1f" for p in prefix)
        self._base = hashlib.blake2b(text.encode(), digest_size=16)

    def make(self, key: str) -> str:
        h = self._base.copy()
        h.update(key.encode())
        x = h.hexdigest()
        return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:]}"


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def dicom_uid(*parts: object) -> str:
    """A DICOM UID under the UUID-derived root 2.25 (PS3.5 B.2), fixed by its parts."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).digest()
    return f"2.25.{int.from_bytes(digest, 'big') >> 1}"


def base36(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, rem = divmod(value, 36)
        chars.append(_BASE36[rem])
    return "".join(reversed(chars))


def permute(value: int, modulus: int, key: int) -> int:
    """A bijection on [0, modulus): distinct inputs give distinct outputs (ids never collide)."""
    multiplier = 1_000_003  # prime, so coprime with any modulus built from 2, 3, 5 and 10
    return (value * multiplier + key) % modulus
