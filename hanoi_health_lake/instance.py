"""The Dagster instance a command runs against, in one of two profiles.

- `embedded` (the default): run, event-log and schedule storage in SQLite files under
  HHL_HOME/dagster. Nothing to install; runs queue one at a time because SQLite has one writer.
- `production`: the same three storages in PostgreSQL (dagster-postgres), reached through
  environment variables only (HHL_PG_URL, or HHL_PG_HOST/PORT/USER/PASSWORD/DB), so no secret is
  ever written to disk; runs queue through pools (`lake_ingest` limit 1 by default).

The dagster.yaml of each profile is written by hhl and rewritten when its settings change; a file
without hhl's first line is the operator's own and is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance

from hanoi_health_lake.config import environment, setting

PROFILES = ("embedded", "production")
GENERATED_MARK = "# Written by hhl"
_EARLIER_MARKS = (GENERATED_MARK, "# Embedded profile: run, event-log")  # hhl's first wording
PG_URL = "HHL_PG_URL"
PG_FIELDS = {  # dagster-postgres field → environment variable
    "hostname": "HHL_PG_HOST",
    "port": "HHL_PG_PORT",
    "username": "HHL_PG_USER",
    "password": "HHL_PG_PASSWORD",
    "db_name": "HHL_PG_DB",
}
PG_REQUIRED = ("HHL_PG_HOST", "HHL_PG_USER", "HHL_PG_DB")


@dataclass(frozen=True)
class InstanceSettings:
    """What an operator may tune without editing YAML (each from an HHL_* variable)."""

    max_concurrent_runs: int = 3  # production; embedded always queues one run at a time
    pool_limit: int = 1  # slots of every pool, lake_ingest included, unless set in the UI
    waiting_runs: int = 1  # runs launched ahead, waiting for a pool slot
    free_slots_after_seconds: int = 15  # a finished run's leftover slots are freed after this

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InstanceSettings:
        env = environment() if env is None else env
        names = {
            "max_concurrent_runs": "HHL_MAX_CONCURRENT_RUNS",
            "pool_limit": "HHL_POOL_LIMIT",
            "waiting_runs": "HHL_WAITING_RUNS",
        }
        values = {}
        for field, var in names.items():
            if env.get(var):
                values[field] = int(env[var])
                if values[field] < 1:
                    raise ValueError(f"{var} must be at least 1, got {env[var]}")
        return cls(**values)


class MissingConnection(RuntimeError):
    """The production profile was asked for but its PostgreSQL variables are not set."""


PG_SCHEME = "postgresql+psycopg2"  # SQLAlchemy 2.1 defaults to psycopg 3, which is not installed


def _pg_storage(env: Mapping[str, str]) -> str:
    if env.get(PG_URL):
        if not env[PG_URL].startswith(f"{PG_SCHEME}://"):
            raise MissingConnection(f"{PG_URL} must start with {PG_SCHEME}://")
        return f"    postgres_url: {{env: {PG_URL}}}\n"
    missing = [v for v in PG_REQUIRED if not env.get(v)]
    if missing:
        raise MissingConnection(
            f"the production profile needs {PG_URL}, or {', '.join(PG_REQUIRED)} "
            f"(and optionally HHL_PG_PORT, HHL_PG_PASSWORD); not set: {', '.join(missing)}"
        )
    lines = [f"      {field}: {{env: {var}}}\n" for field, var in PG_FIELDS.items() if env.get(var)]
    return "    postgres_db:\n" + "".join(lines) + f"      scheme: {PG_SCHEME}\n"


def instance_yaml(
    profile: str, settings: InstanceSettings, env: Mapping[str, str] | None = None
) -> str:
    """The dagster.yaml of a profile; production refers to the connection by `env:` only."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {PROFILES}")
    env = environment() if env is None else env
    head = f"{GENERATED_MARK} (profile: {profile}); set HHL_* variables instead of editing.\n"
    head += "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"  # no sign-up pop-up in the UI
    if profile == "embedded":
        return head + (
            "run_coordinator:\n"
            "  module: dagster.core.run_coordinator\n"
            "  class: QueuedRunCoordinator\n"
            "concurrency:\n"
            "  runs:\n"
            "    max_concurrent_runs: 1\n"
        )
    s = settings
    return (
        head + "storage:\n  postgres:\n" + _pg_storage(env) + "run_coordinator:\n"
        "  module: dagster.core.run_coordinator\n"
        "  class: QueuedRunCoordinator\n"
        "concurrency:\n"
        "  runs:\n"
        f"    max_concurrent_runs: {s.max_concurrent_runs}\n"
        "    tag_concurrency_limits:\n"
        "      # two runs of one service day never run at once\n"
        "      - key: dagster/partition\n"
        "        value: {applyLimitPerUniqueValue: true}\n"
        "        limit: 1\n"
        "  pools:\n"
        "    granularity: op\n"
        f"    default_limit: {s.pool_limit}\n"
        f"    op_granularity_run_buffer: {s.waiting_runs}\n"
        "run_monitoring:\n"
        "  enabled: true\n"
        "  start_timeout_seconds: 300\n"
        "  poll_interval_seconds: 10\n"
        f"  free_slots_after_run_end_seconds: {s.free_slots_after_seconds}\n"
    )


