"""Outbreak signals: the detection method run on every group's city and ward series.

History. A series runs over the consecutive days that have counts; a day without counts (not
computed) breaks it, and the history of day D is the number of days before D in its run. With
method "auto" `choose_method` picks by that length (EARS from 7 days, Noufaily from 1,830);
with a named method, days whose history is too short for it get status short_history and never
alarm. Either way `why` says which method ran and why.

Incomplete data. A signal is `computed_on_incomplete_data` when its geography's reporting share
(see reporting.py) was below the threshold that day: its count may be missing reports rather
than few cases, so its quiet must never be read as "no outbreak" (the bulletin lists such
geographies as "no conclusion", not as "no alarm"). `baseline_incomplete_days` counts the
incomplete days the method's baseline reached back over: a depressed baseline lowers the
threshold, so such an alarm may be reports coming back rather than disease. Either way the
signal is still computed and an alarm still raised.

Thresholds below the expected count. The textbook C3 (and R's) alarms on a day whose two previous
days' excesses already sum above z, whatever the day's own count (it need only be above 0): the
day has no threshold of its own, and the method reports 0 (R's form: a bound that may fall below
the baseline mean). Published as such, "threshold 0,0" under "expected 4,1" reads as an error. So
a bound below the expected count is published as NULL, and `why` says the alarm is carried over
from the two previous days (CARRIED_NOTE); no published bound is ever below its expected count.

Publication. Ward-level observed counts from 1 to suppress_below − 1 carry `suppressed`; the
table keeps the exact number, which the alarm logic needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import polars as pl

from hanoi_health_lake.lake.catalog import polars_schema
from hanoi_health_lake.outbreaks.cases import GEOGRAPHY_KEY, WARD
from hanoi_health_lake.outbreaks.reporting import COMPLETENESS_SCHEMA
from hanoi_health_lake.outbreaks.settings import AUTO, OutbreakSettings
from hanoi_health_lake.surveillance import METHODS, Series, choose_method
from hanoi_health_lake.surveillance.methods import (
    EARS_MIN_HISTORY_DAYS,
    FARRINGTON_MIN_HISTORY_DAYS,
)
from hanoi_health_lake.surveillance.result import SHORT_HISTORY

SIGNAL_SCHEMA = polars_schema("outbreak_signals")  # declared in lake/catalog.py
# Days before t an EARS statistic looks at (C3 sums the C2 of t−2..t, each with a 9-day reach).
BASELINE_REACH = {"ears-c1": 7, "ears-c2": 9, "ears-c3": 11, "ears-c3-r": 11}
_EARS = tuple(BASELINE_REACH)
CARRIED_NOTE = (
    "; no threshold of its own today: the statistic of the previous days already exceeds the "
    "method's limit (for EARS C3, the two previous days' excesses), so any case today keeps the "
    "alarm (carried over)"
)
_DEFAULT_REACH = 7


def history_needed(settings: OutbreakSettings) -> int:
    """Days of counts before D worth reading for a signal on D."""
    if settings.method in (AUTO, "farrington", "noufaily"):
        # b = 5 years of reference windows plus the half window and a margin for leap days.
        return FARRINGTON_MIN_HISTORY_DAYS + 7
    return max(BASELINE_REACH.get(settings.method, 0), EARS_MIN_HISTORY_DAYS) + 7


def method_for(history_days: int, settings: OutbreakSettings) -> tuple[str | None, str]:
    """The method that runs on a day with `history_days` of history, and why."""
    if settings.method == AUTO:
        return choose_method(history_days)
    return settings.method, f"configured method; {history_days} days of history"


def method_params(method: str, settings: OutbreakSettings, group: str) -> dict[str, object]:
    """The settings that apply to `method` on `group`'s series (Farrington keeps its own)."""
    if method not in _EARS:
        return {}
    params: dict[str, object] = {
        "min_sigma": settings.group_min_sigma.get(group, settings.min_sigma)
    }
    if settings.alpha is not None:
        params["alpha"] = settings.alpha
    return params


