"""`hhl bench ingest`: the full ingest against the plainest fast read of the same files.

The baseline reads every landing file with the fastest generic reader for its format — Polars
for CSV, NDJSON and JSON, a pydicom header loop for DICOM — and writes one Parquet file per format,
with no validation. Both sides run in fresh child processes one after the other, so their peak
memory (ru_maxrss of the child) and wall times are measured alike in the same run.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from datetime import date, timedelta
from pathlib import Path

BENCH_START = date(2026, 3, 2)  # a Monday


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline(landing: Path, out: Path, days: list[date]) -> dict:
    import json

    import polars as pl
    import pydicom

    started = time.perf_counter()
    frames: dict[str, list[pl.DataFrame]] = {"csv": [], "ndjson": [], "json": [], "dicom": []}
    files = 0
    for day in days:
        for path in sorted(landing.glob(f"*/{day.isoformat()}/*")):
            files += 1
            name = path.name
            try:
                if name.endswith(".csv"):
                    head = path.read_bytes()[:4096]
                    sep = ";" if head.count(b";") > head.count(b",") else ","
                    frames["csv"].append(
                        pl.read_csv(path, separator=sep, infer_schema=False, encoding="utf8-lossy")
                    )
                elif name.endswith(".ndjson"):
                    lines = path.read_text(encoding="utf-8").splitlines()
                    frames["ndjson"].append(pl.DataFrame({"resource": lines}))
                elif name.endswith(".json"):
                    data = json.loads(path.read_bytes())
                    items = data.get("entry", []) if isinstance(data, dict) else data
                    frames["json"].append(pl.DataFrame({"item": [json.dumps(i) for i in items]}))
                elif name.endswith(".dcm"):
                    ds = pydicom.dcmread(path, stop_before_pixels=True)
                    frames["dicom"].append(
                        pl.DataFrame({"study_uid": [str(ds.get("StudyInstanceUID", ""))]})
                    )
            except Exception:  # a broken file is skipped: the baseline does no error handling
                continue
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for fmt, parts in frames.items():
        if parts:
            table = pl.concat(parts, how="diagonal_relaxed")
            rows += table.height
            table.write_parquet(out / f"{fmt}.parquet")
    return {"seconds": time.perf_counter() - started, "files": files, "rows": rows,
            "peak_memory_mb": _peak_mb()}  # fmt: skip


def _ingest(home: Path, days: list[date]) -> dict:
    from hanoi_health_lake.config import lake_dir, landing_dir, registry_path
    from hanoi_health_lake.pipeline.ingest_day import ingest_day
    from hanoi_health_lake.pipeline.write_day import write_day
    from hanoi_health_lake.reference.registry import load_registry, registry_codes

    started = time.perf_counter()
    codes = registry_codes(load_registry(registry_path(home)))
    files = records = 0
    for day in days:
        result = ingest_day(
            landing_dir(home),
            day,
            registry_codes=codes,
            key=b"bench-key-0123456789",
            run_id="bench",
        )
        write_day(lake_dir(home), result, "bench")
        files += result.tables["bronze_files"].num_rows
        records += int(result.tables["reconciliation"]["delivered"].to_numpy().sum())
    return {"seconds": time.perf_counter() - started, "files": files, "records": records,
            "peak_memory_mb": _peak_mb()}  # fmt: skip


def _in_child(fn, *args) -> dict:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def bench_ingest(home: Path, scale: str, days: int) -> dict:
    from hanoi_health_lake.simulator.run import simulate

    work = home / "bench" / f"ingest-{scale}"
    service_days = [BENCH_START + timedelta(days=i) for i in range(days)]
    started = time.perf_counter()
    simulate(BENCH_START, days, scale, seed=1, out=work, replace=True)
    simulate_s = time.perf_counter() - started
    baseline = _in_child(_baseline, work / "landing", work / "baseline-parquet", service_days)
    ingest = _in_child(_ingest, work, service_days)
    return {
        "scale": scale,
        "days": days,
        "simulate_seconds": round(simulate_s, 2),
        "baseline": baseline,
        "ingest": ingest,
        "records_per_second": round(ingest["records"] / ingest["seconds"], 1),
        "files_per_second": round(ingest["files"] / ingest["seconds"], 1),
        "ratio_ingest_to_baseline": round(ingest["seconds"] / baseline["seconds"], 3),
        "peak_memory_mb": round(ingest["peak_memory_mb"], 1),
        "goal": "ratio <= 2.0, peak memory <= 4096 MB",
    }
