"""New cases per disease group and day, for the city and for each ward of residence.

A case is a patient with a diagnosis in the group. A visit is a new case unless the same patient
(patient_key, across facilities) had a diagnosis in that group on one of the `window_days` days
before it: a return visit within the window continues the episode, and each return visit extends
it. Several visits on one day are one case. So counting day D needs the diagnoses of D − window …
D only, and any day can be (re)counted on its own.

Geography is the patient's residence (`ward_code`). The city series counts every case seen by a
Hanoi facility, including residents of other provinces and patients whose ward is unknown; the
ward series count residents of each of Hanoi's 126 wards. The output is dense: a row for every
group, geography and day, with zeros, so that a missing row always means "not computed".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import polars as pl

from hanoi_health_lake.lake.catalog import polars_schema
from hanoi_health_lake.reference.disease_groups import DiseaseGroup, disease_groups
from hanoi_health_lake.reference.wards import hanoi_wards

CITY = "city"
WARD = "ward"
GEOGRAPHY_KEY = ("group_id", "geo_level", "ward_code")
CASE_SCHEMA = polars_schema("case_counts")  # declared in lake/catalog.py
DIAGNOSIS_COLUMNS = ["service_date", "patient_key", "ward_code", "icd10", "is_primary"]


def lookback_days(day: date, window_days: int) -> list[date]:
    """The days whose diagnoses decide the cases of `day`: day − window … day."""
    return [day - timedelta(days=k) for k in range(window_days, -1, -1)]


def group_lookup(
    codes: Iterable[str | None], groups: Sequence[DiseaseGroup] | None = None
) -> dict[str, list[str]]:
    """ICD-10 code → the groups it belongs to (codes in no group are left out)."""
    groups = disease_groups() if groups is None else groups
    out = {}
    for code in codes:
        if code is None:
            continue
        member = [g.group_id for g in groups if g.contains(code)]
        if member:
            out[code] = member
    return out


def new_cases(
    diagnoses: pl.DataFrame,
    window_days: int = 14,
    *,
    primary_only: bool = False,
    groups: Sequence[DiseaseGroup] | None = None,
) -> pl.DataFrame:
    """One row per (group, patient, day) that starts an episode: service_date, group_id,
    patient_key, ward_code. Needs the diagnoses of the `window_days` days before the first day
    it is asked about (see module doc); earlier days have no such look-back."""
    frame = diagnoses.select(DIAGNOSIS_COLUMNS)
    if primary_only:
        frame = frame.filter(pl.col("is_primary"))
    lookup = group_lookup(frame["icd10"].unique().to_list(), groups)
    visits = (
        frame.filter(pl.col("icd10").is_in(list(lookup)) & pl.col("patient_key").is_not_null())
        .with_columns(
            group_id=pl.col("icd10").replace_strict(
                lookup, default=None, return_dtype=pl.List(pl.Utf8)
            )
        )
        .explode("group_id")
        # One visit per patient, group and day; its ward is the first known one, so a patient
        # seen twice that day with different addresses still counts once.
        .group_by("group_id", "patient_key", "service_date")
        .agg(pl.col("ward_code").drop_nulls().min())
        .sort("group_id", "patient_key", "service_date")
    )
    previous = pl.col("service_date").shift(1).over("group_id", "patient_key")
    gap = (pl.col("service_date") - previous).dt.total_days()
    return visits.filter(previous.is_null() | (gap > window_days)).select(
        "service_date", "group_id", "patient_key", "ward_code"
    )


def count_cases(
    diagnoses: pl.DataFrame,
    days: Sequence[date],
    window_days: int = 14,
    *,
    primary_only: bool = False,
    groups: Sequence[DiseaseGroup] | None = None,
) -> pl.DataFrame:
    """Dense daily counts (CASE_SCHEMA) for `days`, from the diagnoses of those days and the
    `window_days` before the first of them."""
    groups = disease_groups() if groups is None else groups
    cases = new_cases(diagnoses, window_days, primary_only=primary_only, groups=groups).filter(
        pl.col("service_date").is_in(list(days))
    )
    city = cases.group_by("service_date", "group_id").agg(cases=pl.len().cast(pl.Int64))
    wards = (
        cases.filter(pl.col("ward_code").is_in(_ward_codes()))
        .group_by("service_date", "group_id", "ward_code")
        .agg(cases=pl.len().cast(pl.Int64))
    )
    grid = geography_grid([g.group_id for g in groups], days)
    counted = pl.concat(
        [
            city.with_columns(geo_level=pl.lit(CITY), ward_code=pl.lit(None, pl.Utf8)),
            wards.with_columns(geo_level=pl.lit(WARD)),
        ],
        how="diagonal_relaxed",
    )
    return (
        grid.join(
            counted,
            on=["service_date", *GEOGRAPHY_KEY],
            how="left",
            nulls_equal=True,
        )
        .with_columns(pl.col("cases").fill_null(0))
        .select(list(CASE_SCHEMA))
        .cast(CASE_SCHEMA)
        .sort("service_date", "group_id", "geo_level", "ward_code", nulls_last=False)
    )


def geography_grid(group_ids: Sequence[str], days: Sequence[date]) -> pl.DataFrame:
    """Every (day, group, city or ward) once."""
    places = pl.DataFrame(
        {
            "geo_level": [CITY] + [WARD] * len(_ward_codes()),
            "ward_code": [None, *_ward_codes()],
        },
        schema={"geo_level": pl.Utf8, "ward_code": pl.Utf8},
    )
    return (
        pl.DataFrame({"service_date": list(days)}, schema={"service_date": pl.Date})
        .join(
            pl.DataFrame({"group_id": list(group_ids)}, schema={"group_id": pl.Utf8}), how="cross"
        )
        .join(places, how="cross")
    )


def _ward_codes() -> list[str]:
    return [w.code for w in hanoi_wards()]
