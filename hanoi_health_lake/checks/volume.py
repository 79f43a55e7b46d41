"""Is a facility's volume today plausible against its own history? The marts' answer.

One rule judges a day's volume, in one place: the SQL model `int_volume_bands` (the median of
the accepted records the facility delivered on the same weekday in the previous 8 weeks, plus or
minus a multiple of their median absolute deviation, with floors; the settings are in seed
`sla_settings`). Weekday matters: a clinic's Sunday is not a short Monday, and a 28-day median
over all weekdays would flag every quiet Sunday. The asset check runs that model itself on the
lake (in memory, for the one day) instead of a second formula, so the check in Dagster and the
`completeness` column of `mart_coverage_daily` cannot disagree.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.sqlmodels.build import model_rows

VOLUME_MODEL = "int_volume_bands"
OUTSIDE_BAND = ("below_band", "above_band")
SQL_DIR = PROJECT_ROOT / "dbt_like_sql"


def volume_verdicts(lake_root: Path, service_date: date, sql_dir: Path = SQL_DIR) -> pl.DataFrame:
    """Every facility and dataset delivered on the day, with its band and `completeness`."""
    rows = model_rows(lake_root, sql_dir, VOLUME_MODEL, service_date, service_date)
    return pl.from_arrow(rows).sort("dataset", "facility_code")


def volume_outliers(
    lake_root: Path, service_date: date, dataset: str = "encounters", sql_dir: Path = SQL_DIR
) -> pl.DataFrame:
    """The facilities whose `dataset` volume of the day is below or above their band."""
    verdicts = volume_verdicts(lake_root, service_date, sql_dir)
    return verdicts.filter(
        (pl.col("dataset") == dataset) & pl.col("completeness").is_in(OUTSIDE_BAND)
    )
