"""`hhl bench ingest`: the full ingest against the plainest fast read of the same files.

The baseline reads every landing file with the fastest generic reader for its format — Polars
for CSV, NDJSON and JSON, a pydicom header loop for DICOM, lxml for the QĐ 130 XML (a dossier's
inner tables base64-decoded and parsed, rows as JSON text; no limits, no signature check) — and
writes one Parquet file per format and process, with no validation. It reads in as many processes
as the ingest parses with (HHL_PARSE_WORKERS, else up to 2), the files dealt out in turn, so the
ratio does not flatter the ingest's second process. The XML files alone are then measured the
same way (records/s of the XML part). Both sides run in fresh child processes one after the
other, so their wall times are measured alike in the same run. Peak memory is the child's
ru_maxrss (the baseline: summed over its processes); the ingest also parses in worker processes
of its own, so its peak is that of the whole process tree (the sum of the resident sizes of the
child and its workers, sampled), which counts shared library pages once
per process and so errs high.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

BENCH_START = date(2026, 3, 2)  # a Monday


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the parse workers)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _descendants(root: int) -> list[int]:
    """`root` and every process below it, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # the process ended meanwhile
            children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


class _TreePeak:
    """Samples the summed resident size of this process and its workers until stopped (the
    process list is read again every few samples, to keep the sampling itself cheap)."""

    def __init__(self, interval: float = 0.25, rescan: int = 8) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval, rescan), daemon=True)

    def _run(self, interval: float, rescan: int) -> None:
        pids: list[int] = []
        samples = 0
        while not self._stop.is_set():
            if samples % rescan == 0:
                pids = _descendants(os.getpid())
            samples += 1
            self.peak = max(self.peak, _rss_mb(pids))
            self._stop.wait(interval)

    def __enter__(self) -> _TreePeak:
        if os.path.isdir("/proc"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _xml_rows(table) -> list[dict[str, str]]:
    """Every element whose children are all leaves is a row (the plainest reading of a QĐ 130
    table, whatever its layout)."""
    return [
        {child.tag: child.text or "" for child in element}
        for element in table.iter()
        if len(element) and all(len(child) == 0 for child in element)
    ]


def _read_xml(data: bytes) -> list[dict[str, str]]:
    """A dossier's inner tables (base64-decoded, parsed) or a check-in table, as rows: lxml with
    its defaults, no limits, no signature check, no rules."""
    import base64

    from lxml import etree

    root = etree.fromstring(data)
    if root.tag != "GIAMDINHHS":
        return _xml_rows(root)
    rows = []
    for content in root.iterfind("THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO/NOIDUNGFILE"):
        rows += _xml_rows(etree.fromstring(base64.b64decode(content.text)))
    return rows


def _read_share(paths: list[Path], out: Path) -> dict:
    """Plain reads of `paths`, one Parquet file per format under `out`."""
    import json

    import polars as pl
    import pydicom

    frames: dict[str, list[pl.DataFrame]] = {
        "csv": [], "ndjson": [], "json": [], "dicom": [], "xml": []
    }  # fmt: skip
    records = {fmt: 0 for fmt in frames}
    for path in paths:
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
            elif name.endswith(".xml"):
                rows = _read_xml(path.read_bytes())
                frames["xml"].append(
                    pl.DataFrame({"row": [json.dumps(r, ensure_ascii=False) for r in rows]})
                )
        except Exception:  # a broken file is skipped: the baseline does no error handling
            continue
    out.mkdir(parents=True, exist_ok=True)
    for fmt, parts in frames.items():
        if parts:
            table = pl.concat(parts, how="diagonal_relaxed")
            records[fmt] = table.height
            table.write_parquet(out / f"{fmt}.parquet")
    return {"files": len(paths), "rows": sum(records.values()), "rows_by_format": records,
            "peak_memory_mb": _peak_mb()}  # fmt: skip


def _baseline(landing: Path, out: Path, days: list[date], processes: int = 1) -> dict:
    """The plain read of the day's files, in as many processes as the ingest parses with: this
    one and `processes - 1` spawned workers, the files dealt out in turn."""
    started = time.perf_counter()
    paths = [p for day in days for p in sorted(landing.glob(f"*/{day.isoformat()}/*"))]
    shares = [paths[i::processes] for i in range(processes)]
    results = []
    if processes > 1:
        with ProcessPoolExecutor(processes - 1, mp_context=mp.get_context("spawn")) as pool:
            futures = [
                pool.submit(_read_share, share, out / f"part{i}")
                for i, share in enumerate(shares[1:], start=1)
            ]
            results.append(_read_share(shares[0], out / "part0"))
            results += [f.result() for f in futures]
    else:
        results.append(_read_share(shares[0], out / "part0"))
    by_format: dict[str, int] = {}
    for r in results:
        for fmt, n in r["rows_by_format"].items():
            by_format[fmt] = by_format.get(fmt, 0) + n
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu_seconds(),
            "files": len(paths), "rows": sum(by_format.values()), "rows_by_format": by_format,
            "processes": processes,
            "peak_memory_mb": sum(r["peak_memory_mb"] for r in results)}  # fmt: skip


