"""The forecast marts: daily encounters 28 days ahead (city, facility type, each hospital) and new
cases per disease group 14 days ahead (city, each ward), written by Python into the engineers'
warehouse and published to the analysts' file like every mart (sqlmodels/publish.py).

Each series gets the method `auto` chose for it, its backtest error (windows over its own last
weeks, the method chosen on the history before them) and prediction intervals. The recent
history goes along (row_kind `observed`) so a chart can draw both from one table.

Reporting gaps must not read as falling demand: a forecast whose last week of history includes
days on which the series' facilities delivered less than `completeness_threshold` of what was
expected (mart_coverage_rollup_daily; mart_coverage_daily for one hospital) is flagged
`history_incomplete`. Counts from 1 to suppress_below − 1 (seed sla_settings) are published as
NULL with `suppressed`, observed or forecast alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl

from hanoi_health_lake.forecasting.engine import backtest, choose, forecast, windows_possible
from hanoi_health_lake.forecasting.methods import AUTO, SEASON
from hanoi_health_lake.outbreaks.settings import OutbreakSettings, publication_threshold

VISITS_MART = "mart_forecast_visits"
CASES_MART = "mart_forecast_cases"
LEVELS = (80, 95)
HISTORY_SHOWN_DAYS = 56  # observed rows kept beside the forecast
FLAG_WINDOW_DAYS = 7  # the last days of history whose reporting is checked
CITY = "hanoi"  # group_value of the city in mart_coverage_rollup_daily
# Registry facility types forecast one by one as well as in total.
HOSPITAL_TYPES = ("central_hospital", "city_hospital", "private_hospital")


@dataclass(frozen=True)
class ForecastSettings:
    visits_horizon: int = 28
    cases_horizon: int = 14
    windows: int = 4  # backtest windows per series
    min_history_days: int = 42  # shorter series are left out (too little to learn a week from)
    suppress_below: int = 0  # 0: the seed's publication threshold
    completeness_threshold: float = OutbreakSettings().completeness_threshold

    def threshold(self) -> int:
        return self.suppress_below or publication_threshold()


COMMON_COLUMNS = {
    "made_on": "Last day of history the forecast rests on (the forecast origin).",
    "series_level": "city, facility_type or facility (visits); city or ward (cases).",
    "series_key": "hanoi, the facility type, the facility code, or the ward code.",
    "target_date": "The day the row is about.",
    "step": "Days after made_on (0 or less: an observed day).",
    "row_kind": "observed (history) or forecast.",
    "observed": "Count observed that day; NULL on forecast rows and when suppressed.",
    "forecast": "Point forecast (never negative); NULL on observed rows and when suppressed.",
    "lo_80": "Lower bound of the 80% prediction interval.",
    "hi_80": "Upper bound of the 80% prediction interval.",
    "lo_95": "Lower bound of the 95% prediction interval.",
    "hi_95": "Upper bound of the 95% prediction interval.",
    "method": "Forecasting method chosen for the series by backtest (statsforecast), or all-zero.",
    "backtest_windows": "Backtest windows (one horizon each) over the series' last weeks.",
    "backtest_mae": "Mean absolute error of the method on the backtest, in counts per day.",
    "backtest_mase": "MAE over the in-sample mean absolute weekly change (below 1: better than "
    "seasonal naive one step ahead).",
    "backtest_relative_mae": "MAE over the seasonal-naive forecast's MAE on the same windows.",
    "backtest_bias": "Mean of forecast minus observed on the backtest (negative: too low).",
    "backtest_coverage_80": "Share of backtest days inside the 80% interval.",
    "backtest_coverage_95": "Share of backtest days inside the 95% interval.",
    "history_incomplete": "Some of the last 7 days of history had incomplete reporting "
    "(delivered share below completeness_threshold): low recent counts may be gaps, not demand.",
    "incomplete_days": "How many of those 7 days had incomplete reporting.",
    "suppressed": "The count was from 1 to suppress_below - 1 (sla_settings) and is withheld.",
}
VISITS_COLUMNS = {
    **COMMON_COLUMNS,
    "facility_type": "Registry facility type of the series; NULL for the city.",
}
CASES_COLUMNS = {
    **COMMON_COLUMNS,
    "group_id": "Disease group (reference disease_groups).",
    "group_name_vi": "Disease group name in Vietnamese.",
    "notifiable_class": "Notifiable class (A, B, C); NULL when not notifiable.",
}
DESCRIPTIONS = {
    VISITS_MART: "Daily encounters forecast 28 days ahead for the city, each facility type and "
    "each hospital, with 80%/95% intervals, the method and its backtest error; recent history "
    "included.",
    CASES_MART: "New cases per disease group forecast 14 days ahead for the city and each ward "
    "of residence, with 80%/95% intervals, the method and its backtest error; recent history "
    "included; counts below suppress_below withheld.",
}


def _panel(frame: pl.DataFrame) -> pd.DataFrame:
    return frame.select(
        pl.col("series").alias("unique_id"), "ds", pl.col("count").cast(pl.Float64).alias("y")
    ).to_pandas()


def _dense(frame: pl.DataFrame, keys: list[str], end: date) -> pl.DataFrame:
    """Every series on every day from the first day any series has to `end`, zeros filled."""
    start = frame["service_date"].min()
    days = pl.DataFrame({"service_date": pl.date_range(start, end, "1d", eager=True)})
    grid = frame.select(keys).unique().join(days, how="cross")
    # The city has no facility type: its NULL key must match itself.
    out = grid.join(frame, on=[*keys, "service_date"], how="left", nulls_equal=True).with_columns(
        pl.col("count").fill_null(0)
    )
    return out.with_columns(
        pl.concat_str([pl.col(k).fill_null("") for k in keys], separator=":").alias("series"),
        ((pl.col("service_date") - start).dt.total_days()).alias("ds"),
    ).sort("series", "ds")


def forecast_series(
    series: pl.DataFrame, horizon: int, settings: ForecastSettings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(forecast rows, per-series backtest metrics) for a dense frame of series, ds, count.
    A series too short for one backtest window is forecast without backtest figures."""
    panel = _panel(series)
    season = SEASON["day"]
    lengths = panel.groupby("unique_id").size()
    testable = lengths[lengths.map(lambda n: windows_possible(n, horizon, season)) >= 1]
    chosen, metrics = {}, pd.DataFrame(columns=["unique_id", "method"])
    if len(testable):
        windows = min(settings.windows, windows_possible(int(testable.min()), horizon, season))
        result = backtest(
            panel[panel["unique_id"].isin(testable.index)], season, horizon, windows, [AUTO], LEVELS
        )
        chosen, metrics = result.chosen, result.metrics[result.metrics["method"] == AUTO]
    short = panel[~panel["unique_id"].isin(testable.index)]
    if not short.empty:
        chosen |= choose(short, season, horizon)
    ahead = forecast(panel, season, horizon, chosen, LEVELS)
    return pl.from_pandas(ahead), pl.from_pandas(metrics)


