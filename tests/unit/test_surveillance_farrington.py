"""Farrington/Noufaily building blocks: reference points, seasonal levels, the GLM, the rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from hanoi_health_lake.surveillance import detect, read_series_csv
from hanoi_health_lake.surveillance.farrington import reference_date, season_levels
from hanoi_health_lake.surveillance.glm import fit_quasi_poisson

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveillance"
D = dt.date


def test_daily_reference_dates_are_calendar_years_back() -> None:
    refs = [reference_date(D(2024, 2, 29), i, weekly=False) for i in range(6)]
    assert refs == [
        D(2024, 2, 29),
        D(2023, 3, 1),  # no 29 February: R rolls over to 1 March
        D(2022, 3, 1),
        D(2021, 3, 1),
        D(2020, 2, 29),
        D(2019, 3, 1),
    ]


def test_weekly_reference_dates_snap_to_the_nearest_same_weekday() -> None:
    # 2010-11-07 is a Sunday: the Monday after (1 day) beats the Monday before (6 days).
    assert reference_date(D(2011, 11, 7), 1, weekly=True) == D(2010, 11, 8)
    # 2016-01-02 is a Saturday: the Monday after (2 days) beats the Monday before (5 days).
    assert reference_date(D(2017, 1, 2), 1, weekly=True) == D(2016, 1, 4)
    # 2015-01-02 is a Friday: the Monday after (3 days) beats the Monday before (4 days).
    assert reference_date(D(2017, 1, 2), 2, weekly=True) == D(2015, 1, 5)


def test_season_levels_split_gaps_into_blocks() -> None:
    levels = season_levels([110, 58, 6], w=3, no_periods=4)
    assert (levels[3:10] == 4).all() and (levels[55:62] == 4).all() and (levels[107:] == 4).all()
    # 45 points between windows -> three blocks of 15, levels 1, 2, 3.
    assert levels[10:55].tolist() == [1] * 15 + [2] * 15 + [3] * 15
    assert levels[62:107].tolist() == [1] * 15 + [2] * 15 + [3] * 15
    assert (levels[:3] == 0).all()
    uneven = season_levels([111, 58, 6], w=3, no_periods=4)  # 46 points: first block longer
    assert uneven[62:108].tolist() == [1] * 16 + [2] * 15 + [3] * 15
    only_windows = season_levels([110, 58, 6], w=3, no_periods=1)
    assert np.flatnonzero(only_windows).tolist() == [
        *range(3, 10),
        *range(55, 62),
        *range(107, 111),
    ]


def test_glm_reaches_closed_form_maximum_likelihood() -> None:
    y = np.array([0, 3, 1, 4, 2, 7, 5, 9, 6, 8], dtype=float)
    group = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], dtype=float)
    fit = fit_quasi_poisson(np.column_stack([np.ones(10), group]), y)
    assert fit.converged
    # Poisson MLE with a two-level factor: fitted means are the group means.
    np.testing.assert_allclose(fit.mu, np.where(group == 1, 7.0, 2.0), rtol=1e-9)
    # R's dispersion uses the working weights of the last iteration's start, hence rel 1e-5.
    pearson = np.sum((y - fit.mu) ** 2 / fit.mu) / 8
    assert fit.dispersion() == pytest.approx(pearson, rel=1e-5)
    # Prior weights: weighted group means.
    weights = np.linspace(0.5, 1.5, 10)
    weighted = fit_quasi_poisson(np.column_stack([np.ones(10), group]), y, weights)
    first = np.sum(weights[:5] * y[:5]) / weights[:5].sum()
    assert weighted.mu[0] == pytest.approx(first, rel=1e-9)
    assert weighted.hat.sum() == pytest.approx(2.0)  # trace of the hat matrix = parameters


def test_low_counts_never_alarm_but_keep_a_bound() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(52 * 6) < 0.1).astype(float)  # about 0.4 cases in 4 weeks
    y[-1] = 3  # a jump that is unusual, yet under the 5-cases-in-4-weeks rule
    frame = detect(None, y.tolist(), "farrington", frequency=52, evaluate_from=52 * 6 - 4)
    assert frame["status"].to_list() == ["low_counts"] * 4
    assert not frame["alarm"].any()
    assert frame["upperbound"].null_count() == 0
    assert frame["upperbound"][-1] < 3  # it would alarm but for the rule


def test_evaluate_from_a_date_skips_earlier_points() -> None:
    series = read_series_csv(FIXTURES / "series_weekly.csv", "date", "observed")
    frame = detect(series.dates, series.counts, "noufaily", evaluate_from="2013-12-01")
    assert frame["date"][0] == D(2013, 12, 2)
    assert frame.height == len(series) - frame["index"][0]
    assert (frame["status"] == "ok").sum() > 0


def test_parameter_errors() -> None:
    with pytest.raises(ValueError, match="undated series needs its frequency"):
        detect(None, [1] * 400, "noufaily")
    with pytest.raises(ValueError, match="no_periods=10 needs at least 9 points between"):
        detect(None, [1] * 80, "noufaily", frequency=12)
    with pytest.raises(ValueError, match="noufaily takes no parameter k"):
        detect(None, [1] * 80, "noufaily", k=1.0)
    with pytest.raises(ValueError, match="need b >= 1"):
        detect(None, [1] * 80, "farrington", frequency=12, b=0)
