"""The simulator benchmark behind `hhl bench simulate`."""

from __future__ import annotations

import resource
import time
from datetime import date
from pathlib import Path

from hanoi_health_lake.simulator.run import simulate


def bench_simulate(scale: str, days: int, out: Path, seed: int = 1) -> dict:
    """Simulate `days` days from 2026-03-02 (a Monday) into `out`, replacing what is there.

    Returns wall seconds, CPU seconds of this process and its workers (unlike wall time, not
    inflated when other programs share the cores), and files and records written per format
    ("records" counts each delivered record once per version it was delivered in)."""
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    summary = simulate(date(2026, 3, 2), days, scale, seed, Path(out), replace=True)
    wall = time.perf_counter() - started
    return {
        "scale": scale,
        "days": days,
        "wall_seconds": round(wall, 2),
        "seconds_per_day": round(wall / days, 2),
        "cpu_seconds": round(_cpu_seconds() - cpu_before, 2),
        "facilities": summary.facilities,
        "files": summary.files,
        "records": summary.records,
        "total_files": sum(summary.files.values()),
        "total_records": sum(summary.records.values()),
    }


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
