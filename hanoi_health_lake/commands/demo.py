"""`hhl demo`: the newcomer's tour — simulate a small week, ingest it, summarise."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from hanoi_health_lake.commands import add_home_option, add_scale_option

DEMO_START = date(2026, 3, 1)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="simulate a small week of Hanoi exports, ingest it, print what landed where",
        description=(
            "Simulate --days service days of a small Hanoi (about 300 facilities) into HHL_HOME, "
            "ingest every day through the Dagster assets on the embedded SQLite instance, and "
            "print per dataset what was delivered, accepted, quarantined and superseded. Safe to "
            "run again: the simulation is deterministic and reruns replace the same partitions."
        ),
    )
    add_scale_option(parser, default="small")
    parser.add_argument("--days", type=int, default=7)
    add_home_option(parser, help="HHL_HOME (default: $HHL_HOME or data/)")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from hanoi_health_lake.automation.inprocess import run_days
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.pipeline.summary import ingest_summary
    from hanoi_health_lake.simulator.run import simulate

    home = hhl_home(args.home)
    last = DEMO_START + timedelta(days=args.days - 1)
    print(f"1/2 simulating {args.days} days of {args.scale}-scale Hanoi exports into {home}")
    summary = simulate(DEMO_START, args.days, args.scale, seed=1, out=home, replace=True)
    print(f"    {summary.facilities} facilities, {summary.faults} injected faults")
    print(f"2/2 ingesting {DEMO_START} … {last} (Dagster instance: {home / 'dagster'})")
    runs = run_days(home, DEMO_START, last, create_key=True)
    print()
    print(ingest_summary(home, [r.service_date for r in runs if r.scope == "day"]))
    failed = [r for r in runs if not r.success]
    if not failed:
        from hanoi_health_lake.assets.reports import record_report
        from hanoi_health_lake.reports import day_period, write_reports

        files = write_reports(home, day_period(last))
        record_report(home, day_period(last), files, by="hhl demo")
        print()
        print("Reports for managers (open in a browser; Excel beside them):")
        print(f"  coverage:  {files.coverage_html}")
        print(f"  dashboard: {files.dashboard_html}")
        from hanoi_health_lake.health_book.summary import feed_summary

        print()
        print(feed_summary(home, [r.service_date for r in runs if r.scope == "day"]))
    for r in failed:
        print(f"{r.scope} {r.service_date} FAILED: run {r.run_id}")
    return 1 if failed else 0
