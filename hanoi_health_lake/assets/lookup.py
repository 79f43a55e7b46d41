"""The look-up API's assets: the serving store loaded after each health-book feed, and the
Department's mart of look-ups with its check for unusual volumes (docs/lookup-api.md)."""

import warnings
from datetime import date, timedelta

import dagster as dg

from hanoi_health_lake.lookup import activity
from hanoi_health_lake.lookup.loader import LoadCounts
from hanoi_health_lake.lookup.serving import load_into, outbox_day_exists
from hanoi_health_lake.lookup.store import connect
from hanoi_health_lake.partitions import service_day
from hanoi_health_lake.resources import LakeResource, LookupStoreResource

GROUP = "lookup"
DAYS_PER_RUN = 31


def _days(context: dg.AssetExecutionContext) -> list[str]:
    window = context.partition_key_range
    start, end = date.fromisoformat(window.start), date.fromisoformat(window.end)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def _load_serving_store(
    context: dg.AssetExecutionContext, lake: LakeResource, lookup_store: LookupStoreResource
) -> dg.MaterializeResult:
    total = LoadCounts()
    conn = connect(lookup_store.dsn)
    try:
        for day in _days(context):
            if not outbox_day_exists(lake.root, day):
                context.log.info(f"{day}: no health-book feed to load")
                continue
            counts = load_into(conn, lake.root, day, lookup_store.hasher())
            context.log.info(f"{day}: {counts.as_metadata()}")
            for name, value in counts.as_metadata().items():
                setattr(total, name, getattr(total, name) + value)
    finally:
        conn.close()
    return dg.MaterializeResult(metadata=total.as_metadata())


# The backfill policy parameter is marked beta; ranges of days per run are why it is used.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    lookup_serving_store = dg.asset(
        name="lookup_serving_store",
        group_name=GROUP,
        partitions_def=service_day,
        backfill_policy=dg.BackfillPolicy.multi_run(DAYS_PER_RUN),
        deps=["health_book_feed"],  # the same service day's feed (the outbox folder)
        kinds={"postgres"},
        description=(
            "The health-book documents of the day in the look-up API's PostgreSQL serving store "
            "(HHL_LOOKUP_DSN), keyed by a keyed hash of the citizen id: a higher versionId "
            "replaces a document, a withdrawn one leaves nothing served, a re-run changes nothing."
        ),
    )(_load_serving_store)


@dg.asset(
    name="lookup_activity",
    group_name=GROUP,
    kinds={"postgres"},
    deps=["lookup_serving_store"],
    description=(
        "For the Department: look-ups per facility and day (allowed, distinct citizens), "
        "refusals and break-glass use, from the API's audit table (lookup.activity_daily)."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "lookup_volume_usual",
            asset="lookup_activity",
            description=(
                f"No facility-day with more than max({activity.MIN_FLAGGED}, "
                f"{activity.FACTOR:g} × its {activity.BASELINE_DAYS}-day median) look-ups, "
                f"or more than {activity.MAX_BREAK_GLASS} break-glass look-ups."
            ),
        )
    ],
)
def lookup_activity(context: dg.AssetExecutionContext, lookup_store: LookupStoreResource):
    conn = connect(lookup_store.dsn)
    try:
        rows = activity.build(conn)
        flagged = activity.unusual(conn)
    finally:
        conn.close()
    yield dg.MaterializeResult(metadata={"dagster/row_count": rows})
    yield dg.AssetCheckResult(
        check_name="lookup_volume_usual",
        passed=not flagged,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unusual": len(flagged),
            "facility_days": dg.MetadataValue.md(
                "\n".join(f"- {u.day} {u.facility_code}: {u.why}" for u in flagged[:50]) or "none"
            ),
        },
    )


LOOKUP_ASSETS = [lookup_serving_store, lookup_activity]
