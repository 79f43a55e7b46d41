"""`hhl detect`: run one aberration-detection method on a count series from a CSV file."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from hanoi_health_lake.commands import add_series_columns_options, series_date_column

if TYPE_CHECKING:
    import polars as pl

METHOD_NAMES = ("ears-c1", "ears-c2", "ears-c3", "ears-c3-r", "cusum", "farrington", "noufaily")

DESCRIPTION = """\
Flag unusual counts in one series (e.g. daily dengue cases in a ward) the way the R package
`surveillance` does. Input: a CSV with a count column and, optionally, a date column of consecutive
days or weeks (the step is inferred). Output: one row per point with enough history: date (or
index), observed, expected, upperbound, alarm, status. Methods: ears-c1, ears-c2, ears-c3 (textbook
C3), ears-c3-r (C3 as R's earsC), cusum, farrington (1996 settings) and noufaily (2013 settings).
Parameters default to R's; an option a method does not use is an error.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="aberration detection (EARS, CUSUM, Farrington, Noufaily) on a count series",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--method", required=True, choices=METHOD_NAMES)
    parser.add_argument("--input", required=True, help="CSV file with the series")
    parser.add_argument("--output", required=True, help="CSV file to write")
    add_series_columns_options(parser)
    parser.add_argument(
        "--from",
        dest="evaluate_from",
        metavar="DATE_OR_INDEX",
        help="write points from this date (or 0-based index) on; earlier ones are history only",
    )
    ears = parser.add_argument_group("EARS and CUSUM")
    ears.add_argument(
        "--baseline", type=int, help="EARS baseline length (7); CUSUM points for m (7)"
    )
    ears.add_argument(
        "--alpha", type=float, help="EARS C1/C2 0.001, C3 0.025; Farrington/Noufaily 0.05"
    )
    ears.add_argument("--min-sigma", type=float, help="EARS floor on the baseline sd (0)")
    ears.add_argument("--k", type=float, help="CUSUM reference value (1.04)")
    ears.add_argument("--h", type=float, help="CUSUM decision interval (2.26)")
    ears.add_argument(
        "--reset", action="store_true", default=None, help="CUSUM: restart at 0 after an alarm"
    )
    farr = parser.add_argument_group("Farrington and Noufaily (defaults: 1996 / 2013 settings)")
    farr.add_argument("--b", type=int, help="years back (5)")
    farr.add_argument("--w", type=int, help="half window in points (3)")
    farr.add_argument("--no-periods", type=int, help="seasonal levels (1 / 10)")
    farr.add_argument(
        "--past-weeks-not-included", type=int, help="most recent points left out (w / 26)"
    )
    farr.add_argument("--weights-threshold", type=float, help="reweighting threshold (1 / 2.58)")
    farr.add_argument("--p-threshold-trend", type=float, help="keep trend below p (0.05 / 1)")
    farr.add_argument(
        "--frequency", type=int, help="points per year, needed for an undated series (e.g. 52)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hanoi_health_lake.surveillance import METHODS, SeriesError, detect_series, read_series_csv

    # Options are named after detect()'s parameters; some parameters have no option.
    every = dict.fromkeys(p for method in METHODS.values() for p in method.params)
    params = {name: getattr(args, name) for name in every if getattr(args, name, None) is not None}
    accepted = METHODS[args.method].params
    wrong = [name for name in params if name not in accepted]
    if wrong:
        return _fail(
            f"{', '.join(_flag(n) for n in wrong)} does not apply to {args.method} "
            f"(it takes {', '.join(_flag(n) for n in accepted if hasattr(args, n))})"
        )
    try:
        series = read_series_csv(args.input, series_date_column(args), args.count_column)
        frame = detect_series(
            series, args.method, evaluate_from=_position_or_date(args.evaluate_from), **params
        )
    except (SeriesError, ValueError) as exc:
        return _fail(str(exc))
    _write(frame, args.output, dated=series.dates is not None)
    _summarise(frame, args)
    return 0


def _position_or_date(value: str | None) -> int | str | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def _write(frame: pl.DataFrame, path: str, dated: bool) -> None:
    import polars as pl

    columns = ["date" if dated else "index", "observed", "expected", "upperbound", "alarm"]
    frame.filter(pl.col("status") != "short_history").select([*columns, "status"]).write_csv(path)


def _summarise(frame: pl.DataFrame, args: argparse.Namespace) -> None:
    import polars as pl

    evaluated = frame.filter(pl.col("status") != "short_history")
    skipped = frame.height - evaluated.height
    line = (
        f"{args.method}: {evaluated.height} points evaluated, {int(evaluated['alarm'].sum())} "
        f"alarms -> {args.output}"
    )
    if skipped:
        note = frame.filter(pl.col("status") == "short_history")["note"][0]
        line += f"; {skipped} points left out for lack of history ({note})"
    print(line, file=sys.stderr)


def _flag(param: str) -> str:
    return "--" + param.replace("_", "-")


def _fail(message: str) -> int:
    print(f"hhl detect: error: {message}", file=sys.stderr)
    return 2
