"""Weekday and seasonal patterns of Hanoi's health-care demand.

Dengue peaks in late summer and autumn, influenza-like illness in winter and spring, hand-foot-
mouth disease in spring and again in autumn, chickenpox and measles in late winter, diarrhoea in
summer. Outpatient clinics of public hospitals are quiet at weekends; private clinics less so;
emergencies do not follow the week.
"""

from __future__ import annotations

import math
from datetime import date


def _bump(doy: int, peak: int, width: float) -> float:
    distance = min(abs(doy - peak), 365 - abs(doy - peak))
    return math.exp(-((distance / width) ** 2))


def season_factor(season: str, day: date) -> float:
    """Multiplier of a diagnosis's base weight on `day` (1.0 for no season)."""
    doy = day.timetuple().tm_yday
    if season == "dengue":
        return 0.15 + 3.5 * _bump(doy, 275, 45)
    if season == "ili":
        return 1.0 + 0.5 * math.cos(2 * math.pi * (doy - 35) / 365)
    if season == "hfmd":
        return 0.3 + 1.5 * (_bump(doy, 105, 30) + _bump(doy, 288, 30))
    if season == "winter":
        return 0.4 + 1.2 * _bump(doy, 60, 45)
    if season == "summer":
        return 0.7 + 0.6 * _bump(doy, 185, 50)
    return 1.0


# Volume multiplier by weekday (Monday first) for each kind of care.
_WEEKDAY = {
    "public_outpatient": (1.25, 1.12, 1.08, 1.05, 1.0, 0.55, 0.25),
    "private_outpatient": (1.05, 1.0, 1.0, 1.0, 1.0, 0.95, 0.75),
    "inpatient": (1.1, 1.1, 1.05, 1.05, 1.1, 0.9, 0.5),  # discharges
    "emergency": (1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05),
}


def weekday_factor(kind: str, day: date) -> float:
    return _WEEKDAY[kind][day.weekday()]
