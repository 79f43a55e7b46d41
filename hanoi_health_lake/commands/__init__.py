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
