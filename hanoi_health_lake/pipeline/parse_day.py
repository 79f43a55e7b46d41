"""Read every file delivered for one service day: each parse is independent, so one bad file
never stops the others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hanoi_health_lake.parsers.dispatch import parse_file
from hanoi_health_lake.parsers.landing_paths import (
    LandingName,
    UnsafePathError,
    discover,
    parse_landing_path,
)
from hanoi_health_lake.records import DATASETS, ParsedFile

_NOT_NAME = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum() and chr(c) != "_")


@dataclass
class DeliveredFile:
    parsed: ParsedFile
    name: LandingName | None  # None when the landing name is unsafe
    facility_code: str  # from the name, or the folder for an unsafe name

    @property
    def dataset(self) -> str | None:
        if self.name:
            return self.name.dataset
        # An unsafe name is never opened, but its prefix still says what it claimed to be.
        prefix = self.parsed.path.rsplit("/", 1)[-1].split("__", 1)[0].strip(_NOT_NAME)
        return prefix if prefix in DATASETS else None


def _folder_facility(relpath: str) -> str:
    return relpath.split("/", 1)[0]


def parse_day(
    landing_root: Path,
    service_date: date,
    registry_codes: frozenset[str],
    progress: Callable[[int, int], None] | None = None,
) -> list[DeliveredFile]:
    relpaths = discover(landing_root, service_date)
    delivered: list[DeliveredFile] = []
    for i, relpath in enumerate(relpaths, 1):
        parsed = parse_file(landing_root, relpath, registry_codes=registry_codes)
        try:
            name: LandingName | None = parse_landing_path(relpath)
        except UnsafePathError:
            name = None
        facility = name.facility_code if name else _folder_facility(relpath)
        delivered.append(DeliveredFile(parsed=parsed, name=name, facility_code=facility))
        if progress is not None:
            progress(i, len(relpaths))
    return delivered
