"""Who should have reported and who did: facility silence and reporting completeness.

Kept apart from epidemic alarms: a silent facility is a data problem, not a health event.
"Silent" is this statistical verdict only; the delivery SLA counts `days_since_delivery` and
lists laggards (mart_coverage_daily, mart_laggards) by a fixed number of days.

A facility is *expected* to send encounters on a day when the registry says it is open
(opened_date), connected (go_live_date) and `encounters` is in its datasets. It is *silent* once
it has delivered no encounters file at all for `silence_days` expected days in a row (a file that
failed to parse still shows the facility is there), unless such a run is ordinary for it: a small
clinic with no patient on a day may send nothing, so a facility that delivered on a share p of
its expected days in the look-back before the run is silent only when (1 − p)^run falls below
`silence_chance` (5%). A hospital that always sends is silent after `silence_days`; a clinic that
sends one day in three only after about eight. With fewer than a week of days before the run to
go by (a new lake, a new connection), `silence_days` alone decides. Days are service days: a
file for day D that has not arrived yet counts as not delivered until it does and the day is
rerun.

Completeness of a geography (the city or a ward of residence) on a day is the share of its
residents' usual visits that come from facilities that delivered a readable encounters file
that day, where "usual" is each facility's part of the geography's primary diagnoses over the
`weight_days` before. Weighing by volume matters: a silent central hospital hides far more cases
than a silent private clinic, and the patients of a ward go to facilities outside it. Where the
geography has no visits in that window the share falls back to the count of facilities located
in it (delivered / expected). Below the threshold, the geography's counts are incomplete: a low
count there does not mean few cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from hanoi_health_lake.lake.catalog import polars_schema
from hanoi_health_lake.outbreaks.cases import CITY, WARD
from hanoi_health_lake.parsers.landing_paths import DOSSIER

ENCOUNTERS = "encounters"
# A QĐ 130 XML dossier carries the encounters (XML1) with the rest of each episode: a delivery of
# encounters like an encounters file (the marts' int_deliveries_daily counts it the same way).
ENCOUNTER_FILES = (ENCOUNTERS, DOSSIER)
MIN_RATE_DAYS = 7  # days of history before a facility's own delivery rate is trusted
DELIVERY_COLUMNS = ["service_date", "facility_code", "dataset", "status"]
SILENCE_SCHEMA = polars_schema("facility_silence")  # declared in lake/catalog.py
COMPLETENESS_SCHEMA = polars_schema("reporting_completeness")


def days_back(day: date, n: int) -> list[date]:
    """The n days ending with `day`, oldest first."""
    return [day - timedelta(days=k) for k in range(n - 1, -1, -1)]


def expected_grid(registry: pl.DataFrame, days: Sequence[date]) -> pl.DataFrame:
    """(service_date, facility_code, facility_type, ward_code) for each facility expected to
    send encounters on each day."""
    calendar = pl.DataFrame({"service_date": list(days)}, schema={"service_date": pl.Date})
    facilities = registry.filter(pl.col("datasets").list.contains(ENCOUNTERS)).select(
        "facility_code", "facility_type", "ward_code", "opened_date", "go_live_date"
    )
    return (
        calendar.join(facilities, how="cross")
        .filter(
            pl.col("go_live_date").is_not_null()
            & (pl.col("go_live_date") <= pl.col("service_date"))
            & (pl.col("opened_date").is_null() | (pl.col("opened_date") <= pl.col("service_date")))
        )
        .select("service_date", "facility_code", "facility_type", "ward_code")
    )


def delivery_facts(deliveries: pl.DataFrame) -> pl.DataFrame:
    """Encounters files (and XML dossiers) per facility and day (bronze_files rows): delivered
    and readable."""
    return (
        deliveries.filter(pl.col("dataset").is_in(ENCOUNTER_FILES))
        .group_by("service_date", "facility_code")
        .agg(
            files_delivered=pl.len().cast(pl.Int64),
            files_readable=(pl.col("status") == "ok").sum().cast(pl.Int64),
        )
    )


def facility_silence(
    registry: pl.DataFrame,
    deliveries: pl.DataFrame,
    days: Sequence[date],
    silence_days: int = 2,
    lookback_days: int = 28,
    silence_chance: float = 0.05,
) -> pl.DataFrame:
    """One row per expected facility and day of `days` (SILENCE_SCHEMA).

    `deliveries` needs the bronze_files rows (any dataset) of `days` and the `lookback_days` − 1
    days before them. `days_without_delivery` counts expected days in a row without any
    encounters file, up to `lookback_days`; a day without a single file from any facility is
    taken as not ingested and ends the count. See the module doc for `is_silent`.
    """
    first = min(days) - timedelta(days=lookback_days - 1)
    span = [first + timedelta(days=k) for k in range((max(days) - first).days + 1)]
    grid = expected_grid(registry, span).join(
        delivery_facts(deliveries), on=["service_date", "facility_code"], how="left"
    )
    grid = grid.with_columns(pl.col("files_delivered", "files_readable").fill_null(0))
    ingested = deliveries["service_date"].unique().to_list()
    per_facility = "facility_code"
    all_days = (
        pl.DataFrame({"service_date": span}, schema={"service_date": pl.Date})
        .join(grid.select(per_facility).unique(), how="cross")
        .join(grid, on=["service_date", per_facility], how="left")
        .sort(per_facility, "service_date")
        .with_columns(
            counted=pl.col("facility_type").is_not_null() & pl.col("service_date").is_in(ingested),
            delivered=pl.col("files_delivered").fill_null(0) > 0,
        )
        .with_columns(
            # Running totals of counted days and of counted days with a delivery, so that any
            # stretch of days can be summed by difference.
            seen=pl.col("counted").cum_sum().over(per_facility),
            sent=(pl.col("counted") & pl.col("delivered")).cum_sum().over(per_facility),
        )
    )
    # The last day up to each day that ends a silence: a delivery, or a day that says nothing
    # about the facility (not expected, or not ingested).
    broke = ~pl.col("counted") | pl.col("delivered")
    last_break = (
        pl.when(broke)
        .then(pl.col("service_date"))
        .otherwise(None)
        .forward_fill()
        .over(per_facility, order_by="service_date")
        .fill_null(first - timedelta(days=1))
    )
    rows = all_days.with_columns(
        last_break=last_break,
        window_start=pl.col("service_date") - pl.duration(days=lookback_days),
    ).with_columns(
        days_without_delivery=(pl.col("service_date") - pl.col("last_break"))
        .dt.total_days()
        .clip(upper_bound=lookback_days)
    )
    totals = all_days.select(per_facility, "service_date", "seen", "sent")
    rows = (
        rows.filter(
            pl.col("service_date").is_in(list(days)) & pl.col("facility_type").is_not_null()
        )
        .join(_at(totals, "last_break", "run"), on=[per_facility, "last_break"], how="left")
        .join(_at(totals, "window_start", "window"), on=[per_facility, "window_start"], how="left")
        .with_columns(pl.col("^(seen|sent)_(run|window)$").fill_null(0))
        .with_columns(
            history=pl.col("seen_run") - pl.col("seen_window"),
            history_sent=pl.col("sent_run") - pl.col("sent_window"),
        )
    )
    rate = pl.when(pl.col("history") >= MIN_RATE_DAYS).then(
        pl.col("history_sent") / pl.col("history")
    )
    chance = (1 - pl.col("delivery_rate")).pow(pl.col("days_without_delivery"))
    return (
        rows.with_columns(delivery_rate=rate)
        .with_columns(
            silent_since=pl.when(pl.col("days_without_delivery") > 0).then(
                pl.col("service_date") - pl.duration(days=pl.col("days_without_delivery") - 1)
            ),
            is_silent=(pl.col("days_without_delivery") >= silence_days)
            & (chance < silence_chance).fill_null(True),
        )
        .select(list(SILENCE_SCHEMA))
        .cast(SILENCE_SCHEMA)
        .sort("service_date", per_facility)
    )


def _at(totals: pl.DataFrame, day_column: str, suffix: str) -> pl.DataFrame:
    """The running totals as of each day, keyed by `day_column` (for a join)."""
    return totals.rename(
        {"service_date": day_column, "seen": f"seen_{suffix}", "sent": f"sent_{suffix}"}
    )


def reporting_completeness(
    registry: pl.DataFrame,
    deliveries: pl.DataFrame,
    visits: pl.DataFrame,
    days: Sequence[date],
    ward_codes: Sequence[str],
    *,
    weight_days: int = 28,
    threshold: float = 0.8,
) -> pl.DataFrame:
    """One row per day of `days` for the city and each ward (COMPLETENESS_SCHEMA).

    `deliveries`: bronze_files rows of `days`; `visits`: service_date, facility_code, ward_code
    of primary diagnoses over the `weight_days` before each day (see module doc).
    """
    today = expected_grid(registry, days).join(
        delivery_facts(deliveries), on=["service_date", "facility_code"], how="left"
    )
    today = today.with_columns(reporting=pl.col("files_readable").fill_null(0) > 0)
    wards = pl.DataFrame({"ward_code": list(ward_codes)}, schema={"ward_code": pl.Utf8})
    calendar = pl.DataFrame({"service_date": list(days)}, schema={"service_date": pl.Date})
    places = pl.concat(
        [
            calendar.with_columns(geo_level=pl.lit(CITY), ward_code=pl.lit(None, pl.Utf8)),
            calendar.join(wards, how="cross").with_columns(geo_level=pl.lit(WARD)),
        ],
        how="diagonal_relaxed",
    )
    by_location = _facility_shares(today)
    by_volume = _volume_shares(today, _weights(visits, days, weight_days))
    key = ["service_date", "geo_level", "ward_code"]
    return (
        places.join(by_location, on=key, how="left", nulls_equal=True)
        .join(by_volume, on=key, how="left", nulls_equal=True)
        .with_columns(pl.col("expected_facilities", "reporting_facilities").fill_null(0))
        .with_columns(reporting_share=pl.coalesce("volume_share", "facility_share"))
        .with_columns(is_incomplete=(pl.col("reporting_share") < threshold).fill_null(False))
        .select(list(COMPLETENESS_SCHEMA))
        .cast(COMPLETENESS_SCHEMA)
        .sort("service_date", "geo_level", "ward_code", nulls_last=False)
    )


def _facility_shares(today: pl.DataFrame) -> pl.DataFrame:
    counts = [
        pl.len().cast(pl.Int64).alias("expected_facilities"),
        pl.col("reporting").sum().cast(pl.Int64).alias("reporting_facilities"),
    ]
    city = (
        today.group_by("service_date")
        .agg(counts)
        .with_columns(geo_level=pl.lit(CITY), ward_code=pl.lit(None, pl.Utf8))
    )
    ward = (
        today.group_by("service_date", "ward_code").agg(counts).with_columns(geo_level=pl.lit(WARD))
    )
    return pl.concat([city, ward], how="diagonal_relaxed").with_columns(
        facility_share=pl.col("reporting_facilities") / pl.col("expected_facilities")
    )


def _weights(visits: pl.DataFrame, days: Sequence[date], weight_days: int) -> pl.DataFrame:
    """(service_date, geo_level, ward_code, facility_code, weight): visits of the geography's
    residents to the facility over the `weight_days` before each day."""
    parts = []
    for day in days:
        window = visits.filter(
            pl.col("service_date").is_between(day - timedelta(days=weight_days), day, closed="left")
        )
        city = (
            window.group_by("facility_code")
            .agg(weight=pl.len())
            .with_columns(geo_level=pl.lit(CITY), ward_code=pl.lit(None, pl.Utf8))
        )
        ward = (
            window.filter(pl.col("ward_code").is_not_null())
            .group_by("ward_code", "facility_code")
            .agg(weight=pl.len())
            .with_columns(geo_level=pl.lit(WARD))
        )
        parts.append(
            pl.concat([city, ward], how="diagonal_relaxed").with_columns(service_date=pl.lit(day))
        )
    schema = {"facility_code": pl.Utf8, "weight": pl.UInt32, "geo_level": pl.Utf8,
              "ward_code": pl.Utf8, "service_date": pl.Date}  # fmt: skip
    return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame(schema=schema)


def _volume_shares(today: pl.DataFrame, weights: pl.DataFrame) -> pl.DataFrame:
    # Only facilities expected that day weigh: one not yet connected was never in the counts.
    joined = weights.join(
        today.select("service_date", "facility_code", "reporting"),
        on=["service_date", "facility_code"],
        how="inner",
    )
    return joined.group_by("service_date", "geo_level", "ward_code").agg(
        volume_share=pl.col("weight").filter(pl.col("reporting")).sum().cast(pl.Float64)
        / pl.col("weight").sum()
    )
