"""How big a simulated Hanoi is: facility counts by type, visit volume, population.

`city` mirrors Hanoi (STANDARDS.md §5): 30 central hospitals, 42 city hospitals, 43 private
hospitals, 30 district health centres, a station in each of the 126 wards, 15,000 private clinics,
about 100,000 encounters on a weekday and 8.5 million people. `small` and `tiny` keep every type
at a fraction, with more hospitals than a strict fraction would give so their data stays varied,
and scale visit volume down (`volume_factor`) to about 8,000 and 1,500 encounters a weekday.
"""

from __future__ import annotations

from dataclasses import dataclass

FACILITY_TYPES = (
    "central_hospital",  # under the Ministry of Health or another ministry
    "city_hospital",  # under the Hanoi Department of Health
    "private_hospital",
    "health_centre",  # trung tâm y tế (the former district centres)
    "health_station",  # trạm y tế, one per ward or commune
    "private_clinic",  # phòng khám
)

# Encounters on an ordinary weekday at a facility of average size, at city scale.
MEAN_DAILY_ENCOUNTERS = {
    "central_hospital": 1200.0,
    "city_hospital": 500.0,
    "private_hospital": 250.0,
    "health_centre": 150.0,
    "health_station": 30.0,
    "private_clinic": 1.6,
}


@dataclass(frozen=True)
class Scale:
    name: str
    facilities: dict[str, int]
    volume_factor: float  # multiplies MEAN_DAILY_ENCOUNTERS
    population: int


SCALES = {
    "tiny": Scale(
        "tiny",
        {
            "central_hospital": 1,
            "city_hospital": 2,
            "private_hospital": 2,
            "health_centre": 2,
            "health_station": 5,
            "private_clinic": 18,
        },
        volume_factor=0.2,
        population=40_000,
    ),
    "small": Scale(
        "small",
        {
            "central_hospital": 4,
            "city_hospital": 8,
            "private_hospital": 8,
            "health_centre": 6,
            "health_station": 24,
            "private_clinic": 250,
        },
        volume_factor=0.4,
        population=400_000,
    ),
    "city": Scale(
        "city",
        {
            "central_hospital": 30,
            "city_hospital": 42,
            "private_hospital": 43,
            "health_centre": 30,
            "health_station": 126,
            "private_clinic": 15_000,
        },
        volume_factor=1.0,
        population=8_500_000,
    ),
}
