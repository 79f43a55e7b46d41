"""`hhl run`: ingest service days and build the marts, in-process."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from hanoi_health_lake.commands import add_home_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="ingest service days (bronze → silver → quarantine), then build the DuckDB marts",
        description=(
            "For each day from --from to --to (inclusive), run `ingest_job`: read the landing "
            "zone and registry under HHL_HOME, validate every record, and write the day's "
            "bronze, silver and quarantine Delta tables; it prints what was delivered, accepted "
            "and quarantined. Then run `marts_job` over the ingested days (up to 31 days a run): "
            "reference data, every DuckDB mart in HHL_HOME/warehouse/ and the surveillance "
            "signals. Each run is a Dagster run on the instance under HHL_HOME/dagster, named by "
            "its job; reruns replace the days' partitions. The reports are written by "
            "`hhl report --date D` afterwards."
        ),
    )
    parser.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    add_home_option(parser)
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
    print(run_summary(runs, args.home))
    return 1 if any(not r.success for r in runs) else 0


def run_summary(runs, home: str | None = None) -> str:
    """The closing lines: days ingested and their totals, failures, and what to run next."""
    days = [r for r in runs if r.scope == "day"]
    ok = [r for r in days if r.success]
    totals = {k: sum(r.counts.get(k, 0) for r in ok) for k in ("delivered", "accepted")}
    totals["quarantined"] = sum(r.counts.get("quarantined", 0) for r in ok)
    marts = [r for r in runs if r.scope == "marts"]
    lines = [
        f"hhl run: {len(ok)} of {len(days)} days ingested: delivered {totals['delivered']:,}, "
        f"accepted {totals['accepted']:,}, quarantined {totals['quarantined']:,}; marts "
        + ("built" if marts and all(r.success for r in marts) else "NOT built")
    ]
    for r in runs:
        if not r.success:
            what = f"day {r.service_date}" if r.scope == "day" else f"marts up to {r.service_date}"
            lines.append(f"  {what} FAILED: run {r.run_id} ({r.job}) in the Dagster UI")
    built = [r for r in marts if r.success]
    if built:
        last = max(r.service_date for r in built)
        where = f" --home {home}" if home else ""
        lines.append(f"next: hhl report --date {last}{where}   (coverage report and dashboard)")
    return "\n".join(lines)
