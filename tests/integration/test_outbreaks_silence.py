"""Facility silence against the simulator's ground truth (silences.csv, deliveries.csv).

The delivery evidence is the landing zone as the ingest lists it (`discover`, landing names
parsed by the pipeline's own `parse_landing_path`), one row per delivered file like bronze_files.
Days are scored from the eighth on, once every facility has a week of history to judge its
habits by (reporting.py: a clinic with no patients that day may send nothing).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from hanoi_health_lake.config import landing_dir, registry_path
from hanoi_health_lake.outbreaks.reporting import facility_silence
from hanoi_health_lake.parsers.landing_paths import UnsafePathError, discover, parse_landing_path
from hanoi_health_lake.pipeline.delivered import DeliveredFile
from hanoi_health_lake.records import ParsedFile
from hanoi_health_lake.reference.registry import load_registry
from hanoi_health_lake.simulator.run import simulate
from tests.integration.lake_helpers import ground_truth

START = date(2026, 3, 1)
N_DAYS = 16
SEED = 3  # a private and a city hospital go silent in the scored days, besides some clinics
SILENCE_DAYS = 2
DAYS = [START + timedelta(days=k) for k in range(N_DAYS)]
SCORED = DAYS[7:]
ALWAYS_OPEN = ("central_hospital", "city_hospital", "private_hospital", "health_centre",
               "health_station")  # fmt: skip


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("silent-city")
    simulate(START, N_DAYS, "tiny", seed=SEED, out=home, fault_rate=0.02)
    return home


def _delivered(relpath: str) -> DeliveredFile:
    """The file as the ingest records it, without reading it (an unsafe name keeps its folder's
    facility and the dataset its prefix claims)."""
    try:
        name = parse_landing_path(relpath)
    except UnsafePathError:
        name = None
    unread = ParsedFile(path=relpath, format="unknown", size=0, sha256="")
    return DeliveredFile(unread, name, name.facility_code if name else relpath.split("/")[0])


@pytest.fixture(scope="module")
def silence(city: Path) -> pl.DataFrame:
    rows = [
        (day, f.facility_code, f.dataset, "ok")
        for day in DAYS
        for f in map(_delivered, discover(landing_dir(city), day))
    ]
    files = pl.DataFrame(
        rows, schema=["service_date", "facility_code", "dataset", "status"], orient="row"
    )
    return facility_silence(load_registry(registry_path(city)), files, SCORED, SILENCE_DAYS)


def _stretch_days(city: Path) -> pl.DataFrame:
    """(facility_code, service_date, facility_type) from the N-th day of each silent stretch."""
    rows = []
    stretches = ground_truth(city, "silences").select("facility_code", "start_date", "end_date")
    for code, start, end in stretches.iter_rows():
        day = date.fromisoformat(start) + timedelta(days=SILENCE_DAYS - 1)
        while day <= date.fromisoformat(end):
            rows.append((code, day))
            day += timedelta(days=1)
    registry = load_registry(registry_path(city)).select("facility_code", "facility_type")
    frame = pl.DataFrame(rows, schema=["facility_code", "service_date"], orient="row")
    return frame.filter(pl.col("service_date").is_in(SCORED)).join(registry, on="facility_code")


def _flagged(silence: pl.DataFrame) -> set[tuple[str, date]]:
    return set(silence.filter(pl.col("is_silent")).select("facility_code", "service_date").rows())


def test_facilities_that_always_have_patients_are_silent_exactly_when_the_simulator_said(
    city: Path, silence: pl.DataFrame
) -> None:
    truth = _stretch_days(city).filter(pl.col("facility_type").is_in(ALWAYS_OPEN))
    assert truth["facility_type"].str.contains("hospital").sum() >= 2  # not vacuous
    regular = set(truth["facility_code"])
    ours = {(code, day) for code, day in _flagged(silence) if code in regular}
    assert ours == set(truth.select("facility_code", "service_date").rows())


def test_every_silent_flag_is_a_silent_stretch_or_a_day_with_nothing_to_send(
    city: Path, silence: pl.DataFrame
) -> None:
    deliveries = ground_truth(city, "deliveries").filter(pl.col("dataset") == "encounters")
    idle = set(
        deliveries.filter(pl.col("expected") == 0)
        .select("facility_code", pl.col("service_date").str.to_date())
        .rows()
    )
    stretches = set(_stretch_days(city).select("facility_code", "service_date").rows())
    assert _flagged(silence) - stretches <= idle
    # Clinics that send only on their busy days are not taken for silent after two empty days.
    quiet = silence.filter((pl.col("days_without_delivery") >= SILENCE_DAYS) & ~pl.col("is_silent"))
    assert quiet.height > 0


def test_a_facility_that_delivered_is_not_silent(city: Path, silence: pl.DataFrame) -> None:
    delivered = ground_truth(city, "deliveries").filter(
        (pl.col("dataset") == "encounters")
        & pl.col("first_export_ts").is_not_null()
        & pl.col("service_date").str.to_date().is_in(SCORED)
    )
    rows = silence.with_columns(pl.col("service_date").cast(pl.Utf8)).join(
        delivered.select("facility_code", "service_date"), on=["facility_code", "service_date"]
    )
    assert rows.height == delivered.height > 0
    assert rows.filter(pl.col("is_silent") | (pl.col("files_delivered") == 0)).is_empty()


def test_only_facilities_expected_to_send_are_listed(city: Path, silence: pl.DataFrame) -> None:
    expected = ground_truth(city, "deliveries").filter(
        (pl.col("dataset") == "encounters")
        & (pl.col("silent") != "never_connected").fill_null(True)
        & pl.col("service_date").str.to_date().is_in(SCORED)
    )
    ours = silence.with_columns(pl.col("service_date").cast(pl.Utf8))
    assert set(ours.select("facility_code", "service_date").rows()) == set(
        expected.select("facility_code", "service_date").rows()
    )
