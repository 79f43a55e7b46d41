"""What changed of one service day of a lake table between two versions, read from its Delta log:
the facilities whose rows were replaced, so that a marts refresh copies only their rows into the
warehouse (sqlmodels/warehouse.py) instead of the whole day.

A commit that replaces facilities' rows of a day (`delta_io.write_facility_slices`: an arrival
batch) names them in its commit info (`hhlFacilities`, beside `partition`); no other row of the
day changes. Any other commit that changes the day's files — a whole-day overwrite, a delete, a
commit of another engine — does not say what it changed, and the day is then copied whole, as
is a day whose log is no longer there to read (cleaned up after a checkpoint). Commits of other
days change nothing of it, nor do files rewritten without a change of data (compaction:
`dataChange` false) or commits of no file at all (vacuum's).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from hanoi_health_lake.lake.catalog import PARTITION_COLUMN

FACILITIES_KEY = "hhlFacilities"
DAY_KEY = "partition"
_FILE_ACTIONS = ("add", "remove", "cdc")
_TABLE_ACTIONS = ("metaData", "protocol")  # a schema or protocol change: not by facility


def facilities_metadata(service_date: date, facilities: Iterable[str]) -> dict[str, str]:
    """The commit info of a commit that replaces just these facilities' rows of the day."""
    return {DAY_KEY: service_date.isoformat(), FACILITIES_KEY: json.dumps(sorted(set(facilities)))}


def changed_facilities(root: Path, since: int, until: int, day: date) -> frozenset[str] | None:
    """The facilities whose rows of `day` the commits after version `since` up to `until`
    replaced; None when one of them changed the day otherwise (copy the day whole)."""
    changed: set[str] = set()
    for version in range(since + 1, until + 1):
        actions = _commit(Path(root), version)
        if actions is None:
            return None
        named = _named_facilities(actions, day)
        if named is None:
            return None
        changed |= named
    return frozenset(changed)


def _named_facilities(actions: list[dict], day: date) -> set[str] | None:
    info: dict = {}
    touches_day = False
    for action in actions:
        if "commitInfo" in action:
            info = action["commitInfo"] or {}
        elif any(kind in action for kind in _TABLE_ACTIONS):
            return None
        else:
            change = next((action[k] for k in _FILE_ACTIONS if k in action), None)
            if change is None or not change.get("dataChange", True):
                continue  # a transaction marker, or a file compacted without changing rows
            partition = (change.get("partitionValues") or {}).get(PARTITION_COLUMN)
            touches_day |= partition is None or partition == day.isoformat()
    if not touches_day:
        return set()
    if info.get(DAY_KEY) != day.isoformat() or FACILITIES_KEY not in info:
        return None
    return set(json.loads(info[FACILITIES_KEY]))


def _commit(root: Path, version: int) -> list[dict] | None:
    try:
        text = (root / "_delta_log" / f"{version:020d}.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return [json.loads(line) for line in text.splitlines() if line.strip()]
