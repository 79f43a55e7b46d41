"""`hhl`: the one command line for what is not a Dagster UI action.

Each sub-command lives in `hanoi_health_lake/commands/<name>.py` with a `register(subparsers)`
function that adds its parser and sets `func`; this module only finds and wires them, so adding a
command never touches this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from typing import NoReturn

from hanoi_health_lake import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hhl",
        description=(
            "hanoi-health-lake: simulate facility exports, ingest them into the Delta lake, "
            "build the DuckDB marts, reports and outbreak warnings. Everything is written under "
            "HHL_HOME (default: data/ in the checkout)."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


def entry() -> NoReturn:
    """The `hhl` program: `main`, leaving with its status through exit_guard (a native thread
    pool torn down at interpreter exit must not turn finished work into status 134)."""
    from hanoi_health_lake.exit_guard import run_and_exit

    run_and_exit(main)


if __name__ == "__main__":
    entry()
