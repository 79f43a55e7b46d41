"""`hhl bench …`: measured speed and memory, written to HHL_HOME/bench/<name>.json."""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hanoi_health_lake.commands import add_home_option, add_scale_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmarks (figures go to HHL_HOME/bench/*.json; quote them in BENCHMARKS.md)",
        description=(
            "Measure the system on simulated data. Each benchmark prints its figures and writes "
            "them to HHL_HOME/bench/<name>.json (or --output). Ratios are against a baseline "
            "measured in the same run, since absolute times are noisy on shared machines."
        ),
    )
    sub = parser.add_subparsers(dest="bench", metavar="BENCHMARK", required=True)

    # A benchmark: its name, what runs it, and the simulated city (--scale, --days) it works on;
    # its help and description are the function's docstring. Its own options follow.
    _benchmark(sub, "simulate", _simulate, "city", 1)
    _benchmark(sub, "ingest", _ingest, "city", 1)
    marts = _benchmark(sub, "marts", _marts)
    marts.add_argument("--repeats", type=int, default=5)
    detection = _benchmark(sub, "detection", _detection)
    detection.add_argument("--months", type=int, default=3)
    parsers = _benchmark(sub, "parsers", _parsers)
    parsers.add_argument("--rows", type=int, default=100_000)
    realtime = _benchmark(sub, "realtime", _realtime, "city")
    realtime.add_argument("--speed", type=float, default=240.0)
    realtime.add_argument("--tick", type=float, default=15.0, help="sensor interval, seconds")
    realtime.add_argument(
        "--every", type=int, metavar="MINUTES",
        help="no replay: land each MINUTES of exports at once, one batch each (CPU only); 3 is "
        "the daemon's cadence at real speed",
    )  # fmt: skip
    realtime.add_argument("--by-hour", action="store_true", help="the same as --every 60")
    validate = _benchmark(sub, "validate", _validate, "small")
    validate.add_argument("--repeats", type=int, default=3)
    validate.add_argument("--against", type=Path, help="another checkout to time alike")
    api = _benchmark(sub, "api", _api, "city", 1)
    api.add_argument("--fill-days", type=int, default=30)
    api.add_argument("--fill-minutes", type=float, default=10)
    api.add_argument("--clients", type=int, default=20)
    api.add_argument("--requests", type=int, default=4000)
    api.add_argument("--seconds", type=float, default=60)
    _benchmark(sub, "health-book", _health_book, "city", 1)
    forecast = _benchmark(sub, "forecast", _forecast, "city", 730)
    forecast.add_argument("--windows", type=int, default=8)
    forecast.add_argument("--wards", type=int, default=12, help="wards sampled for ward series")

    # Every benchmark writes its figures through _write and reads HHL_HOME: a new one gets both,
    # after its own options.
    for bench in sub.choices.values():
        bench.add_argument("--output", type=Path, help="JSON file for the figures")
        add_home_option(bench, help="HHL_HOME (default: $HHL_HOME or data/)")


def _benchmark(
    sub: argparse._SubParsersAction,
    name: str,
    run: Callable[[argparse.Namespace], int],
    scale: str | None = None,
    days: int | None = None,
) -> argparse.ArgumentParser:
    """Add `hhl bench NAME`, which calls `run`. The first line of `run`'s docstring is the
    benchmark's line in `hhl bench --help`, the rest (if any) the description of `hhl bench NAME
    --help`. A benchmark that simulates gets --scale (default `scale`) and, when it simulates
    whole service days, --days (default `days`)."""
    help, _, description = inspect.cleandoc(run.__doc__ or "").partition("\n\n")
    parser = sub.add_parser(name, help=help, description=description or None)
    if scale is not None:
        add_scale_option(parser, default=scale)
    if days is not None:
        parser.add_argument("--days", type=int, default=days)
    parser.set_defaults(func=run)
    return parser


def _write(figures: dict, name: str, args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home

    figures = {"benchmark": name, "measured_at": datetime.now(UTC).isoformat(), **figures}
    out = args.output or hhl_home(args.home) / "bench" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(json.dumps(figures, indent=2, default=str))
    print(f"figures written to {out}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    """time to generate simulated facility exports"""
    from hanoi_health_lake.benchmarks.simulator import bench_simulate
    from hanoi_health_lake.config import hhl_home

    out = hhl_home(args.home) / "bench" / "simulate-landing"
    return _write(bench_simulate(args.scale, args.days, out), "simulate", args)


def _ingest(args: argparse.Namespace) -> int:
    """ingest of simulated days vs a plain bulk read → Parquet baseline

    Simulate --days at --scale, then time (a) the baseline: the same landing files read by the
    fastest plain bulk readers (Polars for CSV/NDJSON/JSON, a pydicom loop for DICOM, lxml for
    QĐ 130 XML) in as many processes as the ingest parses with, and written to Parquet with no
    validation, and (b) the full ingest (parse, validate, pseudonymise, write Delta). Hospitals
    send XML as their profiles say. Reports wall time, records/s, files/s, peak memory and the
    ratio (b)/(a), and the same for the XML files alone."""
    from hanoi_health_lake.benchmarks.ingest import bench_ingest
    from hanoi_health_lake.config import hhl_home

    return _write(bench_ingest(hhl_home(args.home), args.scale, args.days), "ingest", args)


def _health_book(args: argparse.Namespace) -> int:
    """the health-book feed of simulated days vs their ingest (goal: at most half)

    Simulate --days at --scale (kept under HHL_HOME/bench/ and reused), ingest them with the
    encrypted identities, then time the health-book feed (decrypt, build, version and write every
    FHIR document) and its checks; reports seconds, peak memory and the ratio feed / ingest."""
    from hanoi_health_lake.benchmarks.health_book import bench_health_book
    from hanoi_health_lake.config import hhl_home

    figures = bench_health_book(hhl_home(args.home), args.scale, args.days)
    return _write(figures, "health-book", args)


def _marts(args: argparse.Namespace) -> int:
    """one day's incremental mart refresh on 30 vs 90 days of history, and a full rebuild

    Replicate the lake's latest service day (or a synthetic day) into 30 and 90 days of
    history, then time one day's incremental refresh of every model on each, and a full rebuild.
    The ratio refresh(90)/refresh(30) shows whether a refresh grows with history (goal: <= 1.3)."""
    import sys

    from hanoi_health_lake.benchmarks.marts import bench_marts
    from hanoi_health_lake.config import hhl_home

    figures = bench_marts(
        hhl_home(args.home),
        repeats=args.repeats,
        progress=lambda message: print(message, file=sys.stderr, flush=True),
    )
    return _write(figures, "marts", args)


def _realtime(args: argparse.Namespace) -> int:
    """one day of arrivals through the arrival path vs one whole-day ingest

    Simulate one service day at --scale, replay its exports at --speed × real time
    (`hhl replay`), and run the arrivals job's work every --tick seconds as the daemon would:
    p50/p95 minutes from arrival to silver and to the marts, the CPU of all batches against one
    whole-day ingest (and marts) of the same files in the same run, and the sensor's tick time."""
    import sys

    from hanoi_health_lake.benchmarks.realtime import bench_realtime
    from hanoi_health_lake.config import hhl_home

    figures = bench_realtime(
        hhl_home(args.home),
        args.scale,
        speed=args.speed,
        tick=args.tick,
        every=60 if args.by_hour else args.every,
        say=lambda line: print(f"[bench realtime] {line}", file=sys.stderr, flush=True),
    )
    return _write(figures, "realtime", args)


def _parsers(args: argparse.Namespace) -> int:
    """parser throughput (CPU s) on a synthetic day of small files vs a plain Polars read

    Write --rows QĐ 130 CSV rows (25 a file) and --rows/3 FHIR NDJSON encounters (Patient,
    Encounter, Condition sets of 34) as a city day delivers them, parse each file once, and report
    CPU seconds, rows or resources per second and the ratio to a plain Polars read of the same
    files."""
    from hanoi_health_lake.benchmarks.parsers import bench_parsers

    return _write(bench_parsers(args.rows), "parsers", args)


def _detection(args: argparse.Namespace) -> int:
    """outbreak detection: sensitivity, delay and false alarms per method

    Simulate --months of a tiny city for several seeds with injected outbreaks, count cases
    through the real parsers and conforming, and score every candidate method: sensitivity,
    median delay to detection, false alarms per ward per month."""
    from hanoi_health_lake.benchmarks.detection import bench_detection
    from hanoi_health_lake.config import hhl_home

    return _write(bench_detection(hhl_home(args.home), months=args.months), "detection", args)


def _validate(args: argparse.Namespace) -> int:
    """contract validation alone on a fixed parsed day, this checkout vs --against

    Simulate and parse one day at --scale once (kept under HHL_HOME/bench/), then time
    `validate` of every dataset's staged frame in fresh processes, best of --repeats, for this
    checkout and, with --against DIR (another checkout, e.g. a git worktree of an older commit),
    for that one too, alternating on the same input."""
    from hanoi_health_lake.benchmarks.validation import bench_validate
    from hanoi_health_lake.config import hhl_home

    figures = bench_validate(hhl_home(args.home), args.scale, args.repeats, args.against)
    return _write(figures, "validate", args)


def _api(args: argparse.Namespace) -> int:
    """look-up API: p50/p95 of $everything at 20 clients on a city's serving store

    Simulate, ingest and feed --days of --scale (kept under HHL_HOME/bench/api-<scale> for the
    next run), load the feed into a fresh PostgreSQL database (hhl_lookup_bench on
    127.0.0.1:5432), fill the store towards --fill-days days (copies under other citizens, at most
    --fill-minutes), then time $everything for random consented citizens from --clients threads
    against hhl serve-api on 127.0.0.1 (at most --requests calls and --seconds), and refused
    calls."""
    from hanoi_health_lake.benchmarks.lookup_api import bench_api
    from hanoi_health_lake.config import hhl_home

    figures = bench_api(
        hhl_home(args.home), args.scale, args.days, fill_days=args.fill_days,
        fill_minutes=args.fill_minutes, clients=args.clients, max_requests=args.requests,
        max_seconds=args.seconds,
    )  # fmt: skip
    return _write(figures, "api", args)


def _forecast(args: argparse.Namespace) -> int:
    """forecast error (MASE vs seasonal naive) and interval coverage per series group

    Simulate --days of daily counts with the simulator's patterns (no files), backtest the
    default forecast over the last --windows horizons of every series (visits 28 days ahead, cases
    14), and report per group MASE, MAE relative to seasonal naive, bias and 80%/95% interval
    coverage; then the same through `hhl forecast --backtest` on public real-world surveillance
    series (tests/fixtures/surveillance)."""
    from hanoi_health_lake.benchmarks.forecast import bench_forecast
    from hanoi_health_lake.config import hhl_home

    out = args.output or hhl_home(args.home) / "bench" / "forecast.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def checkpoint(figures: dict) -> None:
        out.write_text(json.dumps({"benchmark": "forecast", "partial": True, **figures}, indent=2))

    figures = bench_forecast(args.scale, args.days, args.windows, args.wards, checkpoint=checkpoint)
    return _write(figures, "forecast", args)
