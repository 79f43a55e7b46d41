"""The one wiring point: every asset, check, job, schedule, sensor and resource."""

import warnings

import dagster as dg

from hanoi_health_lake.assets.forecasts import (
    FORECAST_ASSETS,
    FORECAST_JOBS,
    FORECAST_SCHEDULES,
)
from hanoi_health_lake.assets.health_book import HEALTH_BOOK_ASSETS
from hanoi_health_lake.assets.ingest import INGEST_ASSETS
from hanoi_health_lake.assets.lookup import LOOKUP_ASSETS
from hanoi_health_lake.assets.marts import MART_ASSETS, MARTS_REFRESHED
from hanoi_health_lake.assets.outbreaks import OUTBREAK_ASSETS
from hanoi_health_lake.assets.reference import REFERENCE_ASSETS
from hanoi_health_lake.assets.reports import REPORT_ASSETS
from hanoi_health_lake.automation.jobs import BOUNDED_EXECUTOR, JOBS
from hanoi_health_lake.automation.lookup_chain import LOOKUP_JOBS, LOOKUP_SENSORS
from hanoi_health_lake.automation.realtime import (
    REALTIME_JOBS,
    REALTIME_SCHEDULES,
    REALTIME_SENSORS,
)
from hanoi_health_lake.automation.schedules import SCHEDULES
from hanoi_health_lake.automation.sensors import SENSORS
from hanoi_health_lake.exit_guard import guard_dagster_worker
from hanoi_health_lake.resources import default_resources

# Run and step workers load this module: let them exit with their own status, not a native
# teardown's abort (exit_guard). A no-op in any other process.
guard_dagster_worker()

# Dagster copies each sensor when it binds resources to the jobs sensors target, passing its own
# beta `owners` parameter, and warns about that on every command; none of our sensors sets it.
warnings.filterwarnings("ignore", message="Parameter `owners`", category=dg.BetaWarning)


def build_defs(resources: dict[str, dg.ConfigurableResource] | None = None) -> dg.Definitions:
    """The definitions with `resources` in place of the defaults bound to the environment (as a
    code location loads them); `hhl run` passes its home and key, the rest stay as they are."""
    return dg.Definitions(
        assets=[
            *REFERENCE_ASSETS,
            *INGEST_ASSETS,
            *HEALTH_BOOK_ASSETS,
            *MART_ASSETS,
            MARTS_REFRESHED,
            *OUTBREAK_ASSETS,
            *REPORT_ASSETS,
            *LOOKUP_ASSETS,
            *FORECAST_ASSETS,
        ],
        jobs=[*JOBS, *LOOKUP_JOBS, *REALTIME_JOBS, *FORECAST_JOBS],
        schedules=[*SCHEDULES, *REALTIME_SCHEDULES, *FORECAST_SCHEDULES],
        sensors=[*SENSORS, *LOOKUP_SENSORS, *REALTIME_SENSORS],
        resources={**default_resources(), **(resources or {})},
        executor=BOUNDED_EXECUTOR,
    )


defs = build_defs()
