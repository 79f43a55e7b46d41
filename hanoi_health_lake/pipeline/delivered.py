"""One landed file as the ingest judged it: its parse, its landing name and when it arrived.

Its own module because both the parse of a day (parse_day.py) and the bronze rows made from it
(bronze.py) need it, and parse_day builds on bronze: neither may import the other back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hanoi_health_lake.parsers.landing_paths import LandingName
from hanoi_health_lake.records import DATASETS, ParsedFile

_NOT_NAME = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum() and chr(c) != "_")


@dataclass
class DeliveredFile:
    parsed: ParsedFile
    name: LandingName | None  # None when the landing name is unsafe
    facility_code: str  # from the name, or the folder for an unsafe name
    arrived_at: datetime | None = None  # versions.arrived_at of the landed file

    @property
    def dataset(self) -> str | None:
        if self.name:
            return self.name.dataset
        # An unsafe name is never opened, but its prefix still says what it claimed to be.
        prefix = self.parsed.path.rsplit("/", 1)[-1].split("__", 1)[0].strip(_NOT_NAME)
        return prefix if prefix in DATASETS else None
