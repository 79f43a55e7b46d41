"""One writer per Delta table at a time, across processes on this machine.

delta-rs did not detect conflicting predicate overwrites of the same partition in some releases
(delta-rs #3622) and Dagster's pool limits have had enforcement bugs (dagster #23508), so every
writer takes an exclusive advisory lock on the table before it commits. The lock dies with the
process, so a killed run never leaves a table locked.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from hanoi_health_lake.config import lock_dir


def _lock_file(table_path: str) -> Path:
    digest = hashlib.sha256(str(table_path).encode()).hexdigest()[:16]
    root = lock_dir() or Path(str(table_path)).parent / ".locks"
    root.mkdir(parents=True, exist_ok=True)
    return root / f"{Path(str(table_path)).name}-{digest}.lock"


@contextmanager
def table_writer_lock(table_path: str) -> Iterator[None]:
    with open(_lock_file(table_path), "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def day_writer_lock(lake_root: str | Path, service_date: date) -> Iterator[None]:
    """One writer of a service day's tables at a time: a whole-day run and an arrival batch (or
    two batches) each hold it from the day's completion mark's removal to its rewrite, so no
    batch marks a day complete while another is halfway through its tables."""
    root = lock_dir() or Path(lake_root) / ".locks"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"day-{service_date.isoformat()}.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