def _rows(
    series: pl.DataFrame,
    ahead: pl.DataFrame,
    metrics: pl.DataFrame,
    flags: pl.DataFrame,
    keys: list[str],
    made_on: date,
) -> pl.DataFrame:
    about = series.select("series", *keys).unique()
    history = series.filter(pl.col("service_date") > made_on - timedelta(HISTORY_SHOWN_DAYS))
    observed = history.select(
        "series",
        pl.col("service_date").alias("target_date"),
        (pl.col("service_date") - made_on).dt.total_days().alias("step"),
        pl.lit("observed").alias("row_kind"),
        pl.col("count").cast(pl.Float64).alias("observed"),
    )
    predicted = ahead.select(
        pl.col("unique_id").alias("series"),
        (pl.lit(made_on) + pl.duration(days=pl.col("step"))).alias("target_date"),
        pl.col("step").cast(pl.Int64),
        pl.lit("forecast").alias("row_kind"),
        "forecast", *[f"{s}_{lv}" for lv in LEVELS for s in ("lo", "hi")],
    )  # fmt: skip
    if metrics.is_empty():  # no series long enough for a backtest window
        metrics = pl.DataFrame(
            schema={"unique_id": pl.Utf8, "windows": pl.Int64}
            | {c: pl.Float64 for c in ("mae", "mase", "relative_mae", "bias")}
            | {f"coverage_{lv}": pl.Float64 for lv in LEVELS}
        )
    backtested = metrics.select(
        pl.col("unique_id").alias("series"),
        pl.col("windows").alias("backtest_windows"),
        *[pl.col(c).alias(f"backtest_{c}") for c in ("mae", "mase", "relative_mae", "bias")],
        *[pl.col(f"coverage_{lv}").alias(f"backtest_coverage_{lv}") for lv in LEVELS],
    )
    methods = ahead.select(pl.col("unique_id").alias("series"), "method").unique()
    rows = pl.concat([observed, predicted], how="diagonal_relaxed")
    return (
        rows.join(about, on="series")
        .join(methods, on="series")
        .join(backtested, on="series", how="left")
        .join(flags, on="series", how="left")
        .with_columns(
            pl.lit(made_on).alias("made_on"),
            pl.col("history_incomplete").fill_null(False),
            pl.col("incomplete_days").fill_null(0),
        )
    )


