"""The Dagster instance a command runs against: embedded SQLite under HHL_HOME by default."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

EMBEDDED_YAML = """\
# Embedded profile: run, event-log and schedule storage in SQLite files beside this one.
telemetry:
  enabled: false
"""


def dagster_home(home: Path) -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or home / "dagster")


def ensure_instance_dir(home: Path) -> Path:
    directory = dagster_home(home)
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "dagster.yaml"
    if not config.exists():
        config.write_text(EMBEDDED_YAML)
    return directory


def open_instance(home: Path) -> DagsterInstance:
    directory = ensure_instance_dir(home)
    os.environ["DAGSTER_HOME"] = str(directory)
    return DagsterInstance.from_config(str(directory))
