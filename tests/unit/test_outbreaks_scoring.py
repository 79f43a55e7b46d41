"""Scoring of the detection benchmark on hand-made counts with known outbreaks and spikes."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from hanoi_health_lake.benchmarks.detection_scoring import City, recommend, score_city, summarise
from hanoi_health_lake.outbreaks.reporting import COMPLETENESS_SCHEMA
from hanoi_health_lake.outbreaks.settings import OutbreakSettings
from hanoi_health_lake.reference.wards import hanoi_wards

D0 = date(2026, 3, 1)
N_DAYS = 45
X, Y = hanoi_wards()[10].code, hanoi_wards()[20].code
SETTINGS = OutbreakSettings(method="ears-c2", min_sigma=1.0, group_min_sigma={})


def day(k: int) -> date:
    return D0 + timedelta(days=k)


def series(spikes: dict[int, int], base: int = 0) -> list[int]:
    return [spikes.get(k, base + (k % 3 == 0)) for k in range(N_DAYS)]


def city() -> City:
    counts = {
        ("measles", None): series({22: 9, 23: 12}, base=1),
        ("measles", X): series({22: 6, 23: 8}),  # the outbreak, seen from its second day
        ("measles", Y): series({35: 7}),  # nothing happened in Y: a false alarm
        ("ili", X): series({21: 9, 40: 9}, base=4),  # day 21 explained by the flu outbreak
        ("influenza", X): series({}),
    }
    rows = [
        (day(k), group, "city" if ward is None else "ward", ward, n)
        for (group, ward), values in counts.items()
        for k, n in enumerate(values)
    ]
    frame = pl.DataFrame(
        rows,
        schema={"service_date": pl.Date, "group_id": pl.Utf8, "geo_level": pl.Utf8,
                "ward_code": pl.Utf8, "cases": pl.Int64},
        orient="row",
    )  # fmt: skip
    outbreaks = [
        {"id": "OB01", "group": "measles", "icd10": "B05.9", "wards": [X],
         "start_date": day(21).isoformat(), "end_date": day(24).isoformat(), "extra_cases": 25},
        {"id": "OB02", "group": "influenza", "icd10": "J10.1", "wards": [X],
         "start_date": day(20).isoformat(), "end_date": day(22).isoformat(), "extra_cases": 6},
        {"id": "OB03", "group": "measles", "icd10": "B05.9", "wards": [Y],
         "start_date": day(3).isoformat(), "end_date": day(5).isoformat(), "extra_cases": 30},
    ]  # fmt: skip
    days = [day(k) for k in range(N_DAYS)]
    return City(1, days, frame, pl.DataFrame(schema=COMPLETENESS_SCHEMA), outbreaks)


@pytest.fixture(scope="module")
def tallies() -> dict:
    return score_city(city(), SETTINGS)


def test_outbreaks_are_scored_after_the_burn_in_with_their_delay(tallies: dict) -> None:
    found = {d["id"]: d["delay_days"] for d in tallies["detections"]}
    assert found == {"OB01": 1, "OB02": None}  # OB03 starts in the burn-in: not scored


def test_false_alarms_are_alarms_no_related_outbreak_explains(tallies: dict) -> None:
    assert tallies["false_alarms"] == {
        "measles": {"ward": 1, "flagged": 0},
        "ili": {"ward": 1, "flagged": 0},
    }


def test_summary_rates_and_goals() -> None:
    summary = summarise([score_city(city(), SETTINGS)], SETTINGS)
    months = (N_DAYS - 14) / 30.44
    measles = summary["per_group"]["measles"]
    assert (measles["outbreaks"], measles["detected"], measles["median_delay_days"]) == (1, 1, 1)
    assert measles["false_alarms_per_ward_month"] == pytest.approx(
        1 / (len(hanoi_wards()) * months), abs=1e-4
    )
    overall = summary["overall"]
    assert (overall["big_outbreaks"], overall["big_detected_within_3_days"]) == (1, 1)
    assert overall["sensitivity"] == 0.5
    quiet = OutbreakSettings(method="ears-c2", min_sigma=50.0)
    missed = summarise([score_city(city(), quiet)], quiet)
    assert missed["overall"]["detected"] == 0
    assert recommend({"sensitive": summary, "blind": missed}) == "sensitive"
