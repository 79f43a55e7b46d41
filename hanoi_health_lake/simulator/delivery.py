"""When a facility's exports arrive: on time, late, re-sent, or not at all.

Most exports run overnight and land before 08:00 the next morning (the SLA, DESIGN.md §6); some
run the same evening, some after 08:00, some days late — more often at less punctual facilities.
A few deliveries are corrected later (the day re-sent, some records changed, same record ids) or
sent twice (same bytes, later export_ts). Facilities go silent for stretches (silences.csv).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hanoi_health_lake.simulator.rand import poisson, rng
from hanoi_health_lake.simulator.registry import HOSPITAL_TYPES, Facility
from hanoi_health_lake.simulator.world import World

CORRECTION_SHARE = 0.02
DUPLICATE_SHARE = 0.015
_SILENCE_PER_WEEK = {"hospital": 0.03, "health_centre": 0.06, "health_station": 0.06,
                     "private_clinic": 0.08}  # fmt: skip
_SILENCE_REASONS = ("network_outage", "his_upgrade", "vendor_contract_lapsed")


def sla(day: date) -> datetime:
    """Deadline for a service day's files: 08:00 the next morning."""
    return datetime.combine(day + timedelta(days=1), time(8))


@dataclass(frozen=True)
class Silence:
    facility_code: str
    start: date
    end: date
    reason: str

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Version:
    export_ts: datetime
    kind: str  # original | correction | duplicate


def silences_for(world: World, fac: Facility) -> list[Silence]:
    """Stretches of 2–6 days within the window when a connected facility sends nothing."""
    rnd = rng(world.seed, "silence", fac.code)
    kind = "hospital" if fac.facility_type in HOSPITAL_TYPES else fac.facility_type
    n = poisson(rnd, _SILENCE_PER_WEEK[kind] * world.days / 7)
    out = []
    for _ in range(n):
        start = world.start + timedelta(days=rnd.randrange(world.days))
        end = min(start + timedelta(days=rnd.randint(1, 5)), world.dates[-1])
        reason = rnd.choice(_SILENCE_REASONS)
        if fac.is_live(start) and not any(s.covers(start) or s.covers(end) for s in out):
            out.append(Silence(fac.code, start, end, reason))
    return sorted(out, key=lambda s: s.start)


def _first_export(fac: Facility, day: date, rnd: random.Random) -> datetime:
    next_morning = datetime.combine(day + timedelta(days=1), time())
    lateness = 1.0 - fac.punctuality
    u = rnd.random()
    if u < 0.02 + 0.15 * lateness:  # days late
        return next_morning + timedelta(days=rnd.randint(1, 5), minutes=fac.export_minute)
    if u < 0.06 + 0.35 * lateness:  # after the deadline, same day
        return next_morning + timedelta(minutes=rnd.randint(8 * 60 + 1, 23 * 60))
    if u < 0.14 + 0.35 * lateness:  # end-of-day job
        return next_morning - timedelta(minutes=rnd.randint(10, 6 * 60))
    jitter = rnd.randint(-20, 20)
    return next_morning + timedelta(minutes=min(max(fac.export_minute + jitter, 5), 7 * 60 + 30))


def schedule(world: World, fac: Facility, day: date) -> dict[str, list[Version]]:
    """The versions each dataset of a (live, not silent) facility-day is delivered in."""
    rnd = rng(world.seed, "delivery", fac.code, day)
    base = _first_export(fac, day, rnd)
    out = {}
    for k, dataset in enumerate(fac.datasets):
        first = base + timedelta(minutes=2 * k, seconds=rnd.randint(0, 59))
        versions = [Version(first, "original")]
        u = rnd.random()
        if u < CORRECTION_SHARE:
            later = first + timedelta(days=rnd.randint(1, 4), minutes=rnd.randint(0, 600))
            versions.append(Version(later, "correction"))
        elif u < CORRECTION_SHARE + DUPLICATE_SHARE:
            later = first + timedelta(minutes=rnd.randint(10, 2 * 24 * 60))
            versions.append(Version(later, "duplicate"))
        out[dataset] = versions
    return out
