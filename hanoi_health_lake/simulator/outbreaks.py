"""Outbreaks: extra cases of one disease group in one or a few neighbouring wards over some days.

The cases are residents of those wards who visit facilities that are connected and not silent
that day — mostly the ward's own station and clinics, otherwise hospitals — so a correct pipeline
sees them as a rise in that ward's counts. Ward codes are numbered along the map, so wards with
neighbouring codes stand in for neighbouring wards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from hanoi_health_lake.reference.disease_groups import disease_groups
from hanoi_health_lake.simulator.delivery import Silence
from hanoi_health_lake.simulator.episodes import ExtraCases
from hanoi_health_lake.simulator.rand import generator
from hanoi_health_lake.simulator.registry import Facility
from hanoi_health_lake.simulator.scales import MEAN_DAILY_ENCOUNTERS
from hanoi_health_lake.simulator.seasons import season_factor
from hanoi_health_lake.simulator.world import World

# Disease group → (ICD-10 code of its cases, ages affected or None, season of the mix).
OUTBREAK_DISEASES = {
    "dengue": ("A97.0", None, "dengue"),
    "hfmd": ("B08.4", (0, 5), "hfmd"),
    "measles": ("B05.9", (0, 14), "winter"),
    "diarrhoea": ("A09", None, "summer"),
    "influenza": ("J10.1", None, "ili"),
    "chickenpox": ("B01.9", (0, 14), "winter"),
}
_SAME_WARD_WEIGHT = 8.0


@dataclass(frozen=True)
class Outbreak:
    id: str
    group: str
    icd10: str
    wards: tuple[str, ...]
    start_date: date
    end_date: date
    cases: tuple[tuple[date, str, int], ...]  # (date, ward_code, n)

    @property
    def extra_cases(self) -> int:
        return sum(n for _, _, n in self.cases)

    def manifest(self) -> dict:
        return {
            "id": self.id,
            "group": self.group,
            "icd10": self.icd10,
            "wards": list(self.wards),
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "extra_cases": self.extra_cases,
            "cases": [{"date": d.isoformat(), "ward_code": w, "n": n} for d, w, n in self.cases],
        }


def plan_outbreaks(world: World) -> list[Outbreak]:
    """One outbreak per ten simulated days (at least one from three days on)."""
    if world.days < 3:
        return []
    gen = generator(world.seed, "outbreaks")
    known = {g.group_id for g in disease_groups()}
    groups = [g for g in OUTBREAK_DISEASES if g in known]
    wards = world.population.wards
    out = []
    for k in range(min(5, max(1, round(world.days / 10)))):
        start = world.start + timedelta(days=int(gen.integers(0, world.days - 2)))
        weights = np.array([season_factor(OUTBREAK_DISEASES[g][2], start) for g in groups])
        group = groups[int(gen.choice(len(groups), p=weights / weights.sum()))]
        first = int(gen.integers(0, len(wards) - 2))
        ward_codes = tuple(w.code for w in wards[first : first + int(gen.integers(1, 4))])
        length = min(int(gen.integers(3, 8)), (world.dates[-1] - start).days + 1)
        per_day = max(2.0, gen.uniform(6, 16) * max(world.scale.volume_factor, 0.3))
        curve = np.array([(d + 1) * np.exp(-d / max(1.0, length / 2)) for d in range(length)])
        daily = gen.multinomial(int(per_day * length), curve / curve.sum())
        cases = []
        for d, n in enumerate(daily.tolist()):
            split = gen.multinomial(n, np.ones(len(ward_codes)) / len(ward_codes))
            for code, m in zip(ward_codes, split.tolist(), strict=True):
                if m:
                    cases.append((start + timedelta(days=d), code, m))
        out.append(Outbreak(f"OB{k + 1:02d}", group, OUTBREAK_DISEASES[group][0], ward_codes,
                            start, start + timedelta(days=length - 1), tuple(cases)))  # fmt: skip
    return out


def allocate(
    world: World, outbreaks: list[Outbreak], silences: dict[str, list[Silence]]
) -> dict[tuple[str, date], tuple[ExtraCases, ...]]:
    """(facility code, day) → the outbreak cases it sees."""
    ward_index = world.population.ward_position
    out: dict[tuple[str, date], list[ExtraCases]] = defaultdict(list)
    open_by_day = {
        day: [f for f in world.registry if _sees_patients(f, day, silences)] for day in world.dates
    }
    for ob in outbreaks:
        gen = generator(world.seed, "outbreak-allocation", ob.id)
        ages = OUTBREAK_DISEASES[ob.group][1]
        for day, ward_code, n in ob.cases:
            open_ = open_by_day[day]
            if not open_:
                continue
            weights = np.array([
                MEAN_DAILY_ENCOUNTERS[f.facility_type] * f.size
                * (_SAME_WARD_WEIGHT if f.ward.code == ward_code else 1.0)
                for f in open_
            ])  # fmt: skip
            counts = gen.multinomial(n, weights / weights.sum())
            for f, m in zip(open_, counts.tolist(), strict=True):
                if m:
                    out[(f.code, day)].append(ExtraCases(ward_index[ward_code], ob.icd10, m, ages))
    return {k: tuple(v) for k, v in out.items()}


def _sees_patients(f: Facility, day: date, silences: dict[str, list[Silence]]) -> bool:
    return (
        f.is_live(day)
        and f.opened_date <= day
        and not any(s.covers(day) for s in silences.get(f.code, ()))
    )
