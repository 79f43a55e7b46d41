"""`hhl simulate`: write a simulated city's facility exports, registry and ground truth."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

DESCRIPTION = """\
Simulate Hanoi's medical facilities exporting their records to the warehouse. Writes under OUT
(default: HHL_HOME):
  registry/facilities.csv  the Department's facility registry
  landing/<facility>/<service_date>/<dataset>__<export_ts>[.<part>].<ext>
                           the exports: FHIR Bundle or NDJSON, QĐ 130 CSV or XML
                           dossier (hoso__<export_ts>.xml) with check-ins
                           (checkin__<export_ts>.xml), DICOM (docs/landing-formats.md)
  registry/certificates/   the dossier senders' certificates, from simulator test keys
                           made at simulate time (never real)
By default hospitals send XML as their profiles say (every public hospital, two private
hospitals in three); --no-xml keeps every facility on CSV or FHIR.
  ground_truth/            manifest.json, faults.csv, clean_counts.csv, deliveries.csv,
                           silences.csv: what a correct pipeline must find
The same arguments always write byte-identical files. A city-scale day is about 100,000
encounters from some 15,000 facilities.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="write simulated facility exports, registry and ground truth",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2026, 3, 1),
        help="first service day, YYYY-MM-DD (default: 2026-03-01)",
    )
    p.add_argument("--days", type=int, default=7, help="number of service days (default: 7)")
    p.add_argument(
        "--scale",
        choices=("tiny", "small", "city"),
        default="small",
        help="tiny: 30 facilities, small: 300, city: 15,271 (default: small)",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: HHL_HOME)")
    p.add_argument(
        "--fault-rate",
        type=float,
        default=0.01,
        help="share of files, and of records, with a fault (default: 0.01)",
    )
    xml = p.add_mutually_exclusive_group()
    xml.add_argument(
        "--xml-share",
        type=float,
        default=None,
        help="share of hospitals (public first) sending signed QĐ 130 XML dossiers and "
        "check-ins instead of their CSV or FHIR exports (default: by facility profile)",
    )
    xml.add_argument(
        "--no-xml",
        dest="xml_share",
        action="store_const",
        const=0.0,
        help="no facility sends XML (the same as --xml-share 0)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: 1 for tiny, else up to 2)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace registry/, landing/ and ground_truth/ under OUT",
    )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


class _Progress:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        pct = 100 * done // total
        if self.tty:
            print(f"\rsimulate: {done}/{total} facilities ({pct}%)", end="", file=sys.stderr)
            if done == total:
                print(file=sys.stderr)
        elif pct // 10 != self.last // 10 or done == total:
            print(f"simulate: {done}/{total} facilities ({pct}%)", file=sys.stderr)
        self.last = pct


def run(args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.simulator.run import OutputExists, simulate

    out = hhl_home(args.out)
    started = time.perf_counter()
    try:
        summary = simulate(
            args.start,
            args.days,
            args.scale,
            args.seed,
            out,
            args.fault_rate,
            workers=args.workers,
            replace=args.replace,
            progress=None if args.quiet else _Progress(),
            xml_share=args.xml_share,
        )
    except (OutputExists, ValueError) as exc:
        print(f"hhl simulate: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    print(f"Simulated {args.days} day(s) from {args.start} at {args.scale} scale into {out}")
    print(
        f"  {summary.facilities} facilities, {summary.faults} injected faults, "
        f"{summary.outbreaks} outbreak(s), {elapsed:.1f} s"
    )
    for fmt, files in summary.files.items():
        print(f"  {fmt:<12} {files:>8} files {summary.records[fmt]:>10} records")
    return 0
