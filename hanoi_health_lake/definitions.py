"""The one wiring point: every asset, check, job, schedule, sensor and resource."""

import dagster as dg

from hanoi_health_lake.assets.forecasts import (
    FORECAST_ASSETS,
    FORECAST_JOBS,
    FORECAST_SCHEDULES,
)
from hanoi_health_lake.assets.ingest import INGEST_ASSETS
from hanoi_health_lake.assets.marts import MART_ASSETS
from hanoi_health_lake.assets.outbreaks import OUTBREAK_ASSETS
from hanoi_health_lake.assets.reference import REFERENCE_ASSETS
from hanoi_health_lake.assets.reports import REPORT_ASSETS
from hanoi_health_lake.automation.jobs import BOUNDED_EXECUTOR, JOBS
from hanoi_health_lake.automation.schedules import SCHEDULES
from hanoi_health_lake.automation.sensors import SENSORS
from hanoi_health_lake.exit_guard import guard_dagster_worker
from hanoi_health_lake.resources import default_resources

# Run and step workers load this module: let them exit with their own status, not a native
# teardown's abort (exit_guard). A no-op in any other process.
guard_dagster_worker()

defs = dg.Definitions(
    assets=[
        *REFERENCE_ASSETS,
        *INGEST_ASSETS,
        *MART_ASSETS,
        *OUTBREAK_ASSETS,
        *REPORT_ASSETS,
        *FORECAST_ASSETS,
    ],
    jobs=[*JOBS, *FORECAST_JOBS],
    schedules=[*SCHEDULES, *FORECAST_SCHEDULES],
    sensors=SENSORS,
    resources=default_resources(),
    executor=BOUNDED_EXECUTOR,
)
