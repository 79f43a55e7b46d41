"""`hhl replay`: a simulated day's exports moved into landing at their export times, S times
faster than real, each logged as it lands (realtime.arrivals_log) as an upload hook would.

A file is first written beside landing and then renamed into its folder, so the ingest never
reads half a file; its modification time is when it landed, which is what `arrived_at`
measures. What is replayed: every file of service day D (all facilities, every version)
exported before `until` (default: the end of the day after D, when nearly every export of D has
come, corrections and late files included); the replay clock starts at the earliest export.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from hanoi_health_lake.parsers.landing_paths import UnsafePathError, parse_landing_path
from hanoi_health_lake.realtime import arrivals_log


@dataclass(frozen=True)
class Export:
    relpath: str
    export_ts: datetime


def day_exports(source_landing: Path, day: date, until: datetime | None = None) -> list[Export]:
    """The files of service day `day` under `source_landing`, by export time (then path)."""
    until = until or datetime.combine(day + timedelta(days=2), datetime.min.time())
    found = []
    for folder in sorted(Path(source_landing).glob(f"*/{day.isoformat()}")):
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            relpath = path.relative_to(source_landing).as_posix()
            try:
                stamp = parse_landing_path(relpath).export_ts
            except UnsafePathError:
                continue
            if stamp < until:
                found.append(Export(relpath, stamp))
    return sorted(found, key=lambda e: (e.export_ts, e.relpath))


def land(source_landing: Path, home: Path, relpaths: list[str]) -> None:
    """Write the files into HHL_HOME/landing (via a temporary name outside it), then log them."""
    landing = Path(home) / "landing"
    staging = Path(home) / ".replay-staging"
    staging.mkdir(parents=True, exist_ok=True)
    for relpath in relpaths:
        target = landing / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = staging / relpath.replace("/", "__")
        shutil.copyfile(Path(source_landing) / relpath, tmp)
        os.replace(tmp, target)
    arrivals_log.record_arrivals(arrivals_log.arrivals_dir(home), landing, relpaths)


def replay(
    source_landing: Path,
    home: Path,
    day: date,
    speed: float,
    *,
    until: datetime | None = None,
    say: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Land the day's exports at `speed` × real time; returns the files landed."""
    if speed <= 0:
        raise ValueError(f"--speed must be positive, got {speed}")
    exports = day_exports(source_landing, day, until)
    if not exports:
        return 0
    start_ts = exports[0].export_ts
    started = time.monotonic()
    i = 0
    while i < len(exports):
        due = (exports[i].export_ts - start_ts).total_seconds() / speed
        wait = due - (time.monotonic() - started)
        if wait > 0:
            sleep(wait)
        elapsed = (time.monotonic() - started) * speed
        now_ts = start_ts + timedelta(seconds=elapsed)
        batch = []
        while i < len(exports) and exports[i].export_ts <= now_ts:
            batch.append(exports[i].relpath)
            i += 1
        if not batch:  # a sleep that woke early
            batch.append(exports[i].relpath)
            i += 1
        land(source_landing, home, batch)
        if say:
            say(f"{now_ts:%Y-%m-%d %H:%M:%S}: {len(batch)} files landed ({i}/{len(exports)})")
    return len(exports)
