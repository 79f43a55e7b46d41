"""One module per `hhl` sub-command; each defines `register(subparsers)` and is found by name.

The options several commands share are added here, so that they read and behave alike.
"""

from __future__ import annotations

import argparse

HOME_HELP = "HHL_HOME to use (default: $HHL_HOME or data/)"
SCALES = ("tiny", "small", "city")


def add_home_option(parser: argparse.ArgumentParser, help: str = HOME_HELP) -> None:
    """--home: the HHL_HOME a command reads and writes (default: $HHL_HOME or data/)."""
    parser.add_argument("--home", help=help)


def add_scale_option(parser: argparse.ArgumentParser, default: str) -> None:
    """--scale: which simulated Hanoi, tiny (30 facilities), small (300) or city (15,271)."""
    parser.add_argument("--scale", default=default, choices=SCALES)


def add_series_columns_options(parser: argparse.ArgumentParser) -> None:
    """--date-column and --count-column: where `hhl detect` and `hhl forecast` find the series in
    their input CSV (read with `series_date_column`)."""
    parser.add_argument(
        "--date-column",
        help="column of YYYY-MM-DD dates (default: 'date' if present, else the series is undated)",
    )
    parser.add_argument("--count-column", default="observed", help="default: observed")


def series_date_column(args: argparse.Namespace) -> str | None:
    """--date-column, else 'date' when the input CSV (--input) has such a column, else None (an
    undated series)."""
    if args.date_column:
        return args.date_column
    import polars as pl

    try:
        header = pl.read_csv(args.input, n_rows=0).columns
    except (OSError, pl.exceptions.PolarsError):
        return None  # read_series_csv reports the unreadable file
    return "date" if "date" in header else None
