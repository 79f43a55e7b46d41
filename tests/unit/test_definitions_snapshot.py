"""What the Dagster definitions expose — asset keys (group, partitioning), asset checks (blocking
or not), jobs, schedules, sensors — against a snapshot committed in tests/snapshots/, so that an
accidental rename or drop shows in review as a diff of that file.

After an intended change, refresh the snapshot and commit it with the change:

    HHL_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/test_definitions_snapshot.py
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from hanoi_health_lake.definitions import defs

SNAPSHOT = Path(__file__).parents[1] / "snapshots" / "definitions.txt"
HEADER = (
    "# Dagster definitions of hanoi_health_lake (tests/unit/test_definitions_snapshot.py).\n"
    "# Refresh: HHL_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest "
    "tests/unit/test_definitions_snapshot.py\n"
)


def _partitioning(partitions_def: dg.PartitionsDefinition | None) -> str:
    if partitions_def is None:
        return "unpartitioned"
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return f"{type(partitions_def).__name__}(cron={partitions_def.cron_schedule})"
    return type(partitions_def).__name__


def describe() -> str:
    graph = defs.resolve_asset_graph()
    lines = [HEADER]
    lines.append("[assets]  key | group | partitioning")
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        lines.append(
            f"{key.to_user_string()} | {node.group_name} | {_partitioning(node.partitions_def)}"
        )
    lines.append("\n[asset checks]  asset:check | blocking")
    checks = graph.asset_check_keys
    for check in sorted(checks, key=lambda c: (c.asset_key.to_user_string(), c.name)):
        spec = graph.get_check_spec(check)
        lines.append(f"{check.asset_key.to_user_string()}:{check.name} | {spec.blocking}")
    repository = defs.get_repository_def()
    lines.append("\n[jobs]")
    lines += sorted(j for j in repository.job_names if not j.startswith("__"))
    lines.append("\n[schedules]  name | cron | job")
    for schedule in sorted(repository.schedule_defs, key=lambda s: s.name):
        lines.append(f"{schedule.name} | {schedule.cron_schedule} | {schedule.job_name}")
    lines.append("\n[sensors]  name | default status")
    for sensor in sorted(repository.sensor_defs, key=lambda s: s.name):
        lines.append(f"{sensor.name} | {sensor.default_status.value}")
    return "\n".join(lines) + "\n"


def test_definitions_match_the_committed_snapshot():
    found = describe()
    if os.environ.get("HHL_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(found, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    assert found == expected, (
        f"the definitions differ from {SNAPSHOT}; if the change is intended, refresh it with "
        "HHL_UPDATE_SNAPSHOTS=1 (see this module's docstring) and commit the diff"
    )
