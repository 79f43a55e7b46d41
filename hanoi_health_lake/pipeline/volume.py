"""Is a facility's volume today plausible against its own recent days?

A facility that normally sends 400 encounters and today sends 12 has most likely lost part of its
export; the band is the facility's own median of the previous weeks ± a tolerance, so a small
clinic and a central hospital are judged each on its own scale.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

LOOKBACK_DAYS = 28
MIN_HISTORY_DAYS = 7
LOW_FACTOR = 0.5
HIGH_FACTOR = 2.0


def history_window(service_date: date) -> list[date]:
    return [service_date - timedelta(days=i) for i in range(1, LOOKBACK_DAYS + 1)]


def volume_outliers(today: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """`today`: facility_code, n; `history`: facility_code, service_date, n (days with data).

    Returns the facilities outside [LOW_FACTOR × median, HIGH_FACTOR × median] of their history,
    judged only where there are at least MIN_HISTORY_DAYS days of it; a facility with history
    and nothing today is an outlier too.
    """
    bands = (
        history.group_by("facility_code")
        .agg(days=pl.len(), median=pl.col("n").median())
        .filter(pl.col("days") >= MIN_HISTORY_DAYS)
    )
    return (
        bands.join(today, on="facility_code", how="left")
        .with_columns(pl.col("n").fill_null(0))
        .with_columns(low=pl.col("median") * LOW_FACTOR, high=pl.col("median") * HIGH_FACTOR)
        .filter((pl.col("n") < pl.col("low")) | (pl.col("n") > pl.col("high")))
        .sort("facility_code")
    )
