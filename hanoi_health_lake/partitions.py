"""The one partitioning of the warehouse: the service day, in Hanoi's time zone.

Facility is a column, never a partition dimension (Dagster keeps an asset under ~100k partitions).
"""

import dagster as dg

from hanoi_health_lake.config import TIMEZONE

SERVICE_DAY_START = "2025-01-01"

service_day = dg.DailyPartitionsDefinition(start_date=SERVICE_DAY_START, timezone=TIMEZONE)
