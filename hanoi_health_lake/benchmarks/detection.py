"""`bench_detection`: how well each detection setting finds the simulator's injected outbreaks.

Several simulated cities (one per seed, since the simulator plants at most five outbreaks in a
run) are read from their landing files (encounters_landing.py: the real parsers and
conforming, no contract validation), counted and scored like the pipeline does, then every candidate
setting runs on the same counts. Scoring:

- an outbreak is detected when its own group alarms in one of its wards or in the city series
  between its start and end + 3 days; the delay is the first such alarm's day − start;
- a false alarm is a ward-level alarm on a day and ward no outbreak of a related group (one
  whose ICD-10 items hold the outbreak's code: an influenza outbreak also raises ILI and SARI)
  covers from start to end + 3; rates are per ward (126) per month (30.44 days);
- the first 14 days of each city are history only: neither outbreaks starting then nor alarms
  on them are scored.

Counts are cached per city under HHL_HOME/bench/detection (delete it to recount after a change
to counting); scoring every candidate on cached cities takes seconds.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from hanoi_health_lake.benchmarks.detection_scoring import (
    DAYS_PER_MONTH,
    City,
    recommend,
    score_city,
    scored_outbreaks,
    summarise,
)
from hanoi_health_lake.benchmarks.encounters_landing import (
    read_encounters_day,
    throwaway_pseudonymizer,
)
from hanoi_health_lake.config import ground_truth_dir, landing_dir, registry_path
from hanoi_health_lake.outbreaks.cases import count_cases
from hanoi_health_lake.outbreaks.reporting import reporting_completeness
from hanoi_health_lake.outbreaks.settings import OutbreakSettings
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from hanoi_health_lake.reference.wards import hanoi_wards

START = date(2026, 3, 1)  # after the city's phase-2 deadline: most facilities are connected

DEFAULT = OutbreakSettings()
_R_DEFAULTS = replace(DEFAULT, alpha=None, min_sigma=1.0, group_min_sigma={})


def candidate_name(settings: OutbreakSettings) -> str:
    alpha = "R default" if settings.alpha is None else f"{settings.alpha:g}"
    floors = ", ".join(f"{g} {v:g}" for g, v in sorted(settings.group_min_sigma.items()))
    return f"{settings.method} alpha {alpha} min_sigma {settings.min_sigma:g}" + (
        f" ({floors})" if floors else ""
    )


CANDIDATES: dict[str, OutbreakSettings] = {
    candidate_name(s): s
    for s in (
        DEFAULT,
        replace(DEFAULT, alpha=0.005),
        replace(DEFAULT, method="ears-c3-r", alpha=0.002, min_sigma=0.5),
        replace(DEFAULT, method="ears-c2", alpha=0.0002, min_sigma=0.5),
        replace(_R_DEFAULTS, method="ears-c1"),
        replace(_R_DEFAULTS, method="ears-c2"),
        replace(_R_DEFAULTS, method="ears-c3"),
        replace(_R_DEFAULTS, method="ears-c3-r"),
    )
}


def bench_detection(
    home: Path,
    months: int = 3,
    *,
    scale: str = "tiny",
    seeds: Sequence[int] = (1, 2, 3, 4),
    candidates: dict[str, OutbreakSettings] | None = None,
    start: date = START,
    workers: int = 2,
    keep_landing: bool = False,
) -> dict:
    """Simulate `months` at `scale` once per seed under `home`/bench/detection (reused when
    already there), then score every candidate setting; returns the figures as a dict."""
    candidates = CANDIDATES if candidates is None else candidates
    days = round(months * DAYS_PER_MONTH)
    root = Path(home) / "bench" / "detection"
    began = time.perf_counter()
    jobs = [(root, seed, start, days, scale, keep_landing) for seed in seeds]
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(min(workers, len(jobs))) as pool:
            cities = pool.starmap(prepare_city, jobs)
    else:
        cities = [prepare_city(*job) for job in jobs]
    prepared = time.perf_counter() - began
    results = {}
    for name, settings in candidates.items():
        tallies = [score_city(city, settings) for city in cities]
        results[name] = summarise(tallies, settings)
    return {
        "scale": scale,
        "months": months,
        "days_per_city": days,
        "seeds": list(seeds),
        "start": start.isoformat(),
        "source": "simulated landing files read by the real parsers and conforming "
        "(no contract validation); counts and signals computed as in the pipeline",
        "outbreaks_scored": sum(len(scored_outbreaks(c)) for c in cities),
        "outbreaks_in_burn_in": sum(len(c.outbreaks) - len(scored_outbreaks(c)) for c in cities),
        "seconds_preparing": round(prepared, 1),
        "seconds_total": round(time.perf_counter() - began, 1),
        "candidates": results,
        "recommended": recommend(results),
    }


def prepare_city(
    root: Path, seed: int, start: date, days: int, scale: str, keep_landing: bool = False
) -> City:
    """Simulate (unless done before) and count one city; counts are cached as Parquet."""
    from hanoi_health_lake.simulator.run import simulate

    home = root / f"{scale}-{start.isoformat()}-{days}d-seed{seed}"
    cached = home / "counts.parquet", home / "completeness.parquet"
    manifest_path = ground_truth_dir(home) / "manifest.json"
    dates = [start + timedelta(days=k) for k in range(days)]
    if not all(p.exists() for p in (*cached, manifest_path)):
        simulate(start, days, scale, seed=seed, out=home, replace=True)
        counts, completeness = count_landing(home, dates)
        counts.write_parquet(cached[0])
        completeness.write_parquet(cached[1])
        if not keep_landing:
            shutil.rmtree(landing_dir(home))
    outbreaks = json.loads(manifest_path.read_text(encoding="utf-8"))["outbreaks"]
    return City(seed, dates, pl.read_parquet(cached[0]), pl.read_parquet(cached[1]), outbreaks)


def count_landing(
    home: Path, dates: list[date], settings: OutbreakSettings | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Case counts and reporting completeness of every day of a simulated home."""
    settings = settings or OutbreakSettings()
    registry = load_registry(registry_path(home))
    codes = registry_codes(registry)
    pseudonymizer = throwaway_pseudonymizer()
    parts = [read_encounters_day(landing_dir(home), day, codes, pseudonymizer) for day in dates]
    diagnoses = pl.concat([d for d, _ in parts])
    deliveries = pl.concat([d for _, d in parts])
    counts = count_cases(diagnoses, dates, settings.window_days, primary_only=settings.primary_only)
    completeness = reporting_completeness(
        registry,
        deliveries,
        diagnoses.filter(pl.col("is_primary")),
        dates,
        [w.code for w in hanoi_wards()],
        weight_days=settings.weight_days,
        threshold=settings.completeness_threshold,
    )
    return counts, completeness
