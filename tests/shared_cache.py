"""Build an expensive test input once per test session, even when pytest-xdist runs the suite in
several worker processes.

`make test` runs `pytest -n 2`: each worker is its own process with its own session fixtures, so a
session fixture that simulates (or ingests) a city would run once per worker. `built_once` puts
the result in a folder shared by the session's workers, named after the arguments that produced
it; the first worker to ask builds it under a file lock, the others wait for it and reuse it.
Without xdist the folder is the session's own temporary folder. Either way it lives under pytest's
temporary root, which pytest cleans up, and never outlives the session's retention.

A shared build is read-only: a test that changes it must work on a copy (see `copy_home`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

_shared_root: Path | None = None


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this session sees: under xdist the parent of the worker's base
    temp folder (`pytest-N/` holding `popen-gw0/`, `popen-gw1/`), else the base temp folder."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / "shared-builds"


def remember_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Record the shared root for helpers that are not fixtures (`tests/browser/report_page.py`)."""
    global _shared_root
    _shared_root = shared_root(tmp_path_factory)
    return _shared_root


def recorded_root() -> Path | None:
    """The root `remember_root` recorded, or None outside a pytest session."""
    return _shared_root


def _key(parts: tuple[object, ...]) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", "-".join(str(p) for p in parts))


def built_once(root: Path, build: Callable[[Path], None], *key: object) -> Path:
    """The folder `build(folder)` fills, built by the first caller with this `key` in the session.

    A build that raised leaves no folder behind, so the next caller tries again (and fails with
    the real error rather than reading half a build)."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / _key(key)
    done = root / f"{folder.name}.built"  # beside it, so copies of the folder do not carry it
    with FileLock(str(folder) + ".lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                build(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            done.touch()
    return folder