def compute_signals(
    counts: pl.DataFrame,
    days: Sequence[date],
    settings: OutbreakSettings,
    completeness: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Signals (SIGNAL_SCHEMA) for each series of `counts` on each of `days`.

    `counts`: case_counts rows (service_date, group_id, geo_level, ward_code, cases) covering
    `days` and their history; `completeness`: reporting_completeness rows covering `days` and
    their baselines (None: treated as complete).
    """
    present = sorted(set(counts["service_date"].to_list()))
    missing = sorted(set(days) - set(present))
    if missing:
        raise ValueError(f"no case counts for {', '.join(d.isoformat() for d in missing)}")
    keys, matrix = _series_matrix(counts, present)
    parts = []
    for run in _runs(present):
        targets = [d for d in days if run[0] <= d <= run[-1]]
        if targets:
            parts.append(_signals_in_run(keys, matrix, present, run, targets, settings))
    signals = pl.concat(parts) if parts else pl.DataFrame(schema=SIGNAL_SCHEMA)
    return _with_reporting(signals, completeness, settings).select(list(SIGNAL_SCHEMA))


def _series_matrix(counts: pl.DataFrame, present: list[date]) -> tuple[pl.DataFrame, np.ndarray]:
    """The series keys (sorted) and a keys × days matrix of counts (0 where a row is missing)."""
    keys = (
        counts.select(GEOGRAPHY_KEY)
        .unique()
        .sort(list(GEOGRAPHY_KEY), nulls_last=False)
        .with_row_index("_row")
    )
    position = {d: i for i, d in enumerate(present)}
    located = counts.join(keys, on=list(GEOGRAPHY_KEY), nulls_equal=True).with_columns(
        _col=pl.col("service_date").replace_strict(position, return_dtype=pl.Int64)
    )
    matrix = np.zeros((keys.height, len(present)))
    matrix[located["_row"].to_numpy(), located["_col"].to_numpy()] = located["cases"].to_numpy()
    return keys.drop("_row"), matrix


def _runs(present: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in present:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _signals_in_run(
    keys: pl.DataFrame,
    matrix: np.ndarray,
    present: list[date],
    run: list[date],
    targets: list[date],
    settings: OutbreakSettings,
) -> pl.DataFrame:
    first = present.index(run[0])
    block = matrix[:, first : first + len(run)]
    by_method: dict[str | None, list[tuple[date, str, int]]] = {}
    for day in targets:
        history = (day - run[0]).days
        method, why = method_for(history, settings)
        by_method.setdefault(method, []).append((day, why, history))
    parts = []
    for method, chosen in by_method.items():
        if method is None:
            parts.append(_not_evaluated(keys, block, run, chosen))
        else:
            parts.append(_evaluated(keys, block, run, chosen, method, settings))
    return pl.concat(parts, how="diagonal_relaxed")


def _day_facts(chosen: list[tuple[date, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "service_date": [d for d, _, _ in chosen],
            "why": [w for _, w, _ in chosen],
            "history_days": [h for _, _, h in chosen],
        },
        schema={"service_date": pl.Date, "why": pl.Utf8, "history_days": pl.Int64},
    )


def _not_evaluated(
    keys: pl.DataFrame, block: np.ndarray, run: list[date], chosen: list[tuple[date, str, int]]
) -> pl.DataFrame:
    columns = [run.index(d) for d, _, _ in chosen]
    return keys.join(_day_facts(chosen), how="cross").with_columns(
        observed=pl.Series(block[:, columns].ravel()).cast(pl.Int64),
        expected=pl.lit(None, pl.Float64),
        upperbound=pl.lit(None, pl.Float64),
        alarm=pl.lit(False),
        method=pl.lit(None, pl.Utf8),
        status=pl.lit(SHORT_HISTORY),
    )


def _evaluated(
    keys: pl.DataFrame,
    block: np.ndarray,
    run: list[date],
    chosen: list[tuple[date, str, int]],
    method: str,
    settings: OutbreakSettings,
) -> pl.DataFrame:
    """`method` on every series of the run, kept at the chosen days.

    Calls the method registry directly rather than `detect_series` once per series: the counts
    come checked from case_counts, and a frame per series would cost more than the method.
    """
    spec = METHODS[method]
    columns = [run.index(d) for d, _, _ in chosen]
    dates = tuple(run)
    step = "day" if len(run) > 1 else None
    shape = (block.shape[0], len(columns))
    expected, upperbound = np.empty(shape), np.empty(shape)
    alarm, status = np.zeros(shape, dtype=bool), np.empty(shape, dtype=object)
    notes: dict[str, str] = {}
    labels = []
    for row, group in enumerate(keys["group_id"].to_list()):
        params = method_params(method, settings, group)
        result = spec.run(Series(block[row], dates, step), columns[0], **params)
        expected[row], upperbound[row] = result.expected[columns], result.upperbound[columns]
        alarm[row], status[row] = result.alarm[columns], result.status[columns]
        notes.update(result.notes)
        settings_note = ", ".join(f"{k} {v}" for k, v in params.items())
        labels += [f"; {method}" + (f" ({settings_note})" if settings_note else "")] * len(columns)
    flat_status = status.ravel().astype(str)
    # A bound under the expected count is no threshold (see the module doc): withheld, explained.
    with np.errstate(invalid="ignore"):
        carried = (upperbound < expected).ravel()
    bounds = np.where(carried, np.nan, upperbound.ravel())
    return keys.join(_day_facts(chosen), how="cross").with_columns(
        observed=pl.Series(block[:, columns].ravel()).cast(pl.Int64),
        expected=pl.Series(expected.ravel(), nan_to_null=True),
        upperbound=pl.Series(bounds, nan_to_null=True),
        alarm=pl.Series(alarm.ravel()),
        method=pl.lit(method),
        status=pl.Series(flat_status),
        why=pl.col("why")
        + pl.Series(labels, dtype=pl.Utf8)
        + pl.Series([f"; {notes[x]}" if x in notes else "" for x in flat_status])
        + pl.Series([CARRIED_NOTE if c else "" for c in carried], dtype=pl.Utf8),
    )


def _with_reporting(
    signals: pl.DataFrame, completeness: pl.DataFrame | None, settings: OutbreakSettings
) -> pl.DataFrame:
    suppressed = (
        (pl.col("geo_level") == WARD)
        & (pl.col("observed") > 0)
        & (pl.col("observed") < settings.suppress_below)
    )
    places = ["geo_level", "ward_code"]
    key = ["service_date", *places]
    if completeness is None:
        completeness = pl.DataFrame(schema=COMPLETENESS_SCHEMA)
    incomplete = completeness.filter(pl.col("is_incomplete")).select(
        *places, incomplete_day="service_date"
    )
    reach = pl.col("method").replace_strict(
        BASELINE_REACH, default=_DEFAULT_REACH, return_dtype=pl.Int64
    )
    in_baseline = (
        signals.select(*key, "method")
        .unique()
        .join(incomplete, on=places, nulls_equal=True)
        .filter(
            pl.col("incomplete_day").is_between(
                pl.col("service_date") - pl.duration(days=reach),
                pl.col("service_date"),
                closed="left",
            )
        )
        .group_by(key)
        .agg(baseline_incomplete_days=pl.len().cast(pl.Int64))
    )
    today = completeness.select(
        *key, "reporting_share", computed_on_incomplete_data="is_incomplete"
    )
    return (
        signals.join(today, on=key, how="left", nulls_equal=True)
        .join(in_baseline, on=key, how="left", nulls_equal=True)
        .with_columns(
            pl.col("computed_on_incomplete_data").fill_null(False),
            pl.col("baseline_incomplete_days").fill_null(0),
            suppressed=suppressed,
        )
        .cast(SIGNAL_SCHEMA)
    )


def evaluation_days(day: date, settings: OutbreakSettings) -> list[date]:
    """The days of counts a signal on `day` may read (history and the day)."""
    return [day - timedelta(days=k) for k in range(history_needed(settings), -1, -1)]
