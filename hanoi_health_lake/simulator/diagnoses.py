"""Which ICD-10 code an episode gets: a weighted mix by setting, age band, sex and specialty.

The mix lives in `data/sim_icd10_mix.csv` (every code accepted by reference/icd10.is_accepted;
a unit test holds that). A specialty facility draws most of its diagnoses from its own specialty.
Weights move with the season (seasons.py); outbreaks add cases on top (outbreaks.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np

from hanoi_health_lake.simulator.data_files import data_rows
from hanoi_health_lake.simulator.seasons import season_factor

SETTINGS = ("outpatient", "inpatient", "emergency")
SPECIALTY_SHARE = 0.7  # of a specialty facility's diagnoses drawn from its own specialty


@dataclass(frozen=True)
class Diagnosis:
    code: str
    name_vi: str
    setting: str
    age: str  # child | adult | elderly | any
    sex: str  # any | female | male
    weight: float
    season: str
    chronic: bool
    specialty: str
    imaging: str  # modality a study of it usually uses, or "none"


def age_band(age: int) -> str:
    return "child" if age < 16 else ("elderly" if age >= 60 else "adult")


@cache
def mix() -> tuple[Diagnosis, ...]:
    return tuple(
        Diagnosis(
            code=r["code"],
            name_vi=r["name_vi"],
            setting=r["setting"],
            age=r["age"],
            sex=r["sex"],
            weight=float(r["weight"]),
            season=r["season"],
            chronic=r["chronic"] == "1",
            specialty=r["specialty"],
            imaging=r["imaging"],
        )
        for r in data_rows("sim_icd10_mix.csv")
    )


def _age_weight(row_age: str, band: str) -> float:
    if row_age == "any" or row_age == band:
        return 1.0
    if row_age == "adult":
        return 1.0 if band == "elderly" else 0.0
    if row_age == "elderly":
        return 0.3 if band == "adult" else 0.0
    return 0.0


@cache
def _cumulative(day: date, setting: str, band: str, sex: str, specialty: str) -> np.ndarray:
    """Cumulative probabilities over mix() for one kind of patient on one day."""
    w = np.array(
        [
            d.weight
            * season_factor(d.season, day)
            * _age_weight(d.age, band)
            * (d.sex in ("any", sex))
            * (d.setting == setting)
            * (specialty == "" or d.specialty == specialty)
            for d in mix()
        ]
    )
    if w.sum() == 0:
        return np.zeros(0)
    return np.cumsum(w) / w.sum()


def draw(
    rnd: random.Random,
    day: date,
    setting: str,
    band: str,
    sex: str,
    specialty: str,
) -> Diagnosis:
    """One primary diagnosis; a specialty facility mostly stays within its specialty."""
    cumulative = np.zeros(0)
    if specialty not in ("", "general") and rnd.random() < SPECIALTY_SHARE:
        cumulative = _cumulative(day, setting, band, sex, specialty)
    if cumulative.size == 0:
        cumulative = _cumulative(day, setting, band, sex, "")
    if cumulative.size == 0:  # e.g. no row for this band in this setting: any age will do
        cumulative = _cumulative(day, setting, "adult", sex, "")
    i = int(np.searchsorted(cumulative, rnd.random(), side="right"))
    return mix()[min(i, len(mix()) - 1)]


@cache
def _chronic_pool(band: str, sex: str) -> tuple[tuple[str, ...], np.ndarray]:
    rows = [
        d for d in mix()
        if d.chronic and d.setting == "outpatient" and _age_weight(d.age, band) > 0
        and d.sex in ("any", sex)
    ]  # fmt: skip
    w = np.array([d.weight for d in rows])
    return tuple(d.code for d in rows), np.cumsum(w) / w.sum()


def comorbidities(rnd: random.Random, band: str, sex: str, primary: str) -> list[str]:
    """0–3 chronic secondary codes (MA_BENH_KT), more of them in older patients."""
    chance = {"child": 0.03, "adult": 0.2, "elderly": 0.6}[band]
    if rnd.random() >= chance:
        return []
    codes, cumulative = _chronic_pool(band if band != "child" else "adult", sex)
    picked: list[str] = []
    for u in [rnd.random() for _ in range(rnd.randint(1, 3))]:
        code = codes[min(int(np.searchsorted(cumulative, u, side="right")), len(codes) - 1)]
        if code != primary and code not in picked:
            picked.append(code)
    return picked
