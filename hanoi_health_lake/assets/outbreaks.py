"""The surveillance group: case counts, facility silence and reporting completeness, signals.

Each asset computes one service day at a time from the days it looks back on (outbreaks/day.py)
and replaces that day's partition of its gold Delta table; a backfill run may cover many days.
"""

import warnings
from datetime import date, timedelta

import dagster as dg
import polars as pl
from pydantic import Field

from hanoi_health_lake.lake.delta_io import write_partition
from hanoi_health_lake.outbreaks import day as steps
from hanoi_health_lake.outbreaks.settings import OutbreakSettings
from hanoi_health_lake.outbreaks.signals import BASELINE_REACH
from hanoi_health_lake.outbreaks.tables import ZONE, to_arrow
from hanoi_health_lake.partitions import service_day
from hanoi_health_lake.reference.registry import load_registry
from hanoi_health_lake.resources import LakeResource

GROUP = "surveillance"
DAYS_PER_RUN = 31
_DEFAULTS = OutbreakSettings()


class SurveillanceConfig(dg.Config):
    """Run configuration; defaults are the pipeline's (outbreaks/settings.py)."""

    window_days: int = _DEFAULTS.window_days
    primary_only: bool = _DEFAULTS.primary_only
    method: str = _DEFAULTS.method
    min_sigma: float = _DEFAULTS.min_sigma
    group_min_sigma: dict[str, float] = Field(
        default_factory=lambda: dict(_DEFAULTS.group_min_sigma)
    )
    alpha: float | None = _DEFAULTS.alpha
    silence_days: int = _DEFAULTS.silence_days
    completeness_threshold: float = _DEFAULTS.completeness_threshold
    suppress_below: int = _DEFAULTS.suppress_below

    def settings(self) -> OutbreakSettings:
        return OutbreakSettings(**self.model_dump())


def _quietly(make, *args, **kwargs):
    # Backfill policies and look-backs onto days before the first partition are marked beta;
    # multi-day backfill runs and early days without history are why we use them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return make(*args, **kwargs)


def _look_back(asset: str, days: int, end_offset: int = 0) -> dg.AssetDep:
    return dg.AssetDep(
        asset,
        partition_mapping=_quietly(
            dg.TimeWindowPartitionMapping,
            start_offset=-days,
            end_offset=end_offset,
            allow_nonexistent_upstream_partitions=True,
        ),
    )


def _days(context: dg.AssetExecutionContext) -> list[date]:
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    return [first + timedelta(days=k) for k in range((end - first).days)]


def _write(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    name: str,
    frames: dict[date, pl.DataFrame],
) -> dict:
    path = lake.table(ZONE, name)
    version = None
    for day, frame in frames.items():
        version = write_partition(path, to_arrow(name, frame), day, run_id=context.run.run_id)
    rows = sum(f.height for f in frames.values())
    return {"dagster/row_count": rows, "delta_version": version, "path": path}


_COMMON = dict(
    partitions_def=service_day, backfill_policy=dg.BackfillPolicy.multi_run(DAYS_PER_RUN)
)


@_quietly(
    dg.asset,
    **_COMMON,
    group_name=GROUP,
    kinds={"deltalake", "polars"},
    deps=[_look_back("diagnoses", _DEFAULTS.window_days)],
    tags={"zone": ZONE},
)
def case_counts(
    context: dg.AssetExecutionContext, config: SurveillanceConfig, lake: LakeResource
) -> dg.MaterializeResult:
    """New cases per disease group, day and geography (city, ward of residence), a return
    visit within the window not counted again; from silver diagnoses."""
    settings = config.settings()
    frames = {day: steps.case_counts_for(lake.lake, day, settings) for day in _days(context)}
    city = pl.concat(frames.values()).filter(pl.col("geo_level") == "city")
    by_group = city.group_by("group_id").agg(pl.col("cases").sum()).sort("group_id")
    return dg.MaterializeResult(
        metadata={
            **_write(context, lake, "case_counts", frames),
            "city_cases_by_group": dict(by_group.iter_rows()),
        }
    )


@_quietly(
    dg.multi_asset,
    **_COMMON,
    name="facility_reporting",
    specs=[
        dg.AssetSpec(
            "facility_silence",
            group_name=GROUP,
            description=(
                "Per facility expected to send encounters and day: files delivered, days in "
                "a row without any, silent flag; from bronze_files and the registry."
            ),
            kinds={"deltalake", "polars"},
            deps=[
                _look_back("bronze_files", _DEFAULTS.silence_lookback_days - 1),
                "facilities",
            ],
            tags={"zone": ZONE},
        ),
        dg.AssetSpec(
            "reporting_completeness",
            group_name=GROUP,
            description=(
                "Per day for the city and each ward: share of usual visits from facilities "
                "that reported, and whether counts there are incomplete."
            ),
            kinds={"deltalake", "polars"},
            deps=[_look_back("diagnoses", _DEFAULTS.weight_days, end_offset=-1), "facilities"],
            tags={"zone": ZONE},
        ),
    ],
)
def facility_reporting(
    context: dg.AssetExecutionContext, config: SurveillanceConfig, lake: LakeResource
):
    """Facility silence and reporting completeness of each day, kept apart from alarms."""
    settings = config.settings()
    registry = load_registry(lake.registry)
    silence, completeness = {}, {}
    for day in _days(context):
        silence[day], completeness[day] = steps.reporting_for(lake.lake, registry, day, settings)
    silent = pl.concat(silence.values()).filter(pl.col("is_silent"))
    incomplete = pl.concat(completeness.values()).filter(pl.col("is_incomplete"))
    yield dg.MaterializeResult(
        asset_key="facility_silence",
        metadata={
            **_write(context, lake, "facility_silence", silence),
            "silent_facility_days": silent.height,
        },
    )
    yield dg.MaterializeResult(
        asset_key="reporting_completeness",
        metadata={
            **_write(context, lake, "reporting_completeness", completeness),
            "incomplete_geography_days": incomplete.height,
        },
    )


@_quietly(
    dg.asset,
    **_COMMON,
    group_name=GROUP,
    kinds={"deltalake", "polars"},
    deps=[
        _look_back("case_counts", max(BASELINE_REACH.values()) + 7),
        _look_back("reporting_completeness", max(BASELINE_REACH.values())),
    ],
    tags={"zone": ZONE},
)
def outbreak_signals(
    context: dg.AssetExecutionContext, config: SurveillanceConfig, lake: LakeResource
) -> dg.MaterializeResult:
    """Observed, expected, threshold and alarm per disease group, geography and day, with
    the method and why, and whether reporting was incomplete; from case_counts."""
    settings = config.settings()
    frames = {day: steps.signals_for(lake.lake, day, settings) for day in _days(context)}
    alarms = pl.concat(frames.values()).filter(pl.col("alarm"))
    return dg.MaterializeResult(
        metadata={
            **_write(context, lake, "outbreak_signals", frames),
            "alarms": alarms.height,
            "alarms_on_incomplete_data": int(alarms["computed_on_incomplete_data"].sum()),
            "alarmed_groups": sorted(alarms["group_id"].unique().to_list()),
        }
    )


OUTBREAK_ASSETS = [case_counts, facility_reporting, outbreak_signals]
