"""The restricted zones (bronze, quarantine, restricted: identifiers as delivered; lake/catalog.py)
are readable by their owner only.

delta-rs creates its data and log files itself, with the process umask, so a restricted table is
written under umask 077: folders come out 0700 and files 0600 whatever the caller's umask. The
umask is process-wide, so changes are serialised here; a writer of another zone running at that
moment gets owner-only files too, which is safe. A table created before this rule (0644/0755) is
tightened on its next write.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hanoi_health_lake.lake.catalog import RESTRICTED_ZONES

OWNER_ONLY_UMASK = 0o077
DIR_MODE, FILE_MODE = 0o700, 0o600
_UMASK_LOCK = threading.Lock()


def is_restricted(table_path: str | Path) -> bool:
    """Whether a Delta table path `<lake>/<zone>/<table>` lies in a restricted zone."""
    return Path(table_path).parent.name in RESTRICTED_ZONES


def owner_only_tree(root: Path) -> None:
    """chmod a folder and everything under it to owner-only (0700 folders, 0600 files)."""
    root.chmod(DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            Path(folder, name).chmod(DIR_MODE)
        for name in files:
            Path(folder, name).chmod(FILE_MODE)


@contextmanager
def restricted_writes(table_path: str | Path) -> Iterator[None]:
    """Around a table write: owner-only files and folders when the table is restricted."""
    if not is_restricted(table_path):
        yield
        return
    path = Path(table_path)
    with _UMASK_LOCK:
        previous = os.umask(OWNER_ONLY_UMASK)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.parent.chmod(DIR_MODE)
            if path.exists() and path.stat().st_mode & 0o077:
                owner_only_tree(path)  # written before the rule: tighten once
            yield
        finally:
            os.umask(previous)
