"""What the landing sensor sees: each service day's file set under landing/, fingerprinted.

A day's fingerprint is a hash of the sorted (relpath, size, mtime) of every file under
`landing/*/<day>/`, the same files the ingest reads. A new, late or corrected file changes its
day's fingerprint and no other, so the fingerprint doubles as the run key: the same file set is
never ingested twice, even if the sensor's cursor is lost.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from hanoi_health_lake.parsers.landing_paths import arrival_day


@dataclass
class DayFiles:
    service_date: str
    entries: list[tuple[str, int, int]] = field(default_factory=list)  # relpath, size, mtime_ns

    @property
    def fingerprint(self) -> str:
        text = "\n".join(f"{rel}\t{size}\t{mtime}" for rel, size, mtime in sorted(self.entries))
        # A name that is not UTF-8 keeps its bytes (the ingest rejects it, the sensor must not).
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:24]

    @property
    def newest_mtime(self) -> float:
        return max((m for _, _, m in self.entries), default=0) / 1e9

    @property
    def run_key(self) -> str:
        return f"{self.service_date}:{self.fingerprint}"


def _is_day(name: str) -> bool:
    try:
        return date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def _entry(root: Path, path: str) -> tuple[str, int, int]:
    st = os.lstat(path)
    return Path(path).relative_to(root).as_posix(), st.st_size, st.st_mtime_ns


def _walk(root: Path, directory: str, out: list[tuple[str, int, int]]) -> None:
    for entry in os.scandir(directory):
        if entry.is_dir(follow_symlinks=False):
            _walk(root, entry.path, out)
        else:  # files and symlinks alike: the ingest lists both (and rejects the links)
            out.append(_entry(root, entry.path))


def _add(days: dict[str, DayFiles], day: date, since: date | None, entry) -> None:
    if since is None or day >= since:
        days.setdefault(day.isoformat(), DayFiles(day.isoformat())).entries.append(entry)


def scan_landing(landing: Path, since: date | None = None) -> dict[str, DayFiles]:
    """Every service day (from `since` on, if given) that has at least one file under
    `landing/<facility>/<day>/`. Older day folders are not even listed: at city scale a year of
    landing is millions of files, too many to stat every minute."""
    days: dict[str, DayFiles] = {}
    try:
        top = list(os.scandir(landing))
    except FileNotFoundError:
        return days
    # The same entries, on the same days, as `parsers.discover` lists for the ingest: what the
    # folders cannot place (links, undated folders, stray files) goes on the day it arrived.
    for facility in top:
        if not facility.is_dir(follow_symlinks=False):
            _add(days, arrival_day(facility.path), since, _entry(landing, facility.path))
            continue
        for day_dir in os.scandir(facility.path):
            if _is_day(day_dir.name):
                day = date.fromisoformat(day_dir.name)
                if since is not None and day < since:
                    continue
                if day_dir.is_dir(follow_symlinks=False):
                    found: list[tuple[str, int, int]] = []
                    _walk(landing, day_dir.path, found)
                    for entry in found:
                        _add(days, day, since, entry)
                else:
                    _add(days, day, since, _entry(landing, day_dir.path))
            elif day_dir.is_dir(follow_symlinks=False):
                found = []
                _walk(landing, day_dir.path, found)
                for entry in found:
                    _add(days, arrival_day(landing / entry[0]), since, entry)
            else:
                _add(days, arrival_day(day_dir.path), since, _entry(landing, day_dir.path))
    return {d: files for d, files in sorted(days.items()) if files.entries}


def days_to_run(
    current: dict[str, DayFiles], seen: dict[str, str], *, now: float, settle_seconds: float
) -> tuple[list[DayFiles], list[DayFiles]]:
    """(changed days whose files have settled, changed days still being written)."""
    ready, settling = [], []
    for day in current.values():
        if seen.get(day.service_date) == day.fingerprint:
            continue
        (settling if now - day.newest_mtime < settle_seconds else ready).append(day)
    return ready, settling


def decode_cursor(cursor: str | None) -> dict[str, str]:
    return json.loads(cursor)["days"] if cursor else {}


def encode_cursor(seen: dict[str, str]) -> str:
    return json.dumps({"days": dict(sorted(seen.items()))}, separators=(",", ":"))
