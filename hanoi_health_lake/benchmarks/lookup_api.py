"""`hhl bench api`: latency of the look-up API on a serving store of a simulated city.

1. Simulate `days` of a city, ingest them, write their health-book feed (each step skipped when
   its output is already there: the work folder is HHL_HOME/bench/api-<scale>), and load the feed
   into a fresh PostgreSQL database on 127.0.0.1 (timed: documents/s).
2. Fill the store towards `fill_days` days' volume: each further day is a copy of the loaded
   documents and resources under other citizen hashes and later dates, made inside PostgreSQL,
   until the store holds `fill_days` days or `fill_minutes` have passed (what fits the machine).
3. Start `hhl serve-api` on a free 127.0.0.1 port, give a bench client consent for a random
   sample of citizens, and call `$everything` for random citizens of the sample from `clients`
   threads, at most `max_requests` calls and `max_seconds` seconds; then the same for refused
   requests (no consent; no token). Latency is the client's wall time per call (connection
   kept alive), so it includes the Python client's own cost on the same machine.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2

from hanoi_health_lake.config import environment, setting

BENCH_START = date(2026, 3, 2)
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
DATABASE = "hhl_lookup_bench"


def _keys(work: Path) -> None:
    """Bench-only keys, kept beside the bench data (never the developer's own)."""
    path = work / "bench-keys.json"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(
            json.dumps(
                {
                    "HHL_PSEUDONYM_KEY": secrets.token_hex(32),
                    "HHL_IDENTITY_KEY": secrets.token_hex(32),
                    "HHL_LOOKUP_KEY": secrets.token_hex(32),
                    "HHL_API_TOKEN_KEY": secrets.token_hex(32),
                }
            )
        )
    os.environ.update(json.loads(path.read_text()))


def _prepare(work: Path, scale: str, days: int, say) -> list[date]:
    from hanoi_health_lake.automation.inprocess import run_days
    from hanoi_health_lake.health_book.feed import feed_day
    from hanoi_health_lake.health_book.keys import identity_key
    from hanoi_health_lake.health_book.outbox import fed_days
    from hanoi_health_lake.simulator.run import simulate

    service_days = [BENCH_START + timedelta(days=n) for n in range(days)]
    simulated = work / f".simulated-{days}"  # a simulation cut short is never taken as done
    if not simulated.exists():
        say(f"simulating {days} {scale} day(s) …")
        simulate(BENCH_START, days, scale, seed=11, out=work, replace=True)
        simulated.touch()
    fed = set(fed_days(work))
    todo = [d for d in service_days if d.isoformat() not in fed]
    if todo:
        say(f"ingesting {len(todo)} day(s) …")
        runs = run_days(work, todo[0], todo[-1], say=say)
        if not all(r.success for r in runs):
            raise RuntimeError(f"the ingest failed: {runs}")
        for day in todo:
            if day.isoformat() not in set(fed_days(work)):
                say(f"feeding the health book of {day} …")
                feed_day(
                    work, day, pseudonym_key=setting("HHL_PSEUDONYM_KEY").encode(),
                    identity_key=identity_key(), run_id="bench-api",
                )  # fmt: skip
    return service_days


def _fresh_database() -> str:
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()
    return f"host=127.0.0.1 port=5432 user=postgres dbname={DATABASE}"


REPLICATE = [
    """INSERT INTO lookup.documents (document_id, citizen_hash, service_date, version_id,
           status, issued_at)
       SELECT document_id || '~' || %(k)s, md5(citizen_hash || '~' || %(k)s) || md5(%(k)s ||
           citizen_hash), service_date + %(k)s, version_id, status,
           issued_at + %(k)s * interval '1 day'
       FROM lookup.documents WHERE position('~' in document_id) = 0""",
    """INSERT INTO lookup.resources (document_id, citizen_hash, resource_type, resource_id,
           facility_code, occurred_at, last_updated, resource)
       SELECT r.document_id || '~' || %(k)s, md5(r.citizen_hash || '~' || %(k)s) || md5(%(k)s ||
           r.citizen_hash), r.resource_type, r.resource_id, r.facility_code,
           r.occurred_at + %(k)s * interval '1 day', r.last_updated + %(k)s * interval '1 day',
           r.resource
       FROM lookup.resources r WHERE position('~' in r.document_id) = 0""",
    """INSERT INTO lookup.patients (citizen_hash, patient_id, sealed, updated_at)
       SELECT md5(p.citizen_hash || '~' || %(k)s) || md5(%(k)s || p.citizen_hash),
           substr(md5(p.patient_id || '~' || %(k)s), 1, 32), p.sealed, p.updated_at
       FROM lookup.patients p WHERE EXISTS (SELECT 1 FROM lookup.documents d
           WHERE d.citizen_hash = p.citizen_hash AND position('~' in d.document_id) = 0)""",
]


def _fill(dsn: str, loaded_days: int, fill_days: int, fill_minutes: float, say):
    """Copies of the loaded days under other citizens until `fill_days` or the time is up."""
    conn = psycopg2.connect(dsn)
    held, k, deadline = loaded_days, 0, time.monotonic() + fill_minutes * 60
    try:
        while held + loaded_days <= fill_days and time.monotonic() < deadline:
            k += loaded_days
            with conn.cursor() as cur:
                cur.execute("SET synchronous_commit = off")
                for sql in REPLICATE:
                    cur.execute(sql, {"k": k})
            conn.commit()
            held += loaded_days
            say(f"store holds {held} days' documents")
        with conn.cursor() as cur:
            conn.autocommit = True
            cur.execute("VACUUM ANALYZE")
            cur.execute("SELECT pg_database_size(current_database())")
            size = cur.fetchone()[0]
    finally:
        conn.close()
    return held, size


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"n": len(values), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "mean_ms": round(statistics.fmean(values) * 1000, 1)}  # fmt: skip