def _suppress(rows: pl.DataFrame, threshold: int) -> pl.DataFrame:
    value = pl.coalesce("observed", "forecast")
    small = (value > 0) & (value < threshold)
    bounds = [f"{s}_{lv}" for lv in LEVELS for s in ("lo", "hi")]
    return rows.with_columns(small.alias("suppressed")).with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
        for c in ["observed", "forecast", *bounds]
    )


def _flags(
    coverage: pl.DataFrame, series_of: pl.DataFrame, made_on: date, threshold: float
) -> pl.DataFrame:
    """series, history_incomplete, incomplete_days from a frame of (coverage keys, service_date,
    share) joined to the series by `series_of` (its coverage keys → series)."""
    recent = coverage.filter(
        pl.col("service_date").is_between(made_on - timedelta(FLAG_WINDOW_DAYS - 1), made_on)
    )
    keys = [c for c in series_of.columns if c != "series"]
    joined = series_of.join(recent, on=keys, how="inner")
    return joined.group_by("series").agg(
        (pl.col("share") < threshold).sum().cast(pl.Int64).alias("incomplete_days"),
        (pl.col("share") < threshold).any().alias("history_incomplete"),
    )


def _read(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or None).pl()


def visit_forecasts(con: duckdb.DuckDBPyConnection, settings: ForecastSettings) -> pl.DataFrame:
    """mart_forecast_visits from mart_facility_activity_daily and the coverage marts."""
    daily = _read(
        con,
        "select service_date, facility_code, facility_type, encounters "
        "from main.mart_facility_activity_daily",
    )
    if daily.is_empty():
        return pl.DataFrame()
    made_on = daily["service_date"].max()
    parts = [
        daily.group_by("service_date").agg(pl.sum("encounters").alias("count"))
        .with_columns(pl.lit("city").alias("series_level"), pl.lit(CITY).alias("series_key"),
                      pl.lit(None, pl.Utf8).alias("facility_type")),
        daily.filter(pl.col("facility_type").is_not_null())
        .group_by("service_date", "facility_type").agg(pl.sum("encounters").alias("count"))
        .with_columns(pl.lit("facility_type").alias("series_level"),
                      pl.col("facility_type").alias("series_key")),
        daily.filter(pl.col("facility_type").is_in(HOSPITAL_TYPES))
        .select("service_date", pl.col("encounters").alias("count"), "facility_type",
                pl.lit("facility").alias("series_level"),
                pl.col("facility_code").alias("series_key")),
    ]  # fmt: skip
    keys = ["series_level", "series_key", "facility_type"]
    series = pl.concat(parts, how="diagonal_relaxed").select("service_date", *keys, "count")
    series = _long_enough(_dense(series, keys, made_on), settings)
    ahead, metrics = forecast_series(series, settings.visits_horizon, settings)
    flags = _flags(
        _visit_coverage(con), _coverage_keys(series), made_on, settings.completeness_threshold
    )
    rows = _rows(series, ahead, metrics, flags, keys, made_on)
    return _suppress(rows, settings.threshold()).select(*VISITS_COLUMNS)


def _long_enough(series: pl.DataFrame, settings: ForecastSettings) -> pl.DataFrame:
    # A series starts at its first non-zero day: a hospital connected last month has no history
    # before it, not weeks of zeros.
    first = series.filter(pl.col("count") > 0).group_by("series").agg(pl.min("ds").alias("first"))
    kept = series.join(first, on="series", how="left").filter(
        pl.col("first").is_null() | (pl.col("ds") >= pl.col("first"))
    )
    long = (
        kept.group_by("series")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= settings.min_history_days)
    )
    return (
        kept.filter(pl.col("series").is_in(long["series"].to_list()))
        .with_columns((pl.col("ds") - pl.col("ds").min().over("series")).alias("ds"))
        .drop("first")
    )