# Every DAGSTER_HOME that open_instance exported itself (newest last). Each names the instance of
# a home opened earlier, not an operator's choice, so none may send a later home's runs into that
# instance, even when something puts an older one back (pytest's monkeypatch restores the value
# it found). Child processes inherit the variable but not this module's memory: the list is
# exported too, under EXPORTED_ENV, so an `hhl` started by this process (with another --home)
# also knows the value was not the operator's.
_exported_homes: list[str] = []
EXPORTED_ENV = "HHL_EXPORTED_DAGSTER_HOME"
_REMEMBERED = 100  # exported homes kept (the variable stays far below the kernel's limit)


def _inherited() -> list[str]:
    return [p for p in setting(EXPORTED_ENV).split(os.pathsep) if p]


def _exported_by_hhl(value: str) -> bool:
    return value in _exported_homes or value in _inherited()


def _export(directory: Path) -> None:
    here = str(directory)
    known = [p for p in dict.fromkeys([*_inherited(), *_exported_homes]) if p != here]
    _exported_homes[:] = [*known, here][-_REMEMBERED:]
    os.environ["DAGSTER_HOME"] = here  # for Dagster, which reads it itself
    os.environ[EXPORTED_ENV] = os.pathsep.join(_exported_homes)


def dagster_home(home: Path, profile: str = "embedded") -> Path:
    """DAGSTER_HOME if the operator set it, else HHL_HOME/dagster (embedded) or
    HHL_HOME/dagster-production."""
    chosen = setting("DAGSTER_HOME")
    if chosen and not _exported_by_hhl(chosen):
        return Path(chosen)
    return home / ("dagster" if profile == "embedded" else "dagster-production")


def write_instance_yaml(directory: Path, text: str) -> Path:
    """Write dagster.yaml unless the operator owns it (no hhl mark); returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "dagster.yaml"
    if config.exists() and not config.read_text().startswith(_EARLIER_MARKS):
        return config
    if not config.exists() or config.read_text() != text:
        config.write_text(text)
    return config


def ensure_instance_dir(
    home: Path, profile: str = "embedded", settings: InstanceSettings | None = None
) -> Path:
    directory = dagster_home(home, profile)
    write_instance_yaml(directory, instance_yaml(profile, settings or InstanceSettings.from_env()))
    return directory


def open_instance(home: Path, profile: str = "embedded") -> DagsterInstance:
    directory = ensure_instance_dir(home, profile)
    chosen = setting("DAGSTER_HOME")
    if not chosen or _exported_by_hhl(chosen):  # unset, or our own from before
        _export(directory)
    return DagsterInstance.from_config(str(directory))
