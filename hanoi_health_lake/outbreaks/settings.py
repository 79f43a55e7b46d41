"""The knobs of the surveillance pipeline, in one place, with the defaults the benchmark chose."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.surveillance import METHODS

AUTO = "auto"  # the method `choose_method` picks for the history length
SLA_SETTINGS = PROJECT_ROOT / "dbt_like_sql" / "seeds" / "sla_settings.csv"


@cache
def publication_threshold() -> int:
    """Counts of people below this are withheld: `suppress_below` of seed sla_settings, the one
    home of the number the marts (int_settings) and the surveillance signals both use."""
    with SLA_SETTINGS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["setting"] == "suppress_below":
                return int(row["value"])
    raise KeyError(f"{SLA_SETTINGS}: suppress_below is missing")


@dataclass(frozen=True)
class OutbreakSettings:
    # A return visit within this many days of the patient's previous visit for the same group
    # is not a new case.
    window_days: int = 14
    # Count only the main diagnosis (True) or any diagnosis of the encounter (False).
    primary_only: bool = False
    # "auto" or a name from surveillance.METHODS (e.g. "ears-c2"). The default won the detection
    # benchmark (benchmarks/detection.py): with 5 years of history, "auto" would move to Noufaily.
    method: str = "ears-c3"
    # EARS floor on the baseline standard deviation; most ward series are mostly zeros, where a
    # zero spread would make a single case an alarm.
    min_sigma: float = 0.75
    # Per-group floors. The syndromic proxies (influenza-like illness, severe acute respiratory
    # infection) have several cases a ward a day and a strong weekday rhythm, so a 7-day sample
    # spread understates their day-to-day noise; a specific disease's outbreak alarms in its own
    # group.
    group_min_sigma: dict[str, float] = field(default_factory=lambda: {"ili": 2.0, "sari": 2.0})
    # EARS alpha; None keeps R's (C1/C2 0.001, C3 0.025). C3's 0.025 raised about four times the
    # false alarms of 0.001 in the benchmark for little gain. Farrington methods keep their 0.05.
    alpha: float | None = 0.001
    # A facility expected to send encounters that has delivered none for this many days is silent.
    silence_days: int = 2
    # How far back the silence count looks (a longer silence is reported as at least this).
    silence_lookback_days: int = 28
    # Days of past visits used to weigh each facility's part in a ward's usual counts.
    weight_days: int = 28
    # A geography whose reporting share is below this has its signals flagged incomplete.
    completeness_threshold: float = 0.8
    # Ward-level counts from 1 to suppress_below - 1 are withheld from publication (the seed's).
    suppress_below: int = field(default_factory=publication_threshold)

    def __post_init__(self) -> None:
        if self.window_days < 0:
            raise ValueError(f"window_days must be >= 0, got {self.window_days}")
        if self.method != AUTO and self.method not in METHODS:
            raise ValueError(
                f"unknown method {self.method!r}; choose {AUTO} or one of {', '.join(METHODS)}"
            )
        for name, floor in {"min_sigma": self.min_sigma, **self.group_min_sigma}.items():
            if floor < 0:
                raise ValueError(f"min_sigma must be >= 0, got {floor} for {name}")
        if self.silence_days < 1 or self.silence_lookback_days < self.silence_days:
            raise ValueError(
                "silence_days must be >= 1 and silence_lookback_days >= silence_days, got "
                f"{self.silence_days} and {self.silence_lookback_days}"
            )
        if not 0 <= self.completeness_threshold <= 1:
            raise ValueError(
                f"completeness_threshold must be in [0, 1], got {self.completeness_threshold}"
            )
