"""Which files and records of a delivery get which fault.

Each file of a delivery is rejected whole with probability `rate` (a kind that fits its format);
otherwise each record gets a record-level fault with probability `rate`, at most one per record.
`duplicate_record_id` takes two records at once. Which kinds fit which dataset follows what the
record carries: person faults only where the person travels with the record (encounters), a
referral target only in referrals, a quantity only in drug lines. FHIR referrals carry no fault
on their times, as only `authoredOn` holds one and its canonical meaning is not fixed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hanoi_health_lake.faults import FAULT_KINDS

_COMMON = ("duplicate_record_id", "missing_required_field")
RECORD_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("csv", "encounters"): (
        *_COMMON, "bad_date_format", "birth_after_visit", "discharge_before_admission",
        "invalid_icd10", "citizen_id_mismatch", "unknown_facility_code",
    ),
    ("csv", "prescriptions"): (*_COMMON, "bad_date_format", "negative_quantity"),
    ("csv", "referrals"): (
        *_COMMON, "bad_date_format", "invalid_icd10", "unknown_facility_code",
        "unknown_referral_target",
    ),
    ("csv", "appointments"): (
        *_COMMON, "bad_date_format", "invalid_icd10", "unknown_facility_code",
    ),
    ("fhir", "encounters"): (
        *_COMMON, "bad_date_format", "birth_after_visit", "discharge_before_admission",
        "invalid_icd10", "citizen_id_mismatch", "unknown_facility_code",
    ),
    ("fhir", "prescriptions"): (*_COMMON, "bad_date_format", "negative_quantity"),
    ("fhir", "referrals"): (*_COMMON, "invalid_icd10", "unknown_referral_target"),
    ("fhir", "appointments"): (*_COMMON, "bad_date_format", "invalid_icd10"),
}  # fmt: skip


# In a QĐ 130 XML dossier MA_LK ties an episode's tables: a copied MA_LK (the record id of XML1
# and XML2 rows) would make the whole file an xml.episode_mismatch instead of one record's fault.
_XML_UNFIT = {"encounters": ("duplicate_record_id",), "prescriptions": ("duplicate_record_id",)}


def record_kinds(fmt: str, dataset: str) -> tuple[str, ...]:
    if fmt == "qd130_xml":  # the rows are the CSV's, so are their faults
        unfit = _XML_UNFIT.get(dataset, ())
        return tuple(k for k in RECORD_KINDS.get(("csv", dataset), ()) if k not in unfit)
    family = "csv" if fmt == "csv" else "fhir"
    kinds = RECORD_KINDS.get((family, dataset), ())
    return (*kinds, "malformed_record") if fmt == "fhir_ndjson" and kinds else kinds


def file_kinds(fmt: str) -> tuple[str, ...]:
    return tuple(k.kind for k in FAULT_KINDS if k.level == "file" and fmt in k.formats)


@dataclass
class FaultPlan:
    rate: float
    rnd: random.Random
    enabled: bool = True
    # record index → partner index, for duplicate_record_id pairs
    partners: dict[int, int] = field(default_factory=dict)

    def file_fault(self, fmt: str, exclude: tuple[str, ...] = ()) -> str | None:
        """`exclude`: kinds that cannot happen to this file (a signature fault where the
        facility's policy only reports it)."""
        if not self.enabled or self.rnd.random() >= self.rate:
            return None
        return self.rnd.choice([k for k in file_kinds(fmt) if k not in exclude])

    def record_faults(self, fmt: str, dataset: str, n: int) -> dict[int, str]:
        """Record index → fault kind for a file of `n` records."""
        kinds = record_kinds(fmt, dataset)
        chosen: dict[int, str] = {}
        self.partners = {}
        if not self.enabled or not kinds:
            return chosen
        for i in range(n):
            if i in chosen or self.rnd.random() >= self.rate:
                continue
            kind = self.rnd.choice(kinds)
            if kind == "duplicate_record_id":
                free = [j for j in range(n) if j != i and j not in chosen]
                if not free:
                    continue
                j = self.rnd.choice(free)
                chosen[j] = kind
                self.partners[j] = i
            chosen[i] = kind
        return chosen
