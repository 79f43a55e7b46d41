"""`hhl run`: ingest service days in-process."""

from __future__ import annotations

import argparse
import sys
from datetime import date


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="ingest service days (bronze → silver → quarantine) in-process",
        description=(
            "Materialise the daily partitions from --from to --to (inclusive): read the landing "
            "zone and registry under HHL_HOME, validate every record, and write the Delta lake "
            "there. Each day is one Dagster run on the instance under HHL_HOME/dagster; reruns "
            "replace the day's partitions."
        ),
    )
    parser.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    parser.add_argument("--home", help="HHL_HOME to use (default: $HHL_HOME or data/)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from hanoi_health_lake.automation.inprocess import run_days
    from hanoi_health_lake.automation.stopping import RunStopped
    from hanoi_health_lake.config import hhl_home

    try:
        runs = run_days(hhl_home(args.home), args.first, args.last)
    except RunStopped as stopped:
        print(f"hhl run: {stopped}; no further days or marts were run", file=sys.stderr)
        return stopped.exit_code
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"hhl run: error: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in runs if not r.success]
    for r in failed:
        print(f"day {r.service_date} failed: see run {r.run_id} in the Dagster UI")
    return 1 if failed else 0
