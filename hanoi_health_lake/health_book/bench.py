"""`hhl bench health-book`: the feed for simulated days against the ingest of the same days.

Simulates the days (or reuses a simulation already under HHL_HOME/bench/health-book-<scale>),
then in fresh child processes, one after the other: the day's ingest (parse, validate, silver,
the encrypted identities) and the feed (decrypt, build, version and write every document). The
feed's checks (reading the outbox back, FHIR validation of a spread) are timed apart. Peak
memory is each child's ru_maxrss (the ingest's is that of its whole process tree).
"""

from __future__ import annotations

import resource
import time
from datetime import timedelta
from pathlib import Path

from hanoi_health_lake.pipeline.bench import BENCH_START, _cpu_seconds, _in_child, _TreePeak

PSEUDONYM_KEY = b"bench-key-0123456789"
IDENTITY_KEY = bytes(range(32))


def _ingest_with_identities(home: Path, days: list) -> dict:
    """The day's ingest as the ingest asset runs it: the tables, then the encrypted identities."""
    from hanoi_health_lake.config import lake_dir, landing_dir, registry_path
    from hanoi_health_lake.health_book.cipher import IdentityCipher
    from hanoi_health_lake.health_book.identities import encrypt_identities, write_identities
    from hanoi_health_lake.pipeline.ingest_day import ingest_day
    from hanoi_health_lake.pipeline.write_day import write_day
    from hanoi_health_lake.reference.registry import load_registry, registry_codes

    started, cpu = time.perf_counter(), _cpu_seconds()
    codes = registry_codes(load_registry(registry_path(home)))
    with _TreePeak() as tree:
        for day in days:
            result = ingest_day(landing_dir(home), day, registry_codes=codes,
                                key=PSEUDONYM_KEY, run_id="bench")  # fmt: skip
            write_day(lake_dir(home), result, "bench")
            table = encrypt_identities(
                result.identities, IdentityCipher(IDENTITY_KEY), day, "bench"
            )
            write_identities(lake_dir(home), table, day, "bench")
            del result, table
    seconds = time.perf_counter() - started
    peak = max(tree.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu, "peak_memory_mb": peak}


def _feed(home: Path, days: list) -> dict:
    from hanoi_health_lake.health_book import checks, outbox
    from hanoi_health_lake.health_book.feed import feed_day

    started = time.perf_counter()
    cpu = time.process_time()
    manifests = [
        feed_day(home, day, pseudonym_key=PSEUDONYM_KEY, identity_key=IDENTITY_KEY,
                 run_id="bench").manifest
        for day in days
    ]  # fmt: skip
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    invalid = 0
    for day in days:
        total = outbox.read_manifest(home, day)["documents"]
        tally = checks.Tally(total).read(outbox.read_documents(home, day))
        invalid += len(tally.problems) + len(tally.orphans)
    check_seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_memory_mb": peak,
        "documents": sum(m["documents"] for m in manifests),
        "encounters": sum(m["encounters"] for m in manifests),
        "outbox_mb": sum(
            p.stat().st_size for d in days for p in outbox.day_dir(home, d).iterdir()
        ) / 2**20,
        "check_seconds": check_seconds,
        "invalid_documents": invalid,
    }  # fmt: skip


def bench_health_book(home: Path, scale: str, days: int) -> dict:
    from hanoi_health_lake.simulator.run import simulate

    work = home / "bench" / f"health-book-{scale}"
    service_days = [BENCH_START + timedelta(days=i) for i in range(days)]
    if not (work / "ground_truth" / "manifest.json").exists():
        simulate(BENCH_START, days, scale, seed=1, out=work, replace=True)
    ingest = _in_child(_ingest_with_identities, work, service_days)
    feed = _in_child(_feed, work, service_days)
    return {
        "scale": scale,
        "days": days,
        "ingest": ingest,
        "feed": feed,
        "ratio_feed_to_ingest": round(feed["seconds"] / ingest["seconds"], 3),
        "cpu_ratio_feed_to_ingest": round(feed["cpu_seconds"] / ingest["cpu_seconds"], 3),
        "documents_per_second": round(feed["documents"] / feed["seconds"], 1),
        "goal": "the feed costs at most half the ingest (ratio <= 0.5)",
    }
