"""The reports group: the coverage report and city dashboard of each service day, and of each
week, as HTML and Excel under HHL_HOME/reports/ (read from the DuckDB warehouse's marts)."""

import dagster as dg

from hanoi_health_lake.config import PROJECT_ROOT, TIMEZONE
from hanoi_health_lake.partitions import SERVICE_DAY_START, service_day
from hanoi_health_lake.reports import ReportFiles, day_period, week_period, write_reports
from hanoi_health_lake.reports.source import tables_read
from hanoi_health_lake.resources import LakeResource
from hanoi_health_lake.sqlmodels import load_models

# Weeks run Monday to Sunday, starting with the first Monday of the service days.
service_week = dg.WeeklyPartitionsDefinition(
    start_date=SERVICE_DAY_START, timezone=TIMEZONE, day_offset=1
)


def _mart_deps() -> list[str]:
    """The SQL models the report queries read: their asset keys are the file names."""
    models = {m.name for m in load_models(PROJECT_ROOT / "dbt_like_sql")}
    return sorted(tables_read() & models)


MART_DEPS = _mart_deps()


def _result(files: ReportFiles) -> dg.MaterializeResult:
    metadata: dict[str, object] = {
        name: dg.MetadataValue.path(str(path))
        for name, path in (
            ("coverage_html", files.coverage_html),
            ("coverage_xlsx", files.coverage_xlsx),
            ("dashboard_html", files.dashboard_html),
            ("dashboard_xlsx", files.dashboard_xlsx),
        )
    }
    metadata |= {k: v for k, v in files.headline.items() if v is not None}
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    group_name="reports",
    kinds={"html", "excel"},
    partitions_def=service_day,
    deps=MART_DEPS,
)
def coverage_report(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """The service day's facility coverage report and city dashboard, as HTML and Excel."""
    period = day_period(context.partition_time_window.start.date())
    files = write_reports(lake.root, period, warehouse=lake.warehouse)
    context.log.info(f"wrote {', '.join(str(p) for p in files.all())}")
    return _result(files)


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
    return _result(files)


REPORT_ASSETS = [coverage_report, coverage_report_weekly]
