"""The simulator's data files (`hanoi_health_lake/data/sim_*.csv`), read once each."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def data_rows(name: str) -> tuple[dict[str, str], ...]:
    path = resources.files("hanoi_health_lake.data").joinpath(name)
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))
