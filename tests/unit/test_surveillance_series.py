"""Reading and checking count series: step inference and the errors a user sees."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from hanoi_health_lake.surveillance import SeriesError, make_series, read_series_csv
from hanoi_health_lake.surveillance.series import infer_step

D = dt.date


def _days(start: dt.date, n: int, step: int = 1) -> list[dt.date]:
    return [start + dt.timedelta(days=step * i) for i in range(n)]


def test_step_is_inferred_from_dates() -> None:
    assert infer_step(_days(D(2024, 2, 27), 5)) == "day"
    assert infer_step(_days(D(2023, 12, 25), 5, step=7)) == "week"
    assert infer_step([D(2024, 1, 1)]) is None


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ([D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 2)], "duplicate date 2024-01-02"),
        ([D(2024, 1, 2), D(2024, 1, 1)], "not sorted: 2024-01-01 comes after 2024-01-02"),
        ([D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 4)], "2024-01-02 to 2024-01-04 is 2 days"),
        ([D(2024, 1, 1), D(2024, 2, 1)], "consecutive days or weeks"),
        ([D(2024, 1, 1), D(2024, 1, 8), D(2024, 1, 22)], "fill missing weeks with 0"),
    ],
)
def test_irregular_dates_are_rejected(dates: list[dt.date], message: str) -> None:
    with pytest.raises(SeriesError, match=message):
        infer_step(dates)


def test_make_series_parses_iso_text_and_keeps_counts() -> None:
    series = make_series(["2024-03-04", "2024-03-11"], ["3", 0])
    assert series.dates == (D(2024, 3, 4), D(2024, 3, 11))
    assert series.step == "week"
    np.testing.assert_array_equal(series.counts, [3.0, 0.0])
    assert make_series(None, [1, 2, 3]).step is None


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([1, -2, 3], "point 2: count -2 is negative"),
        ([1, "x"], "point 2: count 'x' is not a number"),
        ([None], "point 1: count None is not a number"),
        ([float("nan")], "not a finite number"),
    ],
)
def test_bad_counts_are_rejected(counts: list[object], message: str) -> None:
    with pytest.raises(SeriesError, match=message):
        make_series(None, counts)  # type: ignore[arg-type]


def test_bad_dates_are_rejected() -> None:
    with pytest.raises(SeriesError, match="point 2: '2024-13-01' is not a YYYY-MM-DD date"):
        make_series(["2024-01-01", "2024-13-01"], [1, 2])
    with pytest.raises(SeriesError, match="2 dates but 3 counts"):
        make_series(["2024-01-01", "2024-01-02"], [1, 2, 3])


def test_read_csv_reports_missing_columns_and_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("day,cases\n2024-01-01,1\n2024-01-02,\n")
    with pytest.raises(SeriesError, match=r"no column 'observed'; columns: day, cases"):
        read_series_csv(path, "day", "observed")
    with pytest.raises(SeriesError, match="no column 'date'"):
        read_series_csv(path, "date", "cases")
    with pytest.raises(SeriesError, match="point 2: count None is not a number"):
        read_series_csv(path, "day", "cases")
    with pytest.raises(SeriesError, match="cannot read"):
        read_series_csv(tmp_path / "missing.csv", None, "cases")
