"""Jobs the daemon launches, selected by asset group so new marts and reports join by themselves.

One job holds one backfill policy. The ingest reads one service day per run (its partition
window's start), so it keeps Dagster's default of one partition per run; the marts, signals and
the daily report build ranges of up to 31 days per run. A job mixing the two makes Dagster fall
back to one day per run and warn about it on every load of the code location, so they are two
jobs: `ingest_job`, then `marts_job` for the same days (the daily schedule chains them with
`marts_after_ingest_sensor`; `hhl run` runs one after the other).
"""

import dagster as dg

from hanoi_health_lake.partitions import service_day

INGEST_GROUPS = ("bronze", "silver", "health_book")  # the feed follows its day (24-hour rule)
MARTS_GROUPS = ("reference", "marts", "surveillance", "reports")

# The multiprocess executor starts one process per core by default; a run holds one service day,
# and several runs share the machine, so two processes per run is the ceiling.
MAX_PROCESSES_PER_RUN = 2


@dg.executor(
    name="bounded_multiprocess_executor",
    requirements=dg.multiple_process_executor_requirements(),
)
def BOUNDED_EXECUTOR(init_context: dg.InitExecutorContext) -> dg.Executor:
    """Each step in its own process (at most two at once), except in a run that only builds the
    warehouse: every model writes the one DuckDB file under a pool of one, so its steps run one
    after another anyway, and a process per step only adds an interpreter start and the code
    location's import (~5 s of CPU each, forty-odd steps per marts run) to every step."""
    # Dagster's own builders of its two stock executors (private API; dagster is pinned in
    # constraints.txt): each mode behaves exactly as the stock executor with this config.
    from dagster._core.definitions.executor_definition import (
        _core_in_process_executor_creation,
        _core_multiprocess_executor_creation,
    )

    retries = {"retries": {"enabled": {}}}
    if _builds_only_the_warehouse(init_context.job.get_definition()):
        return _core_in_process_executor_creation(retries)
    return _core_multiprocess_executor_creation(
        {**retries, "max_concurrent": MAX_PROCESSES_PER_RUN}
    )


def _builds_only_the_warehouse(job: dg.JobDefinition) -> bool:
    layer = job.asset_layer
    keys = layer.selected_asset_keys
    return bool(keys) and all(layer.get(key).group_name in MARTS_GROUPS for key in keys)


class ServiceDaySelection(dg.AssetSelection):
    """The assets of some groups that are partitioned by service day or not at all.

    One job holds one partitioning; a group that gains, say, a weekly report must not stop the
    whole code location from loading, so such assets are left to a schedule of their own.
    """

    def __init__(self, *groups: str) -> None:
        self.groups = groups

    def resolve_inner(self, asset_graph, allow_missing: bool) -> set[dg.AssetKey]:
        keys = dg.AssetSelection.groups(*self.groups).resolve_inner(asset_graph, allow_missing)
        return {key for key in keys if asset_graph.get(key).partitions_def in (None, service_day)}

    def to_selection_str(self) -> str:
        return " or ".join(f'group:"{g}"' for g in self.groups)


ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=ServiceDaySelection(*INGEST_GROUPS),
    description=(
        "Ingest one service day: landing files → bronze, quarantine, silver, the restricted "
        "identities and the citizens' health-book feed."
    ),
    tags={"hhl/kind": "ingest"},
)

marts_job = dg.define_asset_job(
    "marts_job",
    selection=ServiceDaySelection(*MARTS_GROUPS),
    description=(
        "After the ingest of the same days: reference data, the DuckDB marts, the surveillance "
        "signals and the day's coverage report (up to 31 days per run in a backfill)."
    ),
    tags={"hhl/kind": "marts"},
)

JOBS = [ingest_job, marts_job]
