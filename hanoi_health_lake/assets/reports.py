"""The reports group: the coverage report and city dashboard of each service day, and of each
week, as HTML and Excel under HHL_HOME/reports/ (read from the DuckDB warehouse's marts)."""

import os
import warnings
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from hanoi_health_lake.assets.marts import BACKFILL_DAYS_PER_RUN, MART_ASSETS
from hanoi_health_lake.config import TIMEZONE, setting
from hanoi_health_lake.partitions import SERVICE_DAY_START, service_day
from hanoi_health_lake.reports import Period, ReportFiles, day_period, week_period, write_reports
from hanoi_health_lake.reports.source import tables_read
from hanoi_health_lake.resources import LakeResource

# Weeks run Monday to Sunday, starting with the first Monday of the service days.
service_week = dg.WeeklyPartitionsDefinition(
    start_date=SERVICE_DAY_START, timezone=TIMEZONE, day_offset=1
)


def _mart_deps() -> list[str]:
    """The SQL models the report queries read: their asset keys are the file names. Taken from
    the mart assets, not by parsing every model again (sqlglot; in every Dagster process)."""
    models = {key.path[-1] for asset in MART_ASSETS for key in asset.keys}
    return sorted(tables_read() & models)


MART_DEPS = _mart_deps()


def report_metadata(files: ReportFiles) -> dict[str, object]:
    """What a report's materialisation records: where its files are and the headline figures.
    The assets and `hhl report` both record this, so either way leaves the same trace."""
    metadata: dict[str, object] = {
        name: dg.MetadataValue.path(str(path))
        for name, path in (
            ("coverage_html", files.coverage_html),
            ("coverage_xlsx", files.coverage_xlsx),
            ("dashboard_html", files.dashboard_html),
            ("dashboard_xlsx", files.dashboard_xlsx),
        )
    }
    return metadata | {k: v for k, v in files.headline.items() if v is not None}


def report_materialization(
    period: Period, files: ReportFiles, by: str = "hhl report"
) -> dg.AssetMaterialization:
    """The materialisation of the report asset and partition that `period` is, for a report
    written outside a Dagster run (`hhl report`)."""
    weekly = period.start != period.end
    return dg.AssetMaterialization(
        asset_key=coverage_report_weekly.key if weekly else coverage_report.key,
        partition=period.start.isoformat(),
        description=f"written by `{by}`",
        metadata={**report_metadata(files), "written_by": by},
    )


def record_report(home: Path, period: Period, files: ReportFiles, by: str = "hhl report") -> None:
    """Record a report written outside Dagster (`hhl report`, `hhl demo`) as a materialisation
    of its asset on the instance under `home`, so the UI shows it as if the asset had run."""
    from hanoi_health_lake.instance import open_instance

    before = setting("DAGSTER_HOME") or None  # open_instance sets it; a caller keeps its own
    try:
        with open_instance(home) as instance:
            instance.report_runless_asset_event(report_materialization(period, files, by))
    finally:
        if before is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = before


def _service_days(context: dg.AssetExecutionContext) -> list[date]:
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    return [first + timedelta(days=k) for k in range((end - first).days)]


# The backfill policy parameter is marked beta; ranges per run are why it is used.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)

    @dg.asset(
        group_name="reports",
        kinds={"html", "excel"},
        partitions_def=service_day,
        deps=MART_DEPS,
        # Ranges of days per run, as the marts it reads, so both share one job (automation/jobs.py).
        backfill_policy=dg.BackfillPolicy.multi_run(BACKFILL_DAYS_PER_RUN),
    )
    def coverage_report(
        context: dg.AssetExecutionContext, lake: LakeResource
    ) -> dg.MaterializeResult:
        """The service day's facility coverage report and city dashboard, as HTML and Excel."""
        days = _service_days(context)
        for day in days:
            files = write_reports(lake.root, day_period(day), warehouse=lake.warehouse)
            context.log.info(f"wrote {', '.join(str(p) for p in files.all())}")
        metadata = report_metadata(files)  # the last day's; a one-day run is the usual case
        if len(days) > 1:
            metadata["days_written"] = f"{days[0]} … {days[-1]}"
        return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    group_name="reports",
    kinds={"html", "excel"},
    partitions_def=service_week,
    deps=[coverage_report, *MART_DEPS],
)
def coverage_report_weekly(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    """The week's (Monday to Sunday) coverage report and city dashboard, as HTML and Excel."""
    period = week_period(context.partition_time_window.start.date())
    files = write_reports(lake.root, period, warehouse=lake.warehouse)
    context.log.info(f"wrote {', '.join(str(p) for p in files.all())}")
    return dg.MaterializeResult(metadata=report_metadata(files))


REPORT_ASSETS = [coverage_report, coverage_report_weekly]
