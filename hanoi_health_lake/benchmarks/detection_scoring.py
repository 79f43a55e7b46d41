"""Scoring detection against injected outbreaks (see detection.py for the rules in words)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from hanoi_health_lake.outbreaks.cases import CITY, WARD
from hanoi_health_lake.outbreaks.settings import OutbreakSettings
from hanoi_health_lake.outbreaks.signals import compute_signals
from hanoi_health_lake.reference.disease_groups import groups_for
from hanoi_health_lake.reference.wards import hanoi_wards

BURN_IN_DAYS = 14
GRACE_DAYS = 3  # an alarm up to end + 3 days still belongs to the outbreak
BIG_OUTBREAK_CASES = 20
DETECT_WITHIN_DAYS = 3
DAYS_PER_MONTH = 30.44


@dataclass
class City:
    """One simulated city, counted: what the scoring needs."""

    seed: int
    days: list[date]
    counts: pl.DataFrame
    completeness: pl.DataFrame
    outbreaks: list[dict]


def scored_outbreaks(city: City) -> list[dict]:
    first = city.days[0] + timedelta(days=BURN_IN_DAYS)
    return [o for o in city.outbreaks if date.fromisoformat(o["start_date"]) >= first]


def score_city(city: City, settings: OutbreakSettings) -> dict:
    """Raw tallies of one city under one setting (summed over cities by `summarise`)."""
    scored_days = city.days[BURN_IN_DAYS:]
    signals = compute_signals(city.counts, scored_days, settings, city.completeness)
    alarms = signals.filter(pl.col("alarm")).select(
        "service_date", "group_id", "geo_level", "ward_code", "computed_on_incomplete_data"
    )
    detections = [_detection(o, alarms) for o in scored_outbreaks(city)]
    windows = [(set(groups_for(o["icd10"])), set(o["wards"]), *_window(o)) for o in city.outbreaks]
    false_alarms: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in alarms.iter_rows(named=True):
        explained = any(
            row["group_id"] in groups
            and (row["geo_level"] == CITY or row["ward_code"] in wards)
            and first <= row["service_date"] <= last
            for groups, wards, first, last in windows
        )
        if not explained:
            tally = false_alarms[row["group_id"]]
            tally[row["geo_level"]] += 1
            tally["flagged"] += int(row["computed_on_incomplete_data"])
    return {
        "months": len(scored_days) / DAYS_PER_MONTH,
        "detections": detections,
        "false_alarms": {g: dict(t) for g, t in false_alarms.items()},
        "groups": sorted(signals["group_id"].unique().to_list()),
    }


def _window(outbreak: dict) -> tuple[date, date]:
    end = date.fromisoformat(outbreak["end_date"]) + timedelta(days=GRACE_DAYS)
    return date.fromisoformat(outbreak["start_date"]), end


def _detection(outbreak: dict, alarms: pl.DataFrame) -> dict:
    first, last = _window(outbreak)
    hits = alarms.filter(
        (pl.col("group_id") == outbreak["group"])
        & ((pl.col("geo_level") == CITY) | pl.col("ward_code").is_in(outbreak["wards"]))
        & pl.col("service_date").is_between(first, last)
    )
    delay = (hits["service_date"].min() - first).days if hits.height else None
    return {
        "id": outbreak["id"],
        "group": outbreak["group"],
        "extra_cases": outbreak["extra_cases"],
        "delay_days": delay,
    }


def summarise(tallies: list[dict], settings: OutbreakSettings) -> dict:
    months = sum(t["months"] for t in tallies)
    ward_months = months * len(hanoi_wards())
    detections = [d for t in tallies for d in t["detections"]]
    groups = sorted({g for t in tallies for g in t["groups"]})
    per_group = {}
    for group in groups:
        mine = [d for d in detections if d["group"] == group]
        false = [t["false_alarms"].get(group, {}) for t in tallies]
        per_group[group] = {
            **_detection_figures(mine),
            "false_alarms_per_ward_month": round(
                sum(f.get(WARD, 0) for f in false) / ward_months, 4
            ),
            "city_false_alarms_per_month": round(sum(f.get(CITY, 0) for f in false) / months, 3),
        }
    big = [d for d in detections if d["extra_cases"] >= BIG_OUTBREAK_CASES]
    ward_false = sum(f.get(WARD, 0) for t in tallies for f in t["false_alarms"].values())
    flagged = sum(f.get("flagged", 0) for t in tallies for f in t["false_alarms"].values())
    all_false = ward_false + sum(
        f.get(CITY, 0) for t in tallies for f in t["false_alarms"].values()
    )
    return {
        "method": settings.method,
        "alpha": settings.alpha,
        "min_sigma": settings.min_sigma,
        "group_min_sigma": settings.group_min_sigma,
        "overall": {
            **_detection_figures(detections),
            "big_outbreaks": len(big),
            "big_detected_within_3_days": sum(
                1
                for d in big
                if d["delay_days"] is not None and d["delay_days"] <= DETECT_WITHIN_DAYS
            ),
            "false_alarms_per_ward_month_all_groups": round(ward_false / ward_months, 4),
            "false_alarms_per_ward_month_worst_group": max(
                (g["false_alarms_per_ward_month"] for g in per_group.values()), default=0.0
            ),
            "city_false_alarms_per_month_all_groups": round(
                sum(g["city_false_alarms_per_month"] for g in per_group.values()), 3
            ),
            "false_alarms_flagged_incomplete_share": round(flagged / all_false, 3)
            if all_false
            else None,
        },
        "per_group": per_group,
        "outbreaks": detections,
    }


def _detection_figures(detections: list[dict]) -> dict:
    delays = [d["delay_days"] for d in detections if d["delay_days"] is not None]
    return {
        "outbreaks": len(detections),
        "detected": len(delays),
        "sensitivity": round(len(delays) / len(detections), 3) if detections else None,
        "median_delay_days": statistics.median(delays) if delays else None,
    }


def recommend(results: dict[str, dict]) -> str | None:
    """Of the settings meeting both goals (every big outbreak within 3 days; < 1 false alarm per
    ward-month in every group), the one with the fewest ward false alarms: past the goals, alarm
    fatigue costs more than finding one more small cluster. If none meets them, the most
    sensitive."""

    def meets(r: dict) -> bool:
        o = r["overall"]
        return (
            o["big_detected_within_3_days"] == o["big_outbreaks"]
            and o["false_alarms_per_ward_month_worst_group"] < 1
        )

    if not results:
        return None
    passing = [name for name, r in results.items() if meets(r)]
    if passing:
        return min(
            passing,
            key=lambda n: (
                results[n]["overall"]["false_alarms_per_ward_month_all_groups"],
                -(results[n]["overall"]["sensitivity"] or 0),
            ),
        )
    return max(results, key=lambda n: results[n]["overall"]["sensitivity"] or 0)
