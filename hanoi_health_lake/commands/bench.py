"""`hhl bench …`: measured speed and memory, written to HHL_HOME/bench/<name>.json."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path


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

    sim = sub.add_parser("simulate", help="time to generate simulated facility exports")
    sim.add_argument("--scale", default="city", choices=["tiny", "small", "city"])
    sim.add_argument("--days", type=int, default=1)
    sim.set_defaults(func=_simulate)

    ingest = sub.add_parser(
        "ingest",
        help="ingest of simulated days vs a plain bulk read → Parquet baseline",
        description=(
            "Simulate --days at --scale, then time (a) the baseline: the same landing files read "
            "by the fastest plain bulk readers (Polars for CSV/NDJSON/JSON, a pydicom loop for "
            "DICOM) and written to Parquet with no validation, and (b) the full ingest (parse, "
            "validate, pseudonymise, write Delta). Reports wall time, records/s, files/s, peak "
            "memory and the ratio (b)/(a)."
        ),
    )
    ingest.add_argument("--scale", default="city", choices=["tiny", "small", "city"])
    ingest.add_argument("--days", type=int, default=1)
    ingest.set_defaults(func=_ingest)

    marts = sub.add_parser(
        "marts",
        help="one day's incremental mart refresh on 30 vs 90 days of history, and a full rebuild",
        description=(
            "Replicate the lake's latest service day (or a synthetic day) into 30 and 90 days of "
            "history, then time one day's incremental refresh of every model on each, and a full "
            "rebuild. The ratio refresh(90)/refresh(30) shows whether a refresh grows with "
            "history (goal: <= 1.3)."
        ),
    )
    marts.add_argument("--repeats", type=int, default=5)
    marts.set_defaults(func=_marts)

    detection = sub.add_parser(
        "detection",
        help="outbreak detection: sensitivity, delay and false alarms per method",
        description=(
            "Simulate --months of a tiny city for several seeds with injected outbreaks, count "
            "cases through the real parsers and conforming, and score every candidate method: "
            "sensitivity, median delay to detection, false alarms per ward per month."
        ),
    )
    detection.add_argument("--months", type=int, default=3)
    detection.set_defaults(func=_detection)

    parsers = sub.add_parser(
        "parsers",
        help="parser throughput (CPU s) on a synthetic day of small files vs a plain Polars read",
        description=(
            "Write --rows QĐ 130 CSV rows (25 a file) and --rows/3 FHIR NDJSON encounters "
            "(Patient, Encounter, Condition sets of 34) as a city day delivers them, parse each "
            "file once, and report CPU seconds, rows or resources per second and the ratio to a "
            "plain Polars read of the same files."
        ),
    )
    parsers.add_argument("--rows", type=int, default=100_000)
    parsers.set_defaults(func=_parsers)

    forecast = sub.add_parser(
        "forecast",
        help="forecast error (MASE vs seasonal naive) and interval coverage per series group",
        description=(
            "Simulate --days of daily counts with the simulator's patterns (no files), backtest "
            "the default forecast over the last --windows horizons of every series (visits 28 "
            "days ahead, cases 14), and report per group MASE, MAE relative to seasonal naive, "
            "bias and 80%/95% interval coverage; then the same through `hhl forecast --backtest` "
            "on public real-world surveillance series (tests/fixtures/surveillance)."
        ),
    )
    forecast.add_argument("--scale", default="city", choices=["tiny", "small", "city"])
    forecast.add_argument("--days", type=int, default=730)
    forecast.add_argument("--windows", type=int, default=8)
    forecast.add_argument("--wards", type=int, default=12, help="wards sampled for ward series")
    forecast.set_defaults(func=_forecast)

    for name in ("simulate", "ingest", "marts", "detection", "parsers", "forecast"):
        sub.choices[name].add_argument("--output", type=Path, help="JSON file for the figures")
        sub.choices[name].add_argument("--home", help="HHL_HOME (default: $HHL_HOME or data/)")


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
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.simulator.bench import bench_simulate

    out = hhl_home(args.home) / "bench" / "simulate-landing"
    return _write(bench_simulate(args.scale, args.days, out), "simulate", args)


def _ingest(args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.pipeline.bench import bench_ingest

    return _write(bench_ingest(hhl_home(args.home), args.scale, args.days), "ingest", args)


def _marts(args: argparse.Namespace) -> int:
    import sys

    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.sqlmodels.bench import bench_marts

    figures = bench_marts(
        hhl_home(args.home),
        repeats=args.repeats,
        progress=lambda message: print(message, file=sys.stderr, flush=True),
    )
    return _write(figures, "marts", args)


def _parsers(args: argparse.Namespace) -> int:
    from hanoi_health_lake.benchmarks.parsers import bench_parsers

    return _write(bench_parsers(args.rows), "parsers", args)


def _detection(args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.outbreaks.bench import bench_detection

    return _write(bench_detection(hhl_home(args.home), months=args.months), "detection", args)


def _forecast(args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.forecasting.bench import bench_forecast

    out = args.output or hhl_home(args.home) / "bench" / "forecast.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def checkpoint(figures: dict) -> None:
        out.write_text(json.dumps({"benchmark": "forecast", "partial": True, **figures}, indent=2))

    figures = bench_forecast(args.scale, args.days, args.windows, args.wards, checkpoint=checkpoint)
    return _write(figures, "forecast", args)
