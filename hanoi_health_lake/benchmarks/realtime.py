"""`hhl bench realtime`: one simulated day of arrivals through the arrival path, against one
whole-day ingest of the same files in the same run.

`hhl replay` (a child process, as an upload server would be) lands the exports of one service
day at `speed` × real time and logs them. This process plays the daemon: every `tick` seconds it
asks the arrivals log whether anything is pending (the sensor's tick, timed), and if so runs the
arrivals job's work — one batch (realtime.batch) and the marts of the days it touched
(realtime.marts_refresh) — timing the CPU of each. When the replay is over, the same landing
files are ingested once as a whole day into a fresh lake, and its marts built, with the same
clocks. Freshness comes from the lake itself: `bronze_files.arrived_at → silver_at`, and the
first `marts_refreshed` of the day after `silver_at`.

The whole-day ingest is timed twice, before the batches (on links to the same files) and after
them, and the batches are compared with the mean: this machine's speed drifts by a tenth or more
over the minutes a replay takes (the same code's whole day took 46 to 55 CPU-s an hour apart),
and one sample at one end of the run moved the ratio as much as any change of the code did.
Whichever path runs first in a process also pays what a process does once; the two samples
share that too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from hanoi_health_lake.benchmarks.ingest import _cpu_seconds

BENCH_DAY = date(2026, 3, 2)  # a Monday
BENCH_KEY = b"bench-key-0123456789"
COMPARED = ("bronze_files", "quarantine", "encounters", "prescription_items", "reconciliation")


def _simulated(work: Path, scale: str, say: Callable[[str], None]) -> Path:
    from hanoi_health_lake.simulator.run import simulate

    sim = work / f"sim-{scale}"
    if not (sim / "landing").is_dir():
        say(f"simulating {BENCH_DAY} at {scale} scale")
        simulate(BENCH_DAY, 1, scale, seed=1, out=sim, replace=True)
    return sim


def _percentiles(values: pl.Series) -> dict[str, float | None]:
    values = values.drop_nulls()
    if values.is_empty():
        return {"p50": None, "p95": None, "max": None}
    return {
        "p50": round(float(values.quantile(0.5, "linear")), 2),
        "p95": round(float(values.quantile(0.95, "linear")), 2),
        "max": round(float(values.max()), 2),
    }


def _freshness(lake: Path) -> dict:
    from hanoi_health_lake.lake.delta_io import read_table
    from hanoi_health_lake.lake.freshness import refreshed_path

    files = pl.from_arrow(
        read_table(lake / "bronze" / "bronze_files", columns=["service_date", "source_file",
                                                              "arrived_at", "silver_at"])
    )  # fmt: skip
    refreshes = pl.from_arrow(read_table(refreshed_path(lake))).sort("refreshed_at")
    joined = files.sort("silver_at").join_asof(
        refreshes.select("service_date", "refreshed_at"),
        left_on="silver_at",
        right_on="refreshed_at",
        by="service_date",
        strategy="forward",
    )
    minutes = 60_000_000  # µs
    to_silver = (joined["silver_at"] - joined["arrived_at"]).dt.total_microseconds() / minutes
    to_marts = (joined["refreshed_at"] - joined["arrived_at"]).dt.total_microseconds() / minutes
    return {
        "files": joined.height,
        "files_without_marts_refresh": int(joined["refreshed_at"].null_count()),
        "arrival_to_silver_minutes": _percentiles(to_silver),
        "arrival_to_marts_minutes": _percentiles(to_marts),
    }


def _same_tables(a: Path, b: Path) -> dict[str, bool]:
    from hanoi_health_lake.lake.catalog import table_path
    from hanoi_health_lake.lake.delta_io import read_table

    same = {}
    for name in COMPARED:
        frames = []
        for lake in (a, b):
            table = read_table(table_path(lake, name))
            drop = [c for c in ("run_id", "silver_at", "payload") if c in table.column_names]
            frame = pl.from_arrow(table.drop_columns(drop))
            frames.append(frame.sort(frame.columns))
        same[name] = frames[0].equals(frames[1])
    return same


def _same_warehouse_copies(a: Path, b: Path) -> dict[str, bool]:
    """Whether two warehouses hold the same rows of every lake table split by day (but the
    marts' refresh log): the batches' copies, refreshed by what each batch changed, against
    the whole day's copy."""
    from hanoi_health_lake.sqlmodels import Warehouse
    from hanoi_health_lake.sqlmodels.copied_days import day_copies

    def copies(path: Path) -> dict[str, pl.DataFrame]:
        with Warehouse(path).connect(read_only=True) as con:
            frames = day_copies(con)
        frames.pop("marts_refreshed", None)  # the refreshes themselves differ
        dropped = ("run_id", "silver_at")  # which run wrote a row, and when
        return {
            name: frame.drop([c for c in dropped if c in frame.columns]).sort(
                [c for c in frame.columns if c not in dropped]
            )
            for name, frame in frames.items()
        }

    ours, theirs = copies(a), copies(b)
    return {name: name in ours and ours[name].equals(frame) for name, frame in theirs.items()}


def bench_realtime(
    home: Path,
    scale: str = "city",
    *,
    speed: float = 240.0,
    tick: float = 15.0,
    every: int | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> dict:
    """`every` (minutes): instead of replaying in real time, land each window of that many
    minutes of exports at once and run one batch per window, as fast as it goes: the CPU
    figures only. Hourly windows (a few minutes at city scale) compare two versions of the
    arrival path back to back; three-minute ones are the daemon's cadence at real speed
    (`HHL_ARRIVALS_BATCH_MINUTES`), which no replay that fits in minutes reaches."""
    from hanoi_health_lake.config import registry_path
    from hanoi_health_lake.lake.delta_io import tables_kept_open
    from hanoi_health_lake.realtime import arrivals_log
    from hanoi_health_lake.realtime.batch import run_batch
    from hanoi_health_lake.realtime.marts_refresh import ensure_reference_tables, refresh_marts
    from hanoi_health_lake.reference.registry import load_registry, registry_codes

    work = home / "bench" / "realtime"
    sim = _simulated(work, scale, say)
    live, whole = work / "live", work / "whole"
    for folder in (live, whole):
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(registry_path(sim).parent, registry_path(folder).parent)
        ensure_reference_tables(folder / "lake", registry_path(folder))
    codes = registry_codes(load_registry(registry_path(sim)))
    log_dir = arrivals_log.arrivals_dir(live)
    _set_up_great_expectations()
    say("whole-day ingest of the day's files, before the batches")
    whole_before = _whole_day_ingest_before(sim, work, codes)

    if every:
        return {"scale": scale, **_by_window(sim, live, whole, codes, every, whole_before, say)}
    replayer = subprocess.Popen(
        [sys.executable, "-m", "hanoi_health_lake.cli", "replay", "--day", BENCH_DAY.isoformat(),
         "--speed", str(speed), "--source", str(sim), "--home", str(live), "--quiet"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    say(f"replaying {BENCH_DAY} at {speed:g}× real time, a sensor tick every {tick:g} s")
    ticks, batches = [], []
    started = time.perf_counter()
    with tables_kept_open():  # as in one draining arrivals run (realtime/drain.py)
        while True:
            tick_start = time.perf_counter()
            pending = arrivals_log.has_pending(log_dir)
            ticks.append(time.perf_counter() - tick_start)
            if pending:
                cpu0, wall0 = _cpu_seconds(), time.perf_counter()
                run_id = f"batch-{len(batches)}"
                result = run_batch(live, landing=live / "landing", lake_root=live / "lake",
                                   registry_codes=codes, key=BENCH_KEY, run_id=run_id)  # fmt: skip
                cpu1 = _cpu_seconds()
                refresh_marts(live / "lake", live / "warehouse" / "hanoi_health.duckdb",
                              result.days, run_id)  # fmt: skip
                cpu2, wall2 = _cpu_seconds(), time.perf_counter()
                batches.append({
                    "arrivals": result.arrivals,
                    "slices": sum(len(f) for f in result.slices.values()),
                    "files_read": result.files_read,
                    "files_parsed": result.files_parsed,
                    "records_judged": result.records_judged,
                    "ingest_cpu_s": cpu1 - cpu0,
                    "marts_cpu_s": cpu2 - cpu1,
                    "wall_s": wall2 - wall0,
                })  # fmt: skip
                say(f"batch {len(batches)}: {result.arrivals} arrivals, {batches[-1]['slices']} "
                    f"slices, {wall2 - wall0:.1f} s")  # fmt: skip
            elif replayer.poll() is not None:
                break
            rest = tick - (time.perf_counter() - tick_start)
            if rest > 0:
                time.sleep(rest)
    replay_wall = time.perf_counter() - started

    say("whole-day ingest of the same files, after the batches")
    whole_after, whole_judged = _whole_day_ingest(live / "landing", whole / "lake", codes)
    whole_ingest = (whole_before + whole_after) / 2
    cpu1 = _cpu_seconds()
    refresh_marts(whole / "lake", whole / "warehouse" / "hanoi_health.duckdb", [BENCH_DAY],
                  "whole-day")  # fmt: skip
    whole_marts = _cpu_seconds() - cpu1

    say("one arrivals run with nothing pending, started as the daemon starts it")
    run_start = _run_start_cpu(live, work)

    from hanoi_health_lake.automation.landing_scan import scan_landing

    scan_start = time.perf_counter()
    listed = sum(len(d.entries) for d in scan_landing(live / "landing").values())
    scan_s = time.perf_counter() - scan_start

    frame = pl.DataFrame(batches)
    ingest_cpu = float(frame["ingest_cpu_s"].sum())
    marts_cpu = float(frame["marts_cpu_s"].sum())
    tick_ms = pl.Series([t * 1000 for t in ticks])
    return {
        "scale": scale,
        "service_day": BENCH_DAY.isoformat(),
        "speed": speed,
        "tick_seconds": tick,
        "replay_wall_seconds": round(replay_wall, 1),
        "files_landed": int(frame["arrivals"].sum()),
        "batches": frame.height,
        "files_per_batch": _percentiles(frame["arrivals"].cast(pl.Float64)),
        "batch_wall_seconds": _percentiles(frame["wall_s"]),
        "freshness": _freshness(live / "lake"),
        "cpu_seconds": {
            "batches_ingest": round(ingest_cpu, 1),
            "batches_marts": round(marts_cpu, 1),
            **_against_whole_day(ingest_cpu, whole_before, whole_after),
            "whole_day_marts": round(whole_marts, 1),
            "ratio_ingest_and_marts": round(
                (ingest_cpu + marts_cpu) / (whole_ingest + whole_marts), 2
            ),
        },
        "files_read_by_batches": int(frame["files_read"].sum()),
        "files_parsed_by_batches": int(frame["files_parsed"].sum()),
        "records_judged": {
            "batches": int(frame["records_judged"].sum()),
            "whole_day": whole_judged,
        },
        "sensor_tick_ms": {**_percentiles(tick_ms), "ticks": len(ticks)},
        "arrivals_run_start_cpu_s": run_start,
        "landing_listing": {"files": listed, "seconds": round(scan_s, 3)},
        "same_tables_as_whole_day": _same_tables(live / "lake", whole / "lake"),
        "same_warehouse_copies_as_whole_day": _same_warehouse_copies(
            live / "warehouse" / "hanoi_health.duckdb", whole / "warehouse" / "hanoi_health.duckdb"
        ),
    }


def _set_up_great_expectations() -> None:
    """Import Great Expectations and register the suites before either path is timed: in one
    process, whichever ran first would pay those seconds alone (the batches, here)."""
    from hanoi_health_lake.contracts import gx_suite
    from hanoi_health_lake.contracts.model import contract_for
    from hanoi_health_lake.records import DATASETS

    gx_suite.warm_up([contract_for(dataset) for dataset in DATASETS])


def _whole_day_ingest(landing: Path, lake: Path, codes: frozenset[str]) -> tuple[float, int]:
    """One whole-day ingest of the day's files in `landing` into `lake`: its CPU seconds and
    the records it judged."""
    from hanoi_health_lake.pipeline.ingest_day import ingest_day
    from hanoi_health_lake.pipeline.write_day import write_day

    cpu0 = _cpu_seconds()
    day = ingest_day(landing, BENCH_DAY, registry_codes=codes, key=BENCH_KEY,
                     run_id="whole-day")  # fmt: skip
    write_day(lake, day, "whole-day")
    return _cpu_seconds() - cpu0, day.records_judged


def _whole_day_ingest_before(sim: Path, work: Path, codes: frozenset[str]) -> float:
    """The CPU seconds of a whole-day ingest of the files the replay will land (hard links to
    them, in a landing of its own), into a lake that is then deleted."""
    from hanoi_health_lake.realtime.replay import day_exports

    before = work / "whole-before"
    shutil.rmtree(before, ignore_errors=True)
    for export in day_exports(sim / "landing", BENCH_DAY):
        target = before / "landing" / export.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(sim / "landing" / export.relpath, target)
    try:
        return _whole_day_ingest(before / "landing", before / "lake", codes)[0]
    finally:
        shutil.rmtree(before, ignore_errors=True)


def _against_whole_day(batches: float, before: float, after: float) -> dict:
    """The batches' CPU against the mean of the two whole-day samples, and against each."""
    whole = (before + after) / 2
    return {
        "whole_day_ingest": round(whole, 1),
        "whole_day_ingest_before_and_after": [round(before, 1), round(after, 1)],
        "ratio_ingest": round(batches / whole, 2),
        "ratio_ingest_before_and_after": [round(batches / before, 2), round(batches / after, 2)],
    }


def _run_start_cpu(live: Path, work: Path) -> float:
    """The CPU seconds of one `arrivals_job` run with nothing pending, started as the daemon
    starts one (a new process that loads the code location): what each run costs besides its
    batches, and why a run drains many (realtime/drain.py)."""
    from hanoi_health_lake.config import environment

    dagster_home = work / "dagster-home"
    shutil.rmtree(dagster_home, ignore_errors=True)
    dagster_home.mkdir(parents=True)
    config = work / "drained.yaml"
    config.write_text("ops:\n  arrival_batch:\n    config:\n      idle_minutes: 0\n")
    env = {**environment(), "DAGSTER_HOME": str(dagster_home), "HHL_HOME": str(live),
           "HHL_PSEUDONYM_KEY": BENCH_KEY.decode()}  # fmt: skip
    cpu0 = _cpu_seconds()
    subprocess.run(
        [sys.executable, "-m", "dagster", "job", "execute", "-m", "hanoi_health_lake.definitions",
         "-j", "arrivals_job", "-c", str(config)],
        env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return round(_cpu_seconds() - cpu0, 1)


def _by_window(
    sim: Path, live: Path, whole: Path, codes: frozenset[str], every: int, before: float, say
) -> dict:
    from hanoi_health_lake.lake.delta_io import tables_kept_open
    from hanoi_health_lake.realtime.batch import run_batch
    from hanoi_health_lake.realtime.replay import day_exports, land

    windows: dict = {}
    for export in day_exports(sim / "landing", BENCH_DAY):
        midnight = export.export_ts.replace(hour=0, minute=0, second=0, microsecond=0)
        window = (export.export_ts - midnight) // timedelta(minutes=every)
        windows.setdefault((midnight, window), []).append(export.relpath)
    batches, judged, ingest_cpu = 0, 0, 0.0
    with tables_kept_open():  # as in one draining arrivals run (realtime/drain.py)
        for window in sorted(windows):
            land(sim / "landing", live, windows[window])
            cpu0 = _cpu_seconds()
            result = run_batch(live, landing=live / "landing", lake_root=live / "lake",
                               registry_codes=codes, key=BENCH_KEY,
                               run_id=f"h{batches}")  # fmt: skip
            ingest_cpu += _cpu_seconds() - cpu0
            batches, judged = batches + 1, judged + result.records_judged
    say(
        f"{batches} batches of {every}-minute windows: {ingest_cpu:.1f} CPU-s; whole-day ingest "
        "of the same files"
    )
    whole_after, whole_judged = _whole_day_ingest(live / "landing", whole / "lake", codes)
    say("one arrivals run with nothing pending, started as the daemon starts it")
    run_start = _run_start_cpu(live, live.parent)
    return {
        "service_day": BENCH_DAY.isoformat(),
        "mode": f"by window: each {every} minutes of exports landed at once, one batch each",
        "window_minutes": every,
        "batches": batches,
        "files_landed": sum(len(paths) for paths in windows.values()),
        "cpu_seconds": {
            "batches_ingest": round(ingest_cpu, 1),
            **_against_whole_day(ingest_cpu, before, whole_after),
        },
        "records_judged": {"batches": judged, "whole_day": whole_judged},
        "arrivals_run_start_cpu_s": run_start,
        "same_tables_as_whole_day": _same_tables(live / "lake", whole / "lake"),
    }
