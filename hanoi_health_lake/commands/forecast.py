"""`hhl forecast`: forecast a count series from a CSV file, or backtest the methods on it."""

from __future__ import annotations

import argparse
import sys

from hanoi_health_lake.commands import add_series_columns_options, series_date_column
from hanoi_health_lake.forecasting.methods import AUTO, METHOD_NAMES, METHODS

DESCRIPTION = """\
Forecast one count series (e.g. daily encounters of a hospital, weekly dengue cases) H points
ahead with prediction intervals, using statsforecast. Input: a CSV with a count column and,
optionally, a date column of consecutive days or weeks (an undated series needs --frequency).
Output: one row per future point: date (or index), step, forecast, lo_<L>, hi_<L> per --level,
method. Counts are never negative. --method auto (default) picks, per series, the method with the
lowest error on a backtest of the series' own history and says which.

With --backtest: a rolling-origin backtest over the last --windows horizons, refitting at each
origin; writes per method MAE, MASE (against the in-sample seasonal-naive error), MAE relative to
the seasonal-naive forecast (weekly season for daily data, yearly for weekly data), bias and the
share of observed points inside each interval. `auto` is chosen on the history before the first
window only, so its figures are honest.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "forecast",
        help="forecast a count series with intervals, or backtest the methods on it",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--input", required=True, help="CSV file with the series")
    parser.add_argument("--output", required=True, help="CSV file to write")
    parser.add_argument("--horizon", type=int, required=True, help="points ahead")
    add_series_columns_options(parser)
    parser.add_argument(
        "--frequency",
        choices=["day", "week"],
        help="step of an undated series (a dated one's is inferred and must agree)",
    )
    parser.add_argument(
        "--level", default="80,95", help="interval levels in percent, comma-separated (80,95)"
    )
    parser.add_argument(
        "--method",
        default=AUTO,
        help=f"{', '.join(METHOD_NAMES)}; with --backtest a comma-separated list "
        f"(default: auto and every method but arima and theta)",
    )
    parser.add_argument("--backtest", action="store_true", help="evaluate instead of forecasting")
    parser.add_argument("--windows", type=int, default=8, help="backtest windows (8)")
    parser.add_argument(
        "--points", help="with --backtest: also write every backtest point to this CSV"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hanoi_health_lake.forecasting.engine import ForecastError
    from hanoi_health_lake.surveillance import SeriesError, read_series_csv

    try:
        levels = _levels(args.level)
        methods = _methods(args.method, args.backtest)
        series = read_series_csv(args.input, series_date_column(args), args.count_column)
        if args.backtest:
            return _backtest(args, series, methods, levels)
        result = _forecast(args, series, methods[0], levels)
    except (SeriesError, ForecastError, ValueError) as exc:
        print(f"hhl forecast: error: {exc}", file=sys.stderr)
        return 2
    return result


def _levels(text: str) -> list[int]:
    try:
        levels = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise ValueError(f"--level {text!r}: give whole percentages such as 80,95") from None
    if not levels or any(not 0 < lv < 100 for lv in levels):
        raise ValueError(f"--level {text!r}: each level must lie between 0 and 100")
    return levels


def _methods(text: str, backtest: bool) -> list[str]:
    if backtest and text == AUTO:
        return [AUTO, *(m for m in METHODS if m not in ("arima", "theta"))]
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [n for n in names if n not in METHOD_NAMES]
    if unknown:
        raise ValueError(
            f"unknown method {', '.join(unknown)}; choose from {', '.join(METHOD_NAMES)}"
        )
    if not backtest and len(names) != 1:
        raise ValueError("a forecast takes one --method (a list is for --backtest)")
    return names


def _forecast(args, series, method: str, levels: list[int]) -> int:
    from hanoi_health_lake.forecasting.single import forecast_one

    result = forecast_one(series, args.horizon, method, levels, args.frequency)
    result.frame.to_csv(args.output, index=False)
    print(
        f"forecast: {args.horizon} points by {result.method} ({result.note}) -> {args.output}",
        file=sys.stderr,
    )
    return 0


def _backtest(args, series, methods: list[str], levels: list[int]) -> int:
    from hanoi_health_lake.forecasting.single import backtest_one

    metrics, points, chosen = backtest_one(
        series, args.horizon, args.windows, methods, levels, args.frequency
    )
    metrics.to_csv(args.output, index=False)
    if args.points:
        points.to_csv(args.points, index=False)
    coverage = [f"coverage_{lv}" for lv in levels]
    shown = metrics[
        ["method", "windows", "points", "mae", "mase", "relative_mae", "bias", *coverage]
    ]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if chosen:
        print(f"auto chose {chosen} on the history before the first window", file=sys.stderr)
    print(f"backtest -> {args.output}", file=sys.stderr)
    return 0
