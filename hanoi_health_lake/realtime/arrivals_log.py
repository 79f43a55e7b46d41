"""The arrivals log: what landed, in the order it landed, so the sensor never lists the tree.

Whoever puts a file into landing appends one line to `HHL_HOME/arrivals/<local date>.log` once
the file is complete: the SFTP server's post-upload hook (`hhl arrived PATH…`), `hhl replay`,
or the listing fallback (`log_unlisted`), which walks the recent landing days now and then and
logs any file nobody logged. A line is `relpath<TAB>size<TAB>mtime_ns`, written with one
`write` on a file opened for appending, so concurrent writers never interleave within a line.

What the ingest has taken is a byte offset per log file in `state.json`, replaced atomically
(write, fsync, rename) only after an arrival batch has written every table. A batch killed
halfway leaves the offsets where they were: the next batch takes the same lines again (and
whatever arrived since), and since a batch rewrites whole (service day, facility) slices from
the landing files, taking a line twice changes nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.parsers.landing_paths import arrival_day

STATE_FILE = "state.json"
_ZONE = ZoneInfo(TIMEZONE)


def arrivals_dir(home: Path) -> Path:
    return Path(home) / "arrivals"


@dataclass(frozen=True)
class Arrival:
    relpath: str
    size: int
    mtime_ns: int


@dataclass
class Pending:
    """Lines not yet taken, and the offsets that mark them taken."""

    arrivals: list[Arrival]
    ends: dict[str, int]  # log file name → offset after its last complete line read


def _log_name(when: datetime) -> str:
    return f"{when.astimezone(_ZONE).date().isoformat()}.log"


def record_arrivals(
    log_dir: Path, landing: Path, relpaths: Iterable[str], when: datetime | None = None
) -> int:
    """Append one line per landed file (relative to `landing`); returns the lines written."""
    log_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for relpath in relpaths:
        try:
            st = os.lstat(Path(landing) / relpath)
        except OSError:
            continue  # gone again: nothing to ingest
        lines.append(f"{relpath}\t{st.st_size}\t{st.st_mtime_ns}\n")
    if not lines:
        return 0
    path = log_dir / _log_name(when or datetime.now(_ZONE))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        for line in lines:
            os.write(fd, line.encode("utf-8", "surrogateescape"))
    finally:
        os.close(fd)
    return len(lines)


def read_state(log_dir: Path) -> dict[str, int]:
    path = log_dir / STATE_FILE
    if not path.exists():
        return {}
    return {str(k): int(v) for k, v in json.loads(path.read_text())["offsets"].items()}


def commit(log_dir: Path, ends: dict[str, int]) -> None:
    """Mark the lines up to `ends` taken (after the batch that took them has written)."""
    offsets = {**read_state(log_dir), **ends}
    tmp = log_dir / f".{STATE_FILE}.{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump({"offsets": dict(sorted(offsets.items()))}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, log_dir / STATE_FILE)


def _logs(log_dir: Path) -> list[Path]:
    if not log_dir.is_dir():
        return []
    return sorted(p for p in log_dir.glob("*.log") if p.is_file())


def pending(log_dir: Path, max_lines: int | None = None) -> Pending:
    """The complete lines after the committed offsets (at most `max_lines`, oldest first)."""
    state = read_state(log_dir)
    arrivals: list[Arrival] = []
    ends: dict[str, int] = {}
    for log in _logs(log_dir):
        start = state.get(log.name, 0)
        if log.stat().st_size <= start:
            continue
        with open(log, "rb") as fh:
            fh.seek(start)
            data = fh.read()
        offset = start
        for raw in data.split(b"\n")[:-1]:  # the last piece is a line still being written
            if max_lines is not None and len(arrivals) >= max_lines:
                break
            offset += len(raw) + 1
            relpath, size, mtime = raw.decode("utf-8", "surrogateescape").split("\t")
            arrivals.append(Arrival(relpath, int(size), int(mtime)))
        if offset > start:
            ends[log.name] = offset
        if max_lines is not None and len(arrivals) >= max_lines:
            break
    return Pending(arrivals, ends)


def has_pending(log_dir: Path) -> bool:
    """Cheap: one stat per log file, no reading (what the sensor asks each tick)."""
    state = read_state(log_dir)
    return any(log.stat().st_size > state.get(log.name, 0) for log in _logs(log_dir))


def slice_of(landing: Path, relpath: str) -> tuple[date, str] | None:
    """The (service day, facility folder) a landed file belongs to, as `discover` places it: the
    day folder's date, or the day the file arrived for what the folders cannot place. A file
    at the landing root names no facility: the whole-day path (a backfill) rejects it."""
    parts = relpath.split("/")
    if len(parts) < 2:
        return None
    facility = parts[0]
    if len(parts) >= 3:
        try:
            day = date.fromisoformat(parts[1])
            if day.isoformat() == parts[1]:
                return day, facility
        except ValueError:
            pass
    try:
        return arrival_day(Path(landing) / relpath), facility
    except OSError:
        return None


def logged_entries(log_dir: Path, since: date) -> set[tuple[str, int, int]]:
    """(relpath, size, mtime_ns) of every line logged from `since` on."""
    seen = set()
    for log in _logs(log_dir):
        try:
            if date.fromisoformat(log.stem) < since:
                continue
        except ValueError:
            continue
        for raw in log.read_bytes().split(b"\n")[:-1]:
            relpath, size, mtime = raw.decode("utf-8", "surrogateescape").split("\t")
            seen.add((relpath, int(size), int(mtime)))
    return seen


def log_unlisted(log_dir: Path, landing: Path, days: int = 7) -> int:
    """The listing fallback: log every file of the last `days` service days that no writer
    logged (a hook that failed, a file copied in by hand). Returns the files logged."""
    from hanoi_health_lake.automation.landing_scan import scan_landing

    since = datetime.now(_ZONE).date() - timedelta(days=days)
    listed = {entry for files in scan_landing(landing, since).values() for entry in files.entries}
    missing = sorted(listed - logged_entries(log_dir, since - timedelta(days=1)))
    return record_arrivals(log_dir, landing, (relpath for relpath, _, _ in missing))
