"""Aberration detection for disease counts, matching the R package `surveillance`.

Call `detect(dates, counts, method, **params)` for one series, `choose_method(history_days)` to
pick a method by history length; `METHODS` lists the methods. Definitions: SURVEILLANCE.md.

This package is the algorithms only: pure functions over one count series, with no lake, no
tables and no settings of the Department. The pipeline step that counts cases from silver,
runs these on every series and writes the gold tables is hanoi_health_lake/outbreaks/.
"""

from hanoi_health_lake.surveillance.methods import (
    METHODS,
    choose_method,
    detect,
    detect_series,
)
from hanoi_health_lake.surveillance.series import Series, SeriesError, make_series, read_series_csv

__all__ = [
    "METHODS",
    "Series",
    "SeriesError",
    "choose_method",
    "detect",
    "detect_series",
    "make_series",
    "read_series_csv",
]
