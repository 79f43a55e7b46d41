"""When Great Expectations re-judges a validated frame (contracts.validate.audit).

The verdicts come from the Polars form of each compiled suite; GX runs the same suite on a
sample as an audit that the two engines agree. Its cost is fixed, about half a second a dataset
whatever the sample's size, which a whole-day run pays once a dataset but an arrival batch would
pay for every small batch (8 datasets: some 4 CPU-s of a batch's 5). So a whole-day run audits
every dataset (`EVERY_TIME`), and the arrival path audits each suite at most once per interval
(`AuditEvery`, HHL_GX_AUDIT_MINUTES, default a day): the agreement of the engines does not change
between batches, it changes with the code and the contracts, and a suite is known by both
(`validate.audit_key`): a changed contract or release is audited at its first batch. An hourly
interval would have cost a day of real-time batches some 24 audits a suite, about 100 CPU-s,
twice a whole-day ingest; a day costs what one whole-day run pays.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Protocol


class AuditSchedule(Protocol):
    def due(self, suite: str) -> bool: ...

    def done(self, suite: str) -> None: ...


class _EveryTime:
    def due(self, suite: str) -> bool:
        return True

    def done(self, suite: str) -> None:
        return None


EVERY_TIME: AuditSchedule = _EveryTime()


class AuditEvery:
    """At most once per `interval` per suite, across processes: the time of a suite's last
    passed audit is a marker file's modification time (each arrival batch is a Dagster run of
    its own, so memory does not outlive it). An audit that raised leaves no marker: the next
    batch audits again."""

    def __init__(self, folder: Path, interval: timedelta) -> None:
        self.folder = Path(folder)
        self.seconds = interval.total_seconds()

    def _marker(self, suite: str) -> Path:
        return self.folder / f"{suite}.audited"

    def due(self, suite: str) -> bool:
        try:
            return time.time() - os.stat(self._marker(suite)).st_mtime >= self.seconds
        except FileNotFoundError:
            return True

    def done(self, suite: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._marker(suite).touch()
