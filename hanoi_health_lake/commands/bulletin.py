"""`hhl bulletin`: write the outbreak bulletin of one service day as a self-contained HTML file."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from hanoi_health_lake.commands import add_home_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bulletin",
        help="write the outbreak bulletin of a day (HHL_HOME/reports/bulletin-<date>.html)",
        description=(
            "Render the early-warning bulletin of --date from the warehouse's marts "
            "(mart_outbreak_signals_daily, mart_facility_silence_daily), as the other reports "
            "are: current alarms with their 28-day trend, wards affected, and the facilities "
            "that sent no data, whose wards' low counts must not be read as no outbreak. "
            "Vietnamese with an English toggle; one HTML file with the reports' header and "
            "style, working offline. The day must have been run first (`hhl run --from D --to D` "
            "builds the marts)."
        ),
    )
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    add_home_option(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.reports.build import write_bulletin
    from hanoi_health_lake.reports.bulletin import NoSignals

    try:
        out = write_bulletin(hhl_home(args.home), args.date)
    except (NoSignals, FileNotFoundError) as exc:
        print(f"hhl bulletin: error: {exc}", file=sys.stderr)
        return 2
    print(f"bulletin written to {out}")
    return 0
