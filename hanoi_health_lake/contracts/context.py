"""What a validation needs besides the frame: the reference sets lookup rules compare against."""

from __future__ import annotations

from dataclasses import dataclass, field

from hanoi_health_lake.contracts.audit_schedule import EVERY_TIME, AuditSchedule
from hanoi_health_lake.reference.wards import ward_codes


@dataclass(frozen=True)
class ValidationContext:
    registry_codes: frozenset[str]  # facility codes in the registry (reference.registry)
    ward_codes: frozenset[str] = field(default_factory=ward_codes)  # Hanoi's 126 wards
    audits: AuditSchedule = EVERY_TIME  # when GX re-judges a sample (contracts.audit_schedule)
