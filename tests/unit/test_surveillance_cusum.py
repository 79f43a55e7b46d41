"""CUSUM: the optional reset, the meaning of its bound, and the undefined zero mean."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hanoi_health_lake.surveillance import detect, read_series_csv
from hanoi_health_lake.surveillance.cusum import cusum

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveillance"


def _weekly() -> np.ndarray:
    return read_series_csv(FIXTURES / "series_weekly.csv", "date", "observed").counts


def test_alarm_means_count_reaches_bound() -> None:
    y = _weekly()
    result = cusum(y, baseline=52)
    ok = result.status == "ok"
    np.testing.assert_array_equal(result.alarm[ok], y[ok] >= result.upperbound[ok])
    assert result.expected[52] == pytest.approx(y[:52].mean())


def test_reset_restarts_the_sum_after_each_alarm() -> None:
    y = _weekly()
    m = float(y[:52].mean())
    plain = cusum(y, baseline=52)
    reset = cusum(y, baseline=52, reset=True)
    first = int(np.flatnonzero(plain.alarm)[0])
    # Identical up to the first alarm, which both raise.
    np.testing.assert_array_equal(plain.upperbound[: first + 1], reset.upperbound[: first + 1])
    assert reset.alarm[first]
    # After it, the reset CUSUM is a fresh CUSUM with the same m, up to its next alarm.
    fresh = cusum(y[first + 1 :], baseline=0, m=m)
    following = np.flatnonzero(reset.alarm[first + 1 :])
    stop = int(following[0]) + 1 if following.size else len(fresh.alarm)
    np.testing.assert_array_equal(reset.upperbound[first + 1 :][:stop], fresh.upperbound[:stop])
    np.testing.assert_array_equal(reset.alarm[first + 1 :][:stop], fresh.alarm[:stop])
    # Without reset the sum stays high and keeps alarming (R 1.20 behaviour).
    assert plain.alarm.sum() > reset.alarm.sum()


def test_zero_baseline_mean_is_an_error() -> None:
    with pytest.raises(ValueError, match="baseline mean above 0"):
        detect(None, [0] * 10 + [3], "cusum")


def test_parameters_reach_the_method() -> None:
    y = list(_weekly()[:120])
    loose = detect(None, y, "cusum", baseline=52, h=10.0)
    strict = detect(None, y, "cusum", baseline=52, h=1.0)
    assert loose["alarm"].sum() < strict["alarm"].sum()
    assert loose["status"].to_list()[:52] == ["short_history"] * 52
