"""How values read in each language, and which days a report covers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hanoi_health_lake.reports.formatting import format_cell, sort_value
from hanoi_health_lake.reports.model import Text
from hanoi_health_lake.reports.period import day_period, week_period


@pytest.mark.parametrize(
    ("value", "kind", "vi", "en"),
    [
        (1234567, "int", "1.234.567", "1,234,567"),
        (0.8532, "share", "85,3 %", "85.3%"),
        (1.0, "share", "100,0 %", "100.0%"),
        (2.345, "number", "2,35", "2.35"),
        (1234.56, "hours", "1.234,6", "1,234.6"),
        (date(2026, 3, 9), "date", "09/03/2026", "09/03/2026"),
        (None, "int", "—", "—"),
        (Text("Trạm y tế", "Health station"), "label", "Trạm y tế", "Health station"),
    ],
)
def test_values_read_the_way_each_language_writes_numbers(value, kind, vi, en):
    assert format_cell(value, kind, "vi") == vi
    assert format_cell(value, kind, "en") == en


def test_sort_values_order_numbers_and_dates_as_such():
    assert float(sort_value(0.25)) < float(sort_value(1.5))
    assert sort_value(date(2026, 3, 9)) < sort_value(date(2026, 3, 10))
    assert sort_value(None) == ""


@pytest.mark.parametrize("day", [date(2026, 3, 2) + timedelta(days=k) for k in range(7)])
def test_a_week_runs_monday_to_sunday_around_any_of_its_days(day):
    week = week_period(day)
    assert week.start == date(2026, 3, 2) and week.end == date(2026, 3, 8)
    assert week.days == 7 and week.folder == "weekly/2026-03-02"


def test_a_day_report_covers_one_day_and_trends_over_thirty():
    period = day_period(date(2026, 3, 15))
    assert period.start == period.end == date(2026, 3, 15)
    assert (period.end - period.trend_start).days == 29
