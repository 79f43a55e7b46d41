"""Everything shared by all facilities of one simulation run, built once before any day is made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from hanoi_health_lake.simulator.population import Population
from hanoi_health_lake.simulator.rand import rng
from hanoi_health_lake.simulator.registry import Facility, unregistered_codes
from hanoi_health_lake.simulator.scales import Scale

LEVEL_RANK = {"initial": 0, "basic": 1, "specialised": 2}


@dataclass(frozen=True)
class Choice:
    """Facility codes with cumulative weights, to draw from with one uniform number."""

    codes: tuple[str, ...]
    cumulative: np.ndarray

    def pick(self, u: float) -> str:
        i = int(np.searchsorted(self.cumulative, u, side="right"))
        return self.codes[min(i, len(self.codes) - 1)]


def _choice(facilities: list[Facility]) -> Choice:
    w = np.array([f.size for f in facilities], dtype=float)
    return Choice(tuple(f.code for f in facilities), np.cumsum(w) / w.sum())


@dataclass
class World:
    seed: int
    scale: Scale
    start: date
    days: int
    fault_rate: float
    population: Population
    registry: list[Facility]
    by_level: dict[str, Choice] = field(init=False)
    primary_care: Choice = field(init=False)
    unregistered: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.by_level = {
            level: _choice([f for f in self.registry if f.level == level]) for level in LEVEL_RANK
        }
        self.primary_care = _choice(
            [f for f in self.registry if f.facility_type in ("health_station", "health_centre")]
        )
        rnd = rng(self.seed, "unregistered")
        self.unregistered = tuple(unregistered_codes(self.registry, rnd, 64))

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=d) for d in range(self.days)]
