"""Wrong values as facilities really send them, shared by the CSV and FHIR fault writers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

# ICD-10-CM codes and over-long sub-codes: shaped like ICD-10, absent from the WHO list and the
# Vietnamese supplement (a unit test holds that none is accepted).
INVALID_ICD10 = (
    "E11.65", "I25.10", "J45.909", "M54.50", "K21.00", "N18.30", "R05.9", "J06.99", "Z00.00",
    "K59.00",
)  # fmt: skip


@dataclass(frozen=True)
class FaultContext:
    rnd: random.Random
    unregistered: tuple[str, ...]  # facility codes that are not in the registry
    seed: int

    def unregistered_code(self) -> str:
        return self.rnd.choice(self.unregistered)

    def invalid_icd10(self) -> str:
        return self.rnd.choice(INVALID_ICD10)


def citizen_id_for(citizen_id: str, female: bool, birth_year: int) -> str:
    """The same citizen id re-stamped for another sex or birth year (STANDARDS.md §2)."""
    century_sex = (birth_year // 100 - 19) * 2 + int(female)
    return f"{citizen_id[:3]}{century_sex}{birth_year % 100:02d}{citizen_id[6:]}"


def mismatched_citizen_id(citizen_id: str, rnd: random.Random) -> str:
    """A citizen id that disagrees with its holder: sex digit flipped or birth year moved."""
    digit = int(citizen_id[3])
    if rnd.random() < 0.5:
        return f"{citizen_id[:3]}{digit ^ 1}{citizen_id[4:]}"
    year = (int(citizen_id[4:6]) + rnd.randint(1, 9)) % 100
    return f"{citizen_id[:4]}{year:02d}{citizen_id[6:]}"


def later_birth_date(visit: date, rnd: random.Random) -> date:
    return date.fromordinal(visit.toordinal() + rnd.randint(1, 400))


def qd_bad_time(dt: datetime, rnd: random.Random) -> str:
    """A time in a layout other than yyyymmddHHMM."""
    return rnd.choice(
        (
            f"{dt:%Y-%m-%d %H:%M}",
            f"{dt:%d/%m/%Y %H:%M}",
            f"{dt:%d/%m/%Y}",
        )
    )


def qd_bad_date(d: date, rnd: random.Random) -> str:
    """A date in a layout other than yyyymmdd."""
    return rnd.choice((f"{d:%d/%m/%Y}", f"{d:%Y-%m-%d}"))


def fhir_bad_time(text: str, rnd: random.Random) -> str:
    """An impossible calendar date (30 February) keeping the rest, or a local layout."""
    if rnd.random() < 0.6:
        return f"{text[:4]}-02-30{text[10:]}"
    local = f"{text[8:10]}/{text[5:7]}/{text[:4]}"
    return f"{local} {text[11:16]}" if len(text) > 10 else local
