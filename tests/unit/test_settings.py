"""The environment is read in one place (config.py); settings reach the rest as arguments or
Dagster resources. A few modules may still *set* variables, for programs that read them
themselves (Dagster's DAGSTER_HOME, the processes `hhl serve` starts, Great Expectations)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hanoi_health_lake
from hanoi_health_lake import config

PACKAGE = Path(hanoi_health_lake.__file__).parent
READER = "config.py"
# Modules that hand variables to other programs: writes only, never a read.
SETTERS = {
    "automation/services.py",  # HHL_HOME, the key, DAGSTER_HOME for the Dagster processes
    "instance.py",  # DAGSTER_HOME, which Dagster reads itself
    "assets/reports.py",  # puts DAGSTER_HOME back after open_instance
    "contracts/gx_suite.py",  # GX_ANALYTICS_ENABLED, read by Great Expectations
    "benchmarks/lookup_api.py",  # the bench's generated keys, for the processes it starts
    "__init__.py",  # POLARS_MAX_THREADS, TOKIO_WORKER_THREADS defaults, read by those libraries
}
_WRITES = {"pop", "setdefault", "update"}


def _environment_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, "read" | "write") of every use of os.environ / os.getenv / os.putenv."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        if node.value.id != "os" or node.attr not in ("environ", "getenv", "putenv", "environb"):
            continue
        parent = parents.get(node)
        if (
            node.attr == "putenv"
            or (isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store | ast.Del))
            or (isinstance(parent, ast.Attribute) and parent.attr in _WRITES)
        ):
            kind = "write"
        else:
            kind = "read"
        uses.append((node.lineno, kind))
    for node in ast.walk(tree):  # `from os import environ` would hide the reads from the above
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ("environ", "getenv"):
                    uses.append((node.lineno, "read"))
    return uses


def _uses_by_module() -> dict[str, list[tuple[int, str]]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        uses = _environment_uses(ast.parse(path.read_text(encoding="utf-8")))
        if uses:
            found[path.relative_to(PACKAGE).as_posix()] = uses
    return found


def test_only_config_reads_the_environment():
    uses = _uses_by_module()
    reads = sorted(
        f"{module}:{line}"
        for module, found in uses.items()
        if module != READER
        for line, kind in found
        if kind == "read"
    )
    assert reads == [], "read settings through hanoi_health_lake/config.py"
    assert set(uses) - {READER} <= SETTERS, "a new module sets environment variables"


def test_the_checker_tells_reads_from_writes():
    source = (
        "import os\n"
        "a = os.environ.get('X')\n"
        "os.environ['Y'] = '1'\n"
        "b = os.getenv('Z')\n"
        "os.environ.pop('Y', None)\n"
        "c = dict(os.environ)\n"
    )
    kinds = [kind for _, kind in sorted(_environment_uses(ast.parse(source)))]
    assert kinds == ["read", "write", "read", "write", "read"]


def test_settings_are_read_when_called(monkeypatch, tmp_path):
    monkeypatch.setenv("HHL_PARSE_WORKERS", "3")
    monkeypatch.setenv("HHL_SENSOR_LOOKBACK_DAYS", "7")
    monkeypatch.setenv("HHL_LOCK_DIR", str(tmp_path))
    monkeypatch.setenv("HHL_MAX_FILE_MB", "0.5")
    assert config.parse_workers() == 3
    assert config.sensor_lookback_days() == 7
    assert config.lock_dir() == tmp_path
    assert config.megabytes("HHL_MAX_FILE_MB", 256) == 2**19
    monkeypatch.delenv("HHL_LOCK_DIR")
    monkeypatch.delenv("HHL_MAX_FILE_MB")
    assert config.lock_dir() is None
    assert config.megabytes("HHL_MAX_FILE_MB", 256) == 256 * 2**20
    monkeypatch.setenv("HHL_SENSOR_LOOKBACK_DAYS", "0")
    with pytest.raises(ValueError, match="HHL_SENSOR_LOOKBACK_DAYS"):
        config.sensor_lookback_days()


def test_lock_dir_setting_places_the_writer_locks(monkeypatch, tmp_path):
    from hanoi_health_lake.lake.locks import table_writer_lock

    locks = tmp_path / "locks"
    monkeypatch.setenv("HHL_LOCK_DIR", str(locks))
    with table_writer_lock(str(tmp_path / "lake" / "silver" / "encounters")):
        assert [p.name.split("-")[0] for p in locks.iterdir()] == ["encounters"]