def _coverage_keys(series: pl.DataFrame) -> pl.DataFrame:
    return series.select("series", pl.col("series_level").alias("dimension"),
                         pl.col("series_key").alias("group_value")).unique()  # fmt: skip


def _visit_coverage(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """dimension (city, facility_type, facility), group_value, service_date, share delivered."""
    groups = _read(
        con,
        "select dimension, group_value, service_date, cast(delivered_share as double) as share "
        "from main.mart_coverage_rollup_daily where dataset = 'encounters' "
        "and dimension in ('city', 'facility_type', 'ward_code')",
    )
    facilities = _read(
        con,
        "select 'facility' as dimension, facility_code as group_value, service_date, "
        "cast(case when is_delivered then 1 else 0 end as double) as share "
        "from main.mart_coverage_daily "
        "where dataset = 'encounters' and is_expected",
    )
    return pl.concat([groups, facilities])


def case_forecasts(
    con: duckdb.DuckDBPyConnection, case_counts: pl.DataFrame, settings: ForecastSettings
) -> pl.DataFrame:
    """mart_forecast_cases from the surveillance case counts (gold case_counts: new cases per
    group, day, city and ward of residence) and the coverage marts."""
    from hanoi_health_lake.reference.disease_groups import disease_groups

    if case_counts.is_empty():
        return pl.DataFrame()
    made_on = case_counts["service_date"].max()
    series = case_counts.select(
        "service_date",
        "group_id",
        pl.col("geo_level").alias("series_level"),
        pl.when(pl.col("geo_level") == "city").then(pl.lit(CITY)).otherwise("ward_code")
        .alias("series_key"),
        pl.col("cases").alias("count"),
    )  # fmt: skip
    keys = ["series_level", "series_key", "group_id"]
    series = _long_enough(_dense(series, keys, made_on), settings)
    ahead, metrics = forecast_series(series, settings.cases_horizon, settings)
    coverage = _visit_coverage(con).with_columns(pl.col("dimension").replace({"ward_code": "ward"}))
    flags = _flags(coverage, _coverage_keys(series), made_on, settings.completeness_threshold)
    groups = pl.DataFrame(
        [(g.group_id, g.name_vi, g.notifiable_class or None) for g in disease_groups()],
        schema=["group_id", "group_name_vi", "notifiable_class"],
        orient="row",
    )
    rows = _rows(series, ahead, metrics, flags, keys, made_on).join(groups, on="group_id")
    return _suppress(rows, settings.threshold()).select(*CASES_COLUMNS)


def write_mart(con: duckdb.DuckDBPyConnection, name: str, rows: pl.DataFrame) -> int:
    """Replace table `name` in the engineers' warehouse with `rows`, with its descriptions."""
    columns = VISITS_COLUMNS if name == VISITS_MART else CASES_COLUMNS
    frame = rows.to_arrow()  # noqa: F841 — read by DuckDB by name
    con.execute(f'create or replace table main."{name}" as select * from frame')
    con.execute(f"comment on table main.\"{name}\" is '{_quoted(DESCRIPTIONS[name])}'")
    for column, text in columns.items():
        con.execute(f'comment on column main."{name}"."{column}" is \'{_quoted(text)}\'')
    return rows.height


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def build_forecast_marts(
    warehouse: Path,
    case_counts: pl.DataFrame,
    settings: ForecastSettings,
    which=(VISITS_MART, CASES_MART),
) -> dict[str, pl.DataFrame]:
    """Build the asked marts in the engineers' warehouse and publish them to the analysts'."""
    from hanoi_health_lake.sqlmodels.publish import publish_marts
    from hanoi_health_lake.sqlmodels.warehouse import Warehouse

    wh = Warehouse(warehouse)
    with wh.connect(read_only=True) as con:
        built = {}
        if VISITS_MART in which:
            built[VISITS_MART] = visit_forecasts(con, settings)
        if CASES_MART in which:
            built[CASES_MART] = case_forecasts(con, case_counts, settings)
    with wh.connect() as con:
        for name, rows in built.items():
            if not rows.is_empty():
                write_mart(con, name, rows)
        publish_marts(con, wh.path, {n: {"mode": "table"} for n, r in built.items() if r.height})
    return built
