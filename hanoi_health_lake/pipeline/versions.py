"""Which delivery of a record is the latest: a time the sender cannot push past arrival.

A file's `export_ts` comes from its name, which the sender writes. Taken alone, a file stamped
`20991231T235959` would win over every later genuine correction, for ever. So:

- `arrived_at` is the earliest of the file's mtime and ctime on the landing volume, in local time
  (Asia/Ho_Chi_Minh, like `export_ts`). A sender may set mtime (`rsync -t`, `sftp -p`), but ctime
  is set by our file system, to its own clock, whenever the file or its metadata is written here;
  no upload can set it. So the earliest of the two never lies after the file was written here.
  (Simulating days after today's date therefore makes every file future-stamped.)
- A file whose `export_ts` lies more than the tolerance after its arrival is rejected
  (`file.export_ts_future`): a clock set wrong or a stamp meant to pin a version.
- Versions are ordered by `version_ts = min(export_ts, arrived_at)`, then by arrival, then by
  landing path: a total order, so two exports with the same stamp (two CSVs; a Bundle and an
  NDJSON) still have exactly one latest, the same on every rerun.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hanoi_health_lake.config import TIMEZONE, minutes

TOLERANCE_ENV = "HHL_EXPORT_TS_FUTURE_TOLERANCE_MINUTES"
DEFAULT_TOLERANCE = timedelta(hours=2)  # facility clocks drift; a vendor server may run UTC+8/9
EXPORT_TS_FUTURE = "file.export_ts_future"
_ZONE = ZoneInfo(TIMEZONE)


def future_tolerance() -> timedelta:
    """HHL_EXPORT_TS_FUTURE_TOLERANCE_MINUTES (default 120): how far an export may be stamped
    after the file arrived before it is rejected."""
    return minutes(TOLERANCE_ENV, DEFAULT_TOLERANCE)


def arrived_at(path: Path) -> datetime | None:
    """When the file landed here (local naive time), links not followed; None if unreadable."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    earliest = min(st.st_mtime, st.st_ctime)
    return datetime.fromtimestamp(earliest, _ZONE).replace(tzinfo=None)


def future_stamp_message(
    relpath: str, export_ts: datetime, arrived: datetime, tolerance: timedelta
) -> str | None:
    """The reason to reject a file stamped after it arrived (beyond `tolerance`), else None."""
    ahead = export_ts - arrived
    if ahead <= tolerance:
        return None
    return (
        f"{relpath}: export time {export_ts:%Y-%m-%d %H:%M:%S} is {_span(ahead)} after the file "
        f"arrived ({arrived:%Y-%m-%d %H:%M:%S}, tolerance {_span(tolerance)}): the exporting "
        "system's clock is wrong; fix it and send the export again"
    )


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 2 * 24 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes >= 120:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"
