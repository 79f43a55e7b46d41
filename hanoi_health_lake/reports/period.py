"""The stretch of service days a report covers: one day, or a Monday-to-Sunday week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Kind = Literal["daily", "weekly"]
TREND_DAYS = 30


@dataclass(frozen=True)
class Period:
    kind: Kind
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def trend_start(self) -> date:
        """First day of the trend charts: the 30 days ending with the period."""
        return self.end - timedelta(days=TREND_DAYS - 1)

    @property
    def folder(self) -> str:
        """Where under HHL_HOME/reports/ the period's files go: `daily/<day>`, `weekly/<monday>`."""
        return f"{self.kind}/{self.start.isoformat()}"


def day_period(day: date) -> Period:
    return Period("daily", day, day)


def week_period(day: date) -> Period:
    """The Monday-to-Sunday week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return Period("weekly", monday, monday + timedelta(days=6))
