"""Where the system writes (everything lives under HHL_HOME, default `data/` in the checkout),
and every setting the environment gives.

This module is the one place that reads the environment (tests/unit/test_settings.py checks):
other modules take a setting as an argument, or through a Dagster resource (resources.py), and
default to the reader here, which reads when called, never at import time. The settings:

- HHL_HOME: the root everything is written under;
- HHL_PSEUDONYM_KEY, HHL_PSEUDONYM_KEY_FILE (XDG_CONFIG_HOME for the default file):
  the pseudonymisation key (pseudonym_key.py); HHL_OLD_PSEUDONYM_KEY for `hhl rekey`;
- HHL_PARSE_WORKERS: processes that parse a day (pipeline/parse_day.py);
- HHL_MAX_FILE_MB, HHL_MAX_TEXT_FILE_MB: per-file size caps (parsers/dispatch.py);
- HHL_XML_*: limits of the XML parser (parsers/xml_safety.py); HHL_SIGNATURE_POLICY
  (parsers/xml_signature.py);
- HHL_EXPORT_TS_FUTURE_TOLERANCE_MINUTES (pipeline/versions.py);
- HHL_SENSOR_LOOKBACK_DAYS: days the landing sensor watches (automation/sensors.py);
- HHL_LOCK_DIR: where table writer locks live (lake/locks.py);
- DAGSTER_HOME, HHL_MAX_CONCURRENT_RUNS, HHL_POOL_LIMIT, HHL_WAITING_RUNS, HHL_PG_*: the Dagster
  instance (instance.py).

POLARS_MAX_THREADS and TOKIO_WORKER_THREADS are read by Polars and delta-rs themselves; the
package defaults both to 1 on import (hanoi_health_lake/__init__.py says why).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEZONE = "Asia/Ho_Chi_Minh"


def hhl_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The root every command writes under; read when called, never at import time."""
    if override is not None:
        return Path(override).resolve()
    return Path(setting("HHL_HOME") or PROJECT_ROOT / "data").resolve()


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


# --- settings from the environment ---------------------------------------------------------------

PARSE_WORKERS_ENV = "HHL_PARSE_WORKERS"
SENSOR_LOOKBACK_ENV = "HHL_SENSOR_LOOKBACK_DAYS"
DEFAULT_SENSOR_LOOKBACK_DAYS = 92  # a quarter: later corrections go through a backfill
LOCK_DIR_ENV = "HHL_LOCK_DIR"
GX_AUDIT_MINUTES_ENV = "HHL_GX_AUDIT_MINUTES"
ARRIVALS_IDLE_MINUTES_ENV = "HHL_ARRIVALS_IDLE_MINUTES"
ARRIVALS_RUN_MINUTES_ENV = "HHL_ARRIVALS_RUN_MINUTES"
ARRIVALS_BATCH_MINUTES_ENV = "HHL_ARRIVALS_BATCH_MINUTES"


def setting(name: str) -> str:
    """A setting's value as given, stripped; "" when it is not set."""
    return os.environ.get(name, "").strip()


def environment() -> Mapping[str, str]:
    """The whole environment: for what hands it on (child processes, dagster.yaml `env:` refs)."""
    return os.environ


def parse_workers() -> int:
    """Processes that parse a day, this one included: HHL_PARSE_WORKERS, else up to 2 (one per
    core). 1 parses in this process only."""
    value = setting(PARSE_WORKERS_ENV)
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"{PARSE_WORKERS_ENV} must be a whole number, got {value!r}") from None
    return max(1, min(2, os.cpu_count() or 1))


def sensor_lookback_days() -> int:
    """How many days back the landing sensor watches (HHL_SENSOR_LOOKBACK_DAYS, default 92): a
    file for an older day is ingested by a backfill of that day, not by the sensor."""
    value = int(setting(SENSOR_LOOKBACK_ENV) or DEFAULT_SENSOR_LOOKBACK_DAYS)
    if value < 1:
        raise ValueError(f"{SENSOR_LOOKBACK_ENV} must be at least 1, got {value}")
    return value


def minutes(name: str, default: timedelta) -> timedelta:
    """A duration setting given in minutes (fractions allowed, 0 included); `default` when
    unset."""
    value = setting(name)
    if not value:
        return default
    try:
        amount = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of minutes, got {value!r}") from None
    if amount < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return timedelta(minutes=amount)


def gx_audit_interval() -> timedelta:
    """How often the arrival path lets Great Expectations audit each suite (HHL_GX_AUDIT_MINUTES,
    default a day; 0: every batch). Whole-day runs audit every time (contracts.audit_schedule)."""
    return minutes(GX_AUDIT_MINUTES_ENV, timedelta(days=1))


def arrivals_idle() -> timedelta:
    """How long an arrivals run waits for more arrivals before it ends
    (HHL_ARRIVALS_IDLE_MINUTES, default 10; realtime/drain.py)."""
    return minutes(ARRIVALS_IDLE_MINUTES_ENV, timedelta(minutes=10))


def arrivals_lifetime() -> timedelta:
    """How long an arrivals run takes batches before it ends and the next run (with the code
    then deployed) takes over (HHL_ARRIVALS_RUN_MINUTES, default 6 hours)."""
    return minutes(ARRIVALS_RUN_MINUTES_ENV, timedelta(hours=6))


def arrivals_interval() -> timedelta:
    """The least time from one arrival batch's start to the next's within a run
    (HHL_ARRIVALS_BATCH_MINUTES, default 3; realtime/drain.py)."""
    return minutes(ARRIVALS_BATCH_MINUTES_ENV, timedelta(minutes=3))


def lock_dir() -> Path | None:
    """HHL_LOCK_DIR: one folder for every table writer lock; None: beside each table."""
    value = setting(LOCK_DIR_ENV)
    return Path(value) if value else None


def megabytes(name: str, default: int) -> int:
    """A size setting given in MB (fractions allowed), in bytes; `default` MB when unset."""
    value = setting(name)
    if not value:
        return default * 2**20
    try:
        size = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of MB, got {value!r}") from None
    if size <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return int(size * 2**20)


def config_home() -> Path:
    """XDG_CONFIG_HOME, else ~/.config: where a local pseudonymisation key file lives."""
    return Path(setting("XDG_CONFIG_HOME") or Path.home() / ".config")


def ensure_key_file(path: Path, what: str, *, create: bool, missing: Exception) -> None:
    """Make sure the key file at `path` exists: when it does not, raise `missing`, or with
    `create` write a new random key there (32 bytes as 64 hex digits, mode 0600) and say so on
    stderr. The pseudonymisation and identity keys both fall back to such a local file."""
    if path.exists():
        return
    if not create:
        raise missing
    import secrets
    import sys

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    print(f"created a local {what} at {path} (outside the repo)", file=sys.stderr)