def _ingest(home: Path, days: list[date]) -> dict:
    from hanoi_health_lake.config import lake_dir, landing_dir, registry_path
    from hanoi_health_lake.pipeline.ingest_day import ingest_day
    from hanoi_health_lake.pipeline.parse_day import parse_workers
    from hanoi_health_lake.pipeline.write_day import write_day
    from hanoi_health_lake.reference.registry import load_registry, registry_codes

    started = time.perf_counter()
    codes = registry_codes(load_registry(registry_path(home)))
    files = records = 0
    with _TreePeak() as tree:
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
            del result
    seconds = time.perf_counter() - started
    main = _peak_mb()
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds(), "files": files, "records": records,
            "peak_memory_mb": max(tree.peak, main), "peak_memory_tree_sampled_mb": tree.peak,
            "peak_memory_main_mb": main, "peak_memory_one_worker_mb": workers,
            "parse_processes": parse_workers()}  # fmt: skip


def _in_child(fn, *args) -> dict:
    # Not a multiprocessing.Pool: its processes are daemonic and may not start the ingest's own
    # parse workers.
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _xml_subset(work: Path, days: list[date]) -> Path:
    """A home holding only the day's QĐ 130 XML files (dossiers and check-ins, hard links) and
    the registry with its certificates, to measure the XML part of the day on its own."""
    import shutil

    from hanoi_health_lake.config import landing_dir, registry_path

    sub = work / "xml-only"
    shutil.rmtree(sub, ignore_errors=True)
    shutil.copytree(registry_path(work).parent, registry_path(sub).parent)
    for day in days:
        for path in landing_dir(work).glob(f"*/{day.isoformat()}/*.xml"):
            target = landing_dir(sub) / path.relative_to(landing_dir(work))
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    return sub


def _pair(home: Path, days: list[date], processes: int) -> tuple[dict, dict]:
    baseline = _in_child(_baseline, home / "landing", home / "baseline-parquet", days, processes)
    return baseline, _in_child(_ingest, home, days)


def bench_ingest(home: Path, scale: str, days: int) -> dict:
    from hanoi_health_lake.pipeline.parse_day import parse_workers
    from hanoi_health_lake.simulator.run import simulate

    work = home / "bench" / f"ingest-{scale}"
    service_days = [BENCH_START + timedelta(days=i) for i in range(days)]
    started = time.perf_counter()
    # Facilities send as their profiles say: hospitals send QĐ 130 XML dossiers and check-ins.
    simulate(BENCH_START, days, scale, seed=1, out=work, replace=True)
    simulate_s = time.perf_counter() - started
    processes = parse_workers()  # the baseline reads with as many processes as the ingest
    load_before = os.getloadavg()
    baseline, ingest = _pair(work, service_days, processes)
    # The XML part alone (the same files, measured the same way right after).
    xml_base, xml_ingest = _pair(_xml_subset(work, service_days), service_days, processes)
    load_after = os.getloadavg()
    return {
        "scale": scale,
        "days": days,
        "simulate_seconds": round(simulate_s, 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "baseline": baseline,
        "ingest": ingest,
        "records_per_second": round(ingest["records"] / ingest["seconds"], 1),
        "files_per_second": round(ingest["files"] / ingest["seconds"], 1),
        "ratio_ingest_to_baseline": round(ingest["seconds"] / baseline["seconds"], 3),
        # What the wall ratio tends to when other jobs keep the cores busy (then parsing in
        # several processes buys no extra CPU time).
        "cpu_ratio_ingest_to_baseline": round(ingest["cpu_seconds"] / baseline["cpu_seconds"], 3),
        "peak_memory_mb": round(ingest["peak_memory_mb"], 1),
        "xml_only": {
            "baseline": xml_base,
            "ingest": xml_ingest,
            "records_per_second": round(xml_ingest["records"] / xml_ingest["seconds"], 1),
            "baseline_rows_per_second": round(xml_base["rows"] / xml_base["seconds"], 1),
            "ratio_ingest_to_baseline": round(xml_ingest["seconds"] / xml_base["seconds"], 3),
            "cpu_ratio_ingest_to_baseline": round(
                xml_ingest["cpu_seconds"] / xml_base["cpu_seconds"], 3
            ),
        },
        "goal": "ratio <= 2.0, peak memory <= 4096 MB",
    }