def _loop(base: str, make_request, clients: int, max_requests: int, max_seconds: float):
    """`clients` threads calling until `max_requests` calls in all or `max_seconds` elapse."""
    import requests

    if not base.startswith("http://127.0.0.1:"):
        raise ValueError("the bench calls 127.0.0.1 only")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    issued = [0]
    deadline = time.monotonic() + max_seconds

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        session = requests.Session()
        while time.monotonic() < deadline:
            with lock:
                if issued[0] >= max_requests:
                    return
                issued[0] += 1
            method, url, headers = make_request(rnd)
            start = time.perf_counter()
            response = session.request(method, base + url, headers=headers, timeout=30)
            response.content  # noqa: B018 (read the whole body: part of the cost)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {**_percentiles(latencies), "statuses": statuses, "wall_s": round(wall, 1),
            "requests_per_s": round(len(latencies) / wall, 1)}  # fmt: skip


def _server(work: Path, dsn: str, log: Path):
    """`hhl serve-api` on a free 127.0.0.1 port (rate limits lifted: the bench is one client)."""
    import requests

    from hanoi_health_lake.automation.services import free_port

    port = free_port()
    env = {**environment(), "HHL_HOME": str(work), "HHL_LOOKUP_DSN": dsn,
           "HHL_API_RATE_PER_MINUTE": "100000000", "HHL_API_RATE_BURST": "100000"}  # fmt: skip
    out = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "hanoi_health_lake.cli", "serve-api", "--port", str(port)],
        env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_api(process, base, log)
    except requests.RequestException:
        process.kill()
        raise
    return process, base


def wait_for_api(process: subprocess.Popen, base: str, log: Path) -> None:
    """Wait until `hhl serve-api` (`process`, its output in `log`) answers at `base`: a
    RuntimeError with the log's tail if it exits first, the last RequestException after 60 s.
    The look-up API tests start their server the same way."""
    import requests

    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"hhl serve-api exited: {log.read_text()[-2000:]}")
        try:
            requests.get(f"{base}/fhir/metadata", timeout=10)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _consent(dsn: str, facility: str, patient_ids: list[str]) -> None:
    """Consents of the sampled citizens for the bench facility, as a VNeID QR scan leaves them."""
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO lookup.consents (consent_id, citizen_hash, facility_code, granted_at, "
            "expires_at, source) SELECT 'bench-' || patient_id, citizen_hash, %s, now(), "
            "now() + interval '1 day', 'bench' FROM lookup.patients WHERE patient_id = ANY(%s)",
            (facility, patient_ids),
        )
    conn.close()


