"""`detect` (the pipeline's entry point) and `choose_method`."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from hanoi_health_lake.surveillance import METHODS, choose_method, detect


def test_detect_returns_one_row_per_point_with_status() -> None:
    dates = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(12)]
    counts = [3, 4, 2, 5, 3, 4, 3, 4, 20, 3, 4, 2]
    frame = detect(dates, counts, "ears-c1")
    assert frame.columns == [
        "method", "index", "date", "observed", "expected", "upperbound", "alarm", "status", "note",
    ]  # fmt: skip
    assert frame.schema["date"] == pl.Date and frame.schema["observed"] == pl.Int64
    assert frame["index"].to_list() == list(range(12))
    assert frame["status"].to_list() == ["short_history"] * 7 + ["ok"] * 5
    assert frame["note"][0] == "EARS C1 needs 7 earlier points" and frame["note"][7] is None
    assert frame.filter(pl.col("alarm"))["date"].to_list() == [dt.date(2025, 1, 9)]
    assert set(frame["method"]) == {"ears-c1"}


def test_detect_undated_and_non_integer_counts() -> None:
    frame = detect(None, [1.5, 2.0, 2.5, 1.0, 2.0, 1.5, 2.0, 9.5], "ears-c1")
    assert frame["date"].null_count() == 8
    assert frame.schema["observed"] == pl.Float64
    assert frame["alarm"][-1] is True


def test_detect_rejects_unknown_method_and_parameters() -> None:
    with pytest.raises(ValueError, match="unknown method 'ears-c4'; choose one of ears-c1"):
        detect(None, [1] * 10, "ears-c4")
    with pytest.raises(ValueError, match="ears-c1 takes no parameter b, w"):
        detect(None, [1] * 10, "ears-c1", b=3, w=2)
    with pytest.raises(ValueError, match="evaluate_from is a date but the series is undated"):
        detect(None, [1] * 10, "ears-c1", evaluate_from="2024-01-01")


def test_every_registered_method_runs() -> None:
    counts = [2, 3, 1, 4, 2, 3, 2, 5, 3, 2, 4, 3, 2, 12] * 30
    for name in METHODS:
        params = {"frequency": 52} if name in ("farrington", "noufaily") else {}
        frame = detect(None, counts, name, evaluate_from=len(counts) - 3, **params)
        assert frame.height == 3
        assert frame["upperbound"].null_count() == 0, name


@pytest.mark.parametrize(
    ("days", "method"),
    [
        (0, None),
        (6, None),
        (7, "ears-c1"),
        (8, "ears-c1"),
        (9, "ears-c2"),
        (10, "ears-c2"),
        (11, "ears-c3"),
        (1829, "ears-c3"),
        (1830, "noufaily"),
        (4000, "noufaily"),
    ],
)
def test_choose_method_by_history(days: int, method: str | None) -> None:
    chosen, why = choose_method(days)
    assert chosen == method
    assert str(days) in why


def test_chosen_method_can_evaluate_the_next_day() -> None:
    """The thresholds in choose_method are the real history needs of the methods."""
    # Day 1830 is 2020-03-04: five years back spans two leap days, the worst case.
    start = dt.date(2015, 3, 1)
    for days in (7, 9, 11, 1830):
        dates = [start + dt.timedelta(days=i) for i in range(days + 1)]
        counts = [(i * 7) % 5 + 3 for i in range(days + 1)]
        method, _ = choose_method(days)
        frame = detect(dates, counts, method, evaluate_from=days)
        assert frame["status"][0] != "short_history", (days, method)
        earlier = detect(dates[1:], counts[1:], method, evaluate_from=days - 1)
        assert earlier["status"][0] == "short_history", (days, method)
