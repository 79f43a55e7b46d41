"""Alert lines a data engineer can act on: which facility and which file made a run fail.

The culprits come from two places: the metadata of failed asset checks (rows carrying
`facility_code` and `source_file`, as the ingest's checks write them) and the text of the
failure itself (a landing path `<facility>/<service_date>/<file>` named in an error message).
When a facility is known but no file is, its landing files for the day are listed instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ALERTS_LOG = Path("alerts") / "alerts.log"  # under HHL_HOME
MAX_FILES = 20
_LANDING_PATH = re.compile(r"\b(01[0-9A-Z]{3})/(\d{4}-\d{2}-\d{2})/([A-Za-z0-9][A-Za-z0-9._-]*)")
_FILE_KEYS = ("source_file", "file")


@dataclass
class Culprits:
    facilities: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)

    def add_file(self, relpath: str) -> None:
        m = _LANDING_PATH.search(relpath)
        if m:
            self.files.add(m.group(0))
            self.facilities.add(m.group(1))


def _walk_metadata(value: Any, found: Culprits) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "facility_code" and isinstance(item, str):
                found.facilities.add(item)
            elif key in _FILE_KEYS and isinstance(item, str):
                found.add_file(item)
            else:
                _walk_metadata(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk_metadata(item, found)


def find_culprits(metadata: Iterable[Any], texts: Iterable[str]) -> Culprits:
    """Facilities and landing files named in check metadata (plain values) or in error texts."""
    found = Culprits()
    for value in metadata:
        _walk_metadata(value, found)
    for text in texts:
        for m in _LANDING_PATH.finditer(text or ""):
            found.add_file(m.group(0))
    return found


def landing_files(landing: Path, facility: str, service_date: str) -> list[str]:
    """The facility's files for the day, relative to the landing root (none if it sent none)."""
    day = landing / facility / service_date
    if not day.is_dir() or day.is_symlink():
        return []
    return sorted(p.relative_to(landing).as_posix() for p in day.rglob("*") if p.is_file())


@dataclass
class Alert:
    run_id: str
    job: str
    partition: str | None
    reasons: list[str]
    facilities: list[str]
    files: list[str]

    def line(self, at: datetime) -> str:
        files = self.files[:MAX_FILES]
        more = f" (+{len(self.files) - MAX_FILES} more)" if len(self.files) > MAX_FILES else ""
        return (
            f"{at.isoformat(timespec='seconds')} RUN_FAILED run={self.run_id} job={self.job} "
            f"partition={self.partition or '-'} "
            f"facilities={','.join(self.facilities) or '-'} "
            f"files={','.join(files) or '-'}{more} "
            f"reason={json.dumps(' | '.join(self.reasons), ensure_ascii=False)}"
        )

    def tags(self) -> dict[str, str]:
        """Short run tags, so the UI's run list shows who to call without opening the logs."""
        return {
            "hhl/alert_facilities": ",".join(self.facilities)[:200] or "-",
            "hhl/alert_files": ",".join(self.files[:5])[:500] or "-",
        }


def build_alert(
    *,
    run_id: str,
    job: str,
    partition: str | None,
    reasons: list[str],
    culprits: Culprits,
    landing: Path | None,
) -> Alert:
    files = set(culprits.files)
    named = {f.split("/", 1)[0] for f in files}
    if landing is not None and partition:
        for facility in sorted(culprits.facilities - named):
            files.update(landing_files(landing, facility, partition))
    return Alert(
        run_id=run_id,
        job=job,
        partition=partition,
        reasons=[r.strip().splitlines()[0] for r in reasons if r and r.strip()],
        facilities=sorted(culprits.facilities),
        files=sorted(files),
    )


def append_alert(home: Path, line: str) -> Path:
    path = home / ALERTS_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    return path
