"""Years of daily counts with the simulator's patterns, in seconds and without writing a file.

Forecasting needs one or two years of history; `hhl simulate` makes every record of every file
and takes hours for that. The counts themselves follow from a few of the simulator's own
functions, used here as they are: each facility's mean visits by the weekday pattern of each
kind of care (episodes.expected_visits), the diagnosis mix moving with the seasons
(diagnoses.mix, seasons.season_factor), where people live (Population.ward_shares) and the
outbreak plan (outbreaks.plan_outbreaks). Counts are Poisson draws around those means. What is
left out: patients returning for a re-examination, and the age and specialty mix of who walks
into which facility; the means are the simulator's, the records are not.

Rows: level (city, facility_type, facility, ward), key (hanoi, a type, a facility code, a ward
code), measure (encounters, or a disease group id for cases), service_date, count, expected
(the mean the count was drawn around, outbreak cases included).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import polars as pl

from hanoi_health_lake.reference.disease_groups import disease_groups
from hanoi_health_lake.simulator import diagnoses
from hanoi_health_lake.simulator.episodes import expected_visits
from hanoi_health_lake.simulator.outbreaks import plan_outbreaks
from hanoi_health_lake.simulator.population import Population
from hanoi_health_lake.simulator.registry import HOSPITAL_TYPES, build_registry
from hanoi_health_lake.simulator.scales import SCALES
from hanoi_health_lake.simulator.seasons import season_factor
from hanoi_health_lake.simulator.world import World

CITY_KEY = "hanoi"
VISITS = "encounters"


def _weekday_means(registry, volume_factor: float, start: date) -> dict[str, np.ndarray]:
    """Facility code -> mean encounters on each weekday (Monday first): the pattern is weekly."""
    monday = start - timedelta(days=start.weekday())
    days = [monday + timedelta(days=k) for k in range(7)]
    return {
        f.code: np.array([sum(m for _, m in expected_visits(f, d, volume_factor)) for d in days])
        for f in registry
    }


def _group_shares(days: list[date]) -> dict[str, np.ndarray]:
    """Disease group -> per day, the share of outpatient diagnoses in the group (the seasonal mix
    of diagnoses.mix weighted by seasons.season_factor)."""
    rows = [d for d in diagnoses.mix() if d.setting == "outpatient"]
    groups = disease_groups()
    seasons = sorted({d.season for d in rows})
    factor = {s: np.array([season_factor(s, day) for day in days]) for s in seasons}
    total = sum(d.weight * factor[d.season] for d in rows)
    out = {}
    for g in groups:
        members = [d for d in rows if g.contains(d.code)]
        if members:
            out[g.group_id] = sum(d.weight * factor[d.season] for d in members) / total
    return out


def simulated_counts(
    scale: str = "small",
    days: int = 730,
    start: date = date(2024, 1, 1),
    seed: int = 1,
    facilities: bool = True,
    wards: bool = True,
) -> pl.DataFrame:
    """Daily counts of a simulated Hanoi: visits (city, facility type, each hospital) and cases
    per disease group (city, each ward); `facilities`/`wards` False leave those levels out."""
    sc = SCALES[scale]
    registry = build_registry(sc, seed, start)
    population = Population(sc.population, seed, start.year)
    world = World(seed, sc, start, days, 0.0, population, registry)
    dates = world.dates
    weekday = np.array([d.weekday() for d in dates])
    gen = np.random.default_rng([seed, 17])
    means = _weekday_means(registry, sc.volume_factor, start)

    frames = []
    by_type: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(days))
    mean_by_type: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(days))
    for f in registry:
        mean = means[f.code][weekday] * np.array([f.opened_date <= d for d in dates])
        mean_by_type[f.facility_type] += mean
        if f.facility_type in HOSPITAL_TYPES:
            counts = gen.poisson(mean)
            by_type[f.facility_type] += counts
            if facilities:
                frames.append(_rows("facility", f.code, VISITS, dates, counts, mean))
    for ftype, mean in sorted(mean_by_type.items()):
        # A sum of Poisson counts is Poisson: non-hospital types are drawn as one series.
        counts = by_type[ftype] if ftype in HOSPITAL_TYPES else gen.poisson(mean)
        by_type[ftype] = counts
        frames.append(_rows("facility_type", ftype, VISITS, dates, counts, mean))
    city_visits = sum(by_type.values())
    city_mean = sum(mean_by_type.values())
    frames.append(_rows("city", CITY_KEY, VISITS, dates, city_visits, city_mean))
    frames.extend(_cases(world, dates, city_mean, gen, wards))
    return pl.concat(frames)


def _cases(world: World, dates, city_mean, gen, wards: bool) -> list[pl.DataFrame]:
    shares = _group_shares(dates)
    index = {d: k for k, d in enumerate(dates)}
    ward_codes = [w.code for w in world.population.wards]
    ward_share = world.population.ward_shares()
    extra = defaultdict(lambda: np.zeros((len(ward_codes), len(dates))))
    position = world.population.ward_position
    for ob in plan_outbreaks(world):
        for day, code, n in ob.cases:
            extra[ob.group][position[code], index[day]] += n
    frames = []
    for group, share in sorted(shares.items()):
        mean = np.outer(ward_share, city_mean * share)  # ward x day
        counts = gen.poisson(mean) + extra[group]
        mean = mean + extra[group]
        frames.append(_rows("city", CITY_KEY, group, dates, counts.sum(0), mean.sum(0)))
        if wards:
            for w, code in enumerate(ward_codes):
                frames.append(_rows("ward", code, group, dates, counts[w], mean[w]))
    return frames


def _rows(level, key, measure, dates, counts, expected) -> pl.DataFrame:
    n = len(dates)
    return pl.DataFrame(
        {
            "level": [level] * n,
            "key": [key] * n,
            "measure": [measure] * n,
            "service_date": dates,
            "count": np.asarray(counts, dtype=np.int64),
            "expected": np.asarray(expected, dtype=float),
        }
    )
