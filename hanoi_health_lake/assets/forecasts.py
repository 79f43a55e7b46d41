"""The forecasts group: patient load and disease cases ahead, rebuilt weekly after the marts.

Not partitioned: each run forecasts from the latest day the marts hold, over the whole history.
Its own job and schedule (Monday 11:00 Hanoi time, after the 09:00 ingest and the marts it
triggers), since the daily marts job holds only service-day assets (automation/jobs.py).
"""

import dagster as dg
import polars as pl

from hanoi_health_lake.assets.marts import WAREHOUSE_POOL
from hanoi_health_lake.forecasting.marts import (
    CASES_COLUMNS,
    CASES_MART,
    DESCRIPTIONS,
    VISITS_COLUMNS,
    VISITS_MART,
    ForecastSettings,
    build_forecast_marts,
)
from hanoi_health_lake.lake.delta_io import read_table, table_exists
from hanoi_health_lake.outbreaks.tables import ZONE
from hanoi_health_lake.resources import LakeResource

GROUP = "forecasts"
_DEFAULTS = ForecastSettings()


class ForecastConfig(dg.Config):
    """Run configuration; defaults are forecasting/marts.py's."""

    visits_horizon: int = _DEFAULTS.visits_horizon
    cases_horizon: int = _DEFAULTS.cases_horizon
    windows: int = _DEFAULTS.windows
    min_history_days: int = _DEFAULTS.min_history_days
    suppress_below: int = _DEFAULTS.suppress_below
    completeness_threshold: float = _DEFAULTS.completeness_threshold

    def settings(self) -> ForecastSettings:
        return ForecastSettings(**self.model_dump())


def _schema(columns: dict[str, str]) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(n, "unknown", d) for n, d in columns.items()])


def _metadata(rows: pl.DataFrame) -> dict:
    if rows.is_empty():
        return {"dagster/row_count": 0, "note": "no history in the warehouse yet"}
    ahead = rows.filter(pl.col("row_kind") == "forecast")
    keys = ["series_level", "series_key", *(["group_id"] if "group_id" in rows.columns else [])]
    series = ahead.select(keys).unique()
    methods = ahead.group_by("method").agg(pl.len()).sort("method")
    return {
        "dagster/row_count": rows.height,
        "made_on": str(rows["made_on"][0]),
        "series": series.height,
        "methods": {m: int(n) for m, n in methods.iter_rows()},
        "median_backtest_mase": float(ahead["backtest_mase"].median() or 0.0),
        "series_with_incomplete_history": int(
            ahead.filter(pl.col("history_incomplete")).select(keys).n_unique()
        ),
    }


@dg.asset(
    name=VISITS_MART,
    group_name=GROUP,
    kinds={"duckdb", "statsforecast"},
    description=DESCRIPTIONS[VISITS_MART],
    deps=["mart_facility_activity_daily", "mart_coverage_rollup_daily", "mart_coverage_daily"],
    pool=WAREHOUSE_POOL,
    metadata={"dagster/column_schema": _schema(VISITS_COLUMNS)},
)
def mart_forecast_visits(config: ForecastConfig, lake: LakeResource) -> dg.MaterializeResult:
    built = build_forecast_marts(lake.warehouse, pl.DataFrame(), config.settings(), [VISITS_MART])
    return dg.MaterializeResult(metadata=_metadata(built[VISITS_MART]))


@dg.asset(
    name=CASES_MART,
    group_name=GROUP,
    kinds={"duckdb", "statsforecast"},
    description=DESCRIPTIONS[CASES_MART],
    deps=["case_counts", "mart_coverage_rollup_daily"],
    pool=WAREHOUSE_POOL,
    metadata={"dagster/column_schema": _schema(CASES_COLUMNS)},
)
def mart_forecast_cases(config: ForecastConfig, lake: LakeResource) -> dg.MaterializeResult:
    path = lake.table(ZONE, "case_counts")
    columns = ["service_date", "group_id", "geo_level", "ward_code", "cases"]
    counts = (
        pl.from_arrow(read_table(path, None, columns)) if table_exists(path) else pl.DataFrame()
    )
    built = build_forecast_marts(lake.warehouse, counts, config.settings(), [CASES_MART])
    return dg.MaterializeResult(metadata=_metadata(built[CASES_MART]))


forecast_job = dg.define_asset_job(
    "forecast_job",
    selection=dg.AssetSelection.groups(GROUP),
    description="Weekly: forecasts of daily encounters and disease cases from the latest marts.",
    tags={"hhl/kind": "forecasts"},
)

weekly_forecast_schedule = dg.ScheduleDefinition(
    name="weekly_forecast_schedule",
    job=forecast_job,
    cron_schedule="0 11 * * 1",
    execution_timezone="Asia/Ho_Chi_Minh",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Monday 11:00 Hanoi time, after the daily ingest and marts: the forecast marts.",
)

FORECAST_ASSETS = [mart_forecast_visits, mart_forecast_cases]
FORECAST_JOBS = [forecast_job]
FORECAST_SCHEDULES = [weekly_forecast_schedule]
