"""`hhl replay`: move a simulated day's exports into landing at their export times."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from hanoi_health_lake.commands import add_home_option


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "replay",
        help="land a simulated day's exports at their export times, S times faster than real",
        description=(
            "Copy the files of service day --day from --source (a simulated HHL_HOME, e.g. "
            "written by `hhl simulate --out`) into HHL_HOME/landing at their export times, "
            "--speed times faster than real, and log each arrival (HHL_HOME/arrivals/) for the "
            "arrivals sensor. Replays exports up to --until (default: the end of the day after "
            "--day). Copies the registry too when HHL_HOME has none."
        ),
    )
    p.add_argument("--day", type=date.fromisoformat, required=True, help="service day")
    p.add_argument("--speed", type=float, default=60.0, help="times faster than real (60)")
    p.add_argument("--source", type=Path, required=True, help="simulated home to replay from")
    p.add_argument("--until", type=datetime.fromisoformat, help="last export time replayed")
    add_home_option(p, help="HHL_HOME (default: $HHL_HOME or data/)")
    p.add_argument("--quiet", action="store_true", help="no line per landing")
    p.set_defaults(func=_replay)


def _replay(args: argparse.Namespace) -> int:
    import shutil

    from hanoi_health_lake.config import hhl_home, registry_path
    from hanoi_health_lake.realtime.replay import replay

    home = hhl_home(args.home)
    source = args.source.resolve()
    if not registry_path(home).exists() and registry_path(source).exists():
        shutil.copytree(registry_path(source).parent, registry_path(home).parent)
    say = None if args.quiet else (lambda line: print(f"[hhl replay] {line}", file=sys.stderr))
    n = replay(source / "landing", home, args.day, args.speed, until=args.until, say=say)
    print(f"[hhl replay] {n} files of {args.day} landed", file=sys.stderr)
    return 0 if n else 1
