"""The one wiring point: every asset, check, job, schedule, sensor and resource."""

import dagster as dg

from hanoi_health_lake.assets.ingest import INGEST_ASSETS
from hanoi_health_lake.assets.marts import MART_ASSETS
from hanoi_health_lake.assets.outbreaks import OUTBREAK_ASSETS
from hanoi_health_lake.assets.reference import REFERENCE_ASSETS
from hanoi_health_lake.assets.reports import REPORT_ASSETS
from hanoi_health_lake.automation.jobs import BOUNDED_EXECUTOR, JOBS
from hanoi_health_lake.automation.schedules import SCHEDULES
from hanoi_health_lake.automation.sensors import SENSORS
from hanoi_health_lake.resources import default_resources

defs = dg.Definitions(
    assets=[*REFERENCE_ASSETS, *INGEST_ASSETS, *MART_ASSETS, *OUTBREAK_ASSETS, *REPORT_ASSETS],
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources=default_resources(),
    executor=BOUNDED_EXECUTOR,
)
