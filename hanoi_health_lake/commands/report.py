"""`hhl report`: write a service day's (or week's) coverage report and city dashboard."""

from __future__ import annotations

import argparse
from datetime import date

from hanoi_health_lake.commands import add_home_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the facility coverage report and city dashboard (HTML + Excel) for a day",
        description=(
            "Read the DuckDB warehouse under HHL_HOME (its marts must be built for the days) and "
            "write two pages for managers and leaders: the facility coverage report (who is "
            "connected, on time, complete, against the city plan's phase targets; laggards; data "
            "quality and a feedback card per facility) and the city dashboard (activity, "
            "diagnoses, notifiable diseases by ward, prescribing, referrals, appointments). Each "
            "is a self-contained HTML file that works offline (Vietnamese, with an English "
            "toggle) and an Excel workbook with the same figures, under "
            "HHL_HOME/reports/daily/<date>/ (or weekly/<monday>/ with --week). The files are "
            "recorded as a materialisation of the asset coverage_report (or "
            "coverage_report_weekly) on the Dagster instance under HHL_HOME/dagster, as if the "
            "asset had run in the UI. If the marts lack the days, `hhl run --from D --to D` "
            "builds them."
        ),
    )
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="service day")
    add_home_option(parser)
    parser.add_argument(
        "--lang",
        choices=["vi", "en"],
        default="vi",
        help="language the pages open in and the workbooks are written in (default: vi)",
    )
    parser.add_argument(
        "--week",
        action="store_true",
        help="report the Monday-to-Sunday week holding --date instead of the day",
    )
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from hanoi_health_lake.assets.reports import record_report
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.reports import NoCoverageData, day_period, week_period, write_reports

    home = hhl_home(args.home)
    period = week_period(args.date) if args.week else day_period(args.date)
    try:
        files = write_reports(home, period, args.lang)
    except (NoCoverageData, FileNotFoundError) as err:
        print(f"hhl report: {err}")
        return 1
    record_report(home, period, files)  # the report asset's materialisation, as from the UI
    for path in files.all():
        print(path)
    figures = files.headline
    print(
        f"{period.start} … {period.end}: {figures.get('facilities_expected')} facilities due, "
        f"connected {_pct(figures.get('connected_share'))}, on time "
        f"{_pct(figures.get('on_time_share'))}, complete {_pct(figures.get('complete_share'))}"
    )
    return 0


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.1%}"
