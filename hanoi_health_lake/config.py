"""Where the system writes: everything lives under HHL_HOME (default `data/` in the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEZONE = "Asia/Ho_Chi_Minh"


def hhl_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The root every command writes under; read when called, never at import time."""
    if override is not None:
        return Path(override).resolve()
    return Path(os.environ.get("HHL_HOME") or PROJECT_ROOT / "data").resolve()


def landing_dir(home: Path) -> Path:
    return home / "landing"


def registry_path(home: Path) -> Path:
    return home / "registry" / "facilities.csv"


def ground_truth_dir(home: Path) -> Path:
    return home / "ground_truth"


def lake_dir(home: Path) -> Path:
    return home / "lake"


def warehouse_path(home: Path) -> Path:
    """The engineers' warehouse: where models are built, row-level tables included (restricted)."""
    return home / "warehouse" / "hanoi_health.duckdb"


def analysts_warehouse_path(home: Path) -> Path:
    """The analysts' warehouse: the marts only (sqlmodels/publish.py keeps it in step)."""
    return home / "warehouse" / "hanoi_health_marts.duckdb"


def reports_dir(home: Path) -> Path:
    return home / "reports"
