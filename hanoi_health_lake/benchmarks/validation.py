"""`hhl bench validate`: the contract validation step alone, on a fixed input.

A simulated day is parsed once and each dataset's staged frame (what `ingest_day` hands to
`validate`) is saved as Parquet. Then `validate(dataset, frame, ctx)` is timed on those frames in
fresh child processes, best of --repeats, for this checkout and, with --against, for another
checkout (an older commit), alternating, so that both are measured on the same input in the same
run on a shared machine. The child runs this file as a script with PYTHONPATH at the checkout,
and calls only `validate`, whose signature both sides share.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from hanoi_health_lake.config import environment

BENCH_DAY = date(2026, 3, 2)  # a Monday
_REGISTRY_CODES = "registry_codes.json"


def prepare(home: Path, scale: str) -> Path:
    """Simulate and parse one day under `home`; the folder of staged frames (made once)."""
    frames = home / "bench" / f"validate-{scale}"
    if (frames / _REGISTRY_CODES).exists():
        return frames
    import polars as pl

    from hanoi_health_lake.pipeline.parse_day import BRONZE_ROW, parse_day
    from hanoi_health_lake.pipeline.supersede import mark_superseded
    from hanoi_health_lake.reference.registry import load_registry, registry_codes
    from hanoi_health_lake.simulator.run import simulate

    landing_home = home / "bench" / f"validate-{scale}-landing"
    simulate(BENCH_DAY, 1, scale, 1, landing_home, replace=True)
    codes = registry_codes(load_registry(landing_home / "registry" / "facilities.csv"))
    parsed = parse_day(landing_home / "landing", BENCH_DAY, codes, run_id="bench-validate")
    arrivals = pl.from_arrow(parsed.bronze_files.select(["source_file", "arrived_at"]))
    frames.mkdir(parents=True, exist_ok=True)
    for dataset, staged in parsed.staged.items():
        staged = mark_superseded(staged, arrivals)
        current = staged.filter(~pl.col("is_superseded")).drop(BRONZE_ROW)
        current.write_parquet(frames / f"{dataset}.parquet")
    (frames / _REGISTRY_CODES).write_text(json.dumps(sorted(codes)))
    return frames


def time_validation(frames: Path, repeats: int) -> dict[str, float]:
    """Dataset → best wall seconds of `validate` over `repeats` (in this process)."""
    import polars as pl

    from hanoi_health_lake.contracts import ValidationContext, validate

    ctx = ValidationContext(
        registry_codes=frozenset(json.loads((frames / _REGISTRY_CODES).read_text()))
    )
    inputs = {path.stem: pl.read_parquet(path) for path in sorted(frames.glob("*.parquet"))}
    for dataset, frame in inputs.items():  # imports, suite set-up and caches: not timed
        validate(dataset, frame.head(50), ctx)
    best: dict[str, float] = {}
    for _ in range(repeats):
        for dataset, frame in inputs.items():
            started = time.perf_counter()
            validate(dataset, frame, ctx)
            elapsed = time.perf_counter() - started
            best[dataset] = min(best.get(dataset, elapsed), elapsed)
    return best


def _child(checkout: Path, frames: Path, repeats: int) -> dict[str, float]:
    env = dict(environment()) | {"PYTHONPATH": str(checkout), "GX_ANALYTICS_ENABLED": "False"}
    done = subprocess.run(
        [sys.executable, __file__, str(frames), str(repeats)],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_validate(
    home: Path, scale: str, repeats: int, against: Path | None, rounds: int = 2
) -> dict:
    """Figures for this checkout and, when given, the other one, measured alternately."""
    from hanoi_health_lake.config import PROJECT_ROOT

    frames = prepare(home, scale)
    import polars as pl

    rows = {
        p.stem: pl.scan_parquet(p).select(pl.len()).collect().item()
        for p in frames.glob("*.parquet")
    }
    sides = {"this": PROJECT_ROOT} | ({"against": Path(against).resolve()} if against else {})
    best: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        for side, checkout in sides.items():
            for dataset, seconds in _child(checkout, frames, repeats).items():
                best.setdefault(side, {})[dataset] = min(
                    best.get(side, {}).get(dataset, seconds), seconds
                )
    figures: dict = {
        "scale": scale,
        "service_date": BENCH_DAY,
        "rows": rows,
        "repeats": repeats * rounds,
        "checkouts": {side: str(path) for side, path in sides.items()},
    }
    for side, per_dataset in best.items():
        figures[f"{side}_seconds"] = {k: round(v, 3) for k, v in sorted(per_dataset.items())}
        figures[f"{side}_total_seconds"] = round(sum(per_dataset.values()), 3)
    if against:
        figures["this_over_against"] = round(
            figures["this_total_seconds"] / figures["against_total_seconds"], 3
        )
    return figures


if __name__ == "__main__":  # the timed child: `python validation.py FRAMES REPEATS`
    print(json.dumps(time_validation(Path(sys.argv[1]), int(sys.argv[2]))))
