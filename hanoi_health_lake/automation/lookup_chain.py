"""After each successful ingest of a day (which writes that day's health-book feed), load the
feed into the look-up API's serving store and rebuild the Department's look-up mart.

Its own job because the serving store is optional: a deployment without the look-up API sets
no HHL_LOOKUP_DSN, and the sensor then skips instead of failing runs.
"""

import dagster as dg

from hanoi_health_lake.automation.after_ingest import after_ingest_sensor
from hanoi_health_lake.config import setting
from hanoi_health_lake.lookup.settings import DSN_ENV

lookup_job = dg.define_asset_job(
    "lookup_job",
    selection=dg.AssetSelection.groups("lookup"),
    description=(
        "Load one service day's health-book feed into the look-up API's PostgreSQL serving "
        "store, then rebuild the look-up mart and its volume check."
    ),
    tags={"hhl/kind": "lookup"},
)


lookup_after_ingest_sensor = after_ingest_sensor(
    "lookup_after_ingest_sensor",
    lookup_job,
    description=(
        "When an ingest of a day succeeds (its health-book feed written), loads that day into "
        "the look-up API's serving store; skips where HHL_LOOKUP_DSN is not set."
    ),
    key_prefix="lookup",
    skip=lambda run: (
        None if setting(DSN_ENV) else f"{DSN_ENV} is not set: no look-up API serving store to load"
    ),
)


LOOKUP_JOBS = [lookup_job]
LOOKUP_SENSORS = [lookup_after_ingest_sensor]
