"""EARS C1/C2/C3: the worked example, the zero-spread rule and parameter checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hanoi_health_lake.surveillance import detect, read_series_csv
from hanoi_health_lake.surveillance.ears import ears_c1, ears_c2, ears_c3, ears_c3_r

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveillance"


def test_worked_example_salmonella_newport_2011_11_07() -> None:
    series = read_series_csv(FIXTURES / "series_weekly.csv", "date", "observed")
    frame = detect(series.dates, series.counts, "ears-c1")
    row = frame.filter(frame["date"].dt.strftime("%Y-%m-%d") == "2011-11-07").row(0, named=True)
    baseline = series.counts[row["index"] - 7 : row["index"]]
    assert baseline.tolist() == [1, 2, 0, 2, 0, 3, 9]
    assert row["observed"] == 41
    assert row["expected"] == pytest.approx(2.428571, abs=1e-6)
    assert row["upperbound"] == pytest.approx(12.0128, abs=1e-4)
    assert row["alarm"] is True


def test_baselines_and_guard_bands() -> None:
    y = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dtype=float)
    c1 = ears_c1(y, baseline=3)
    assert np.isnan(c1.upperbound[:3]).all()
    # C1 at t=3 uses 1, 2, 3: mean 2, sd 1.
    assert c1.expected[3] == 2
    assert c1.upperbound[3] == pytest.approx(2 + 3.090232)
    c2 = ears_c2(y, baseline=3)
    # C2 at t=5 uses t-5..t-3 = 1, 2, 3 and skips 4, 5.
    assert np.isnan(c2.upperbound[:5]).all()
    assert c2.expected[5] == 2
    assert list(c2.status[:6]) == ["short_history"] * 5 + ["ok"]


def test_constant_baseline_reads_zero_spread_as_limit() -> None:
    flat = [2.0] * 7
    assert ears_c1(np.array([*flat, 3.0])).alarm[-1]  # above a constant baseline: alarm
    at_mean = ears_c1(np.array([*flat, 2.0]))
    assert not at_mean.alarm[-1] and at_mean.upperbound[-1] == 2.0
    # min_sigma turns the same rise into an ordinary one.
    assert not ears_c1(np.array([*flat, 3.0]), min_sigma=0.5).alarm[-1]


def test_c3_on_constant_baselines() -> None:
    y = np.array([1.0] * 11 + [5.0, 1.0, 1.0, 1.0])
    textbook = ears_c3(y)
    r_style = ears_c3_r(y)
    # Day 11: its own C2 is infinite (5 over a constant 1): textbook alarms, R's ignores today.
    assert textbook.alarm[11] and textbook.upperbound[11] == 1.0
    assert not r_style.alarm[11] and r_style.upperbound[11] == 5.0
    # Day 12: the spike is now a lag term above z, so both alarm on any count > 0.
    assert textbook.alarm[12] and r_style.alarm[12]
    assert textbook.upperbound[12] == 0.0 and r_style.upperbound[12] == 0.0
    # Day 13 still has it as lag 2; day 14 is past its reach.
    assert textbook.alarm[13] and r_style.alarm[13]
    assert not textbook.alarm[14] and not r_style.alarm[14]


def test_textbook_c3_alarm_agrees_with_its_bound() -> None:
    rng = np.random.default_rng(7)
    y = rng.poisson(4, 400).astype(float)
    y[200:205] += 12
    result = ears_c3(y, min_sigma=0.5)
    ok = result.status == "ok"
    np.testing.assert_array_equal(result.alarm[ok], y[ok] > result.upperbound[ok])
    assert result.alarm[200:206].any()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"baseline": 2}, "baseline of at least 3"),
        ({"min_sigma": -1}, "min_sigma must be >= 0"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
    ],
)
def test_bad_parameters(params: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        detect(None, [1] * 20, "ears-c2", **params)


def test_short_series_has_no_evaluated_point() -> None:
    frame = detect(None, [1, 2, 3], "ears-c3")
    assert frame["status"].to_list() == ["short_history"] * 3
    assert frame["note"][0] == "EARS C3 needs 11 earlier points"
    assert frame["upperbound"].null_count() == 3
