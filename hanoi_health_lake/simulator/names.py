"""Pools of Vietnamese name parts and street names, built once for fast indexed lookup.

Faker's `vi_VN` providers contribute their family, middle and given names and street names; its
lists are short and its name formats put the family name last, so `data/sim_names.csv` adds
common names with rough frequencies and names are assembled family–middle–given as in Vietnam.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

from faker.providers.address.vi_VN import Provider as FakerAddress
from faker.providers.person.vi_VN import Provider as FakerPerson

from hanoi_health_lake.simulator.data_files import data_rows

_FAKER_WEIGHT = 5.0  # Faker's names carry no frequencies; give them a modest share


@dataclass(frozen=True)
class Pool:
    values: tuple[str, ...]
    cumulative: list[float]  # cumulative weights scaled to end at about 1.0

    def pick_one(self, u: float) -> str:
        """The value at uniform draw `u`."""
        return self.values[min(bisect_right(self.cumulative, u), len(self.values) - 1)]


def _pool(weights: dict[str, float]) -> Pool:
    values = tuple(sorted(weights))
    total = sum(weights.values())
    return Pool(values, list(accumulate(weights[v] / total for v in values)))


@cache
def pools() -> dict[str, Pool]:
    parts: dict[str, dict[str, float]] = {}
    for row in data_rows("sim_names.csv"):
        parts.setdefault(row["part"], {})[row["value"]] = float(row["weight"])
    faker_parts = {
        "family": FakerPerson.last_names,
        "given_male": FakerPerson.first_names_male,
        "given_female": FakerPerson.first_names_female,
    }
    for part, names in faker_parts.items():
        for name in names:
            parts[part].setdefault(name, _FAKER_WEIGHT)
    parts["street"] = {s: 1.0 for s in FakerAddress.streets}
    return {part: _pool(w) for part, w in parts.items()}
