"""Hanoi's 126 wards and communes after the 2025 reform, from the `vietnam-provinces` package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, Ward

HANOI_PROVINCE_CODE = "01"


@dataclass(frozen=True)
class HanoiWard:
    code: str  # 5 digits, zero-padded, as in MAXA_CU_TRU
    name: str  # e.g. "Phường Hoàn Kiếm"
    kind: str  # "phường" (urban ward) or "xã" (commune)


@cache
def hanoi_wards() -> tuple[HanoiWard, ...]:
    """The wards in code order; the package's order is not stable across releases."""
    hanoi = next(p for p in Province.iter_all() if int(p.code) == int(HANOI_PROVINCE_CODE))
    wards = [
        HanoiWard(code=f"{int(w.code):05d}", name=w.name, kind=w.division_type.value)
        for w in Ward.iter_by_province(hanoi.code)
    ]
    return tuple(sorted(wards, key=lambda w: w.code))


def ward_codes() -> frozenset[str]:
    return frozenset(w.code for w in hanoi_wards())