def bench_api(
    home: Path,
    scale: str,
    days: int,
    *,
    fill_days: int = 30,
    fill_minutes: float = 10,
    clients: int = 20,
    max_requests: int = 4000,
    max_seconds: float = 60,
    sample: int = 5000,
    say=lambda message: print(message, file=sys.stderr, flush=True),
) -> dict:
    from hanoi_health_lake.lookup.citizen_hash import CitizenHasher
    from hanoi_health_lake.lookup.client import FacilityClient
    from hanoi_health_lake.lookup.clients import register_client
    from hanoi_health_lake.lookup.keys import new_ec_key
    from hanoi_health_lake.lookup.serving import load_into

    work = home / "bench" / f"api-{scale}"
    _keys(work)
    service_days = _prepare(work, scale, days, say)
    dsn = _fresh_database()
    conn = psycopg2.connect(dsn)
    documents, started = 0, time.perf_counter()
    try:
        for day in service_days:
            say(f"loading {day} into the serving store …")
            counts = load_into(conn, work, day.isoformat(), CitizenHasher(
                setting("HHL_LOOKUP_KEY").encode()))  # fmt: skip
            documents += counts.applied
    finally:
        conn.close()
    load_s = time.perf_counter() - started
    held, size = _fill(dsn, len(service_days), fill_days, fill_minutes, say)

    registry = work / "registry"
    clients_made = {}
    for name, code in (("bench-consented", "BENCH-A"), ("bench-stranger", "BENCH-B")):
        private, public = new_ec_key()
        register_client(registry, name, code, public, "system/*.read")
        clients_made[name] = FacilityClient(name, code, private)
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM lookup.patients")
        citizens = cur.fetchone()[0]
        cur.execute(
            "SELECT patient_id FROM lookup.patients TABLESAMPLE BERNOULLI (%s) LIMIT %s",
            (min(100.0, 100.0 * sample * 2 / max(citizens, 1)), sample),
        )
        patient_ids = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT count(*) FROM lookup.resources")
        resources = cur.fetchone()[0]
    conn.close()
    _consent(dsn, "BENCH-A", patient_ids)
    process, base = _server(work, dsn, work / "api.log")
    try:
        tokens = {}
        for name, client in clients_made.items():
            client.base = base
            tokens[name] = client.token()

        def lookup(name: str, with_token: bool = True):
            def make(rnd: random.Random):
                headers = {"Authorization": f"Bearer {tokens[name]}"} if with_token else {}
                return "GET", f"/fhir/Patient/{rnd.choice(patient_ids)}/$everything", headers

            return make

        say(f"$everything with consent: {clients} clients …")
        allowed = _loop(base, lookup("bench-consented"), clients, max_requests, max_seconds)
        say("refused: no consent …")
        refused = _loop(base, lookup("bench-stranger"), clients, max_requests // 2, max_seconds / 2)
        say("refused: no token …")
        no_token = _loop(base, lookup("bench-consented", False), clients, max_requests // 2,
                         max_seconds / 2)  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "scale": scale,
        "simulated_days": [d.isoformat() for d in service_days],
        "documents_loaded": documents,
        "load_s": round(load_s, 1),
        "load_documents_per_s": round(documents / load_s, 1) if load_s else None,
        "store_days": held,
        "store_citizens": citizens,
        "store_resources": resources,
        "store_size_mb": round(size / 2**20),
        "clients": clients,
        "everything_with_consent": allowed,
        "refused_no_consent": refused,
        "refused_no_token": no_token,
        "goal_p95_ms": 100,
        "load_average": os.getloadavg(),
        "finished_at": datetime.now(UTC).isoformat(),
    }
