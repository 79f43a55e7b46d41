"""Helpers of the look-up API tests: a throwaway PostgreSQL database, a registry of clients,
the server started as `hhl serve-api` in a subprocess, and a facility's client side (signed
assertion → token → requests) as an HIS vendor would write it."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from hanoi_health_lake.benchmarks.lookup_api import wait_for_api
from hanoi_health_lake.lookup.client import FacilityClient
from hanoi_health_lake.lookup.clients import AUDIT_SCOPE, FACILITY_SCOPE, register_client
from hanoi_health_lake.lookup.consent import register_vneid_key, simulated_qr
from hanoi_health_lake.lookup.keys import new_ec_key

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
LOOKUP_KEY = "test-lookup-key-" + "k" * 24
TOKEN_KEY = "test-token-key-" + "t" * 24


@contextmanager
def throwaway_database(prefix: str = "hhl_lookup_test"):
    """A fresh database for one test module, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_env(home: Path, dsn: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HHL_HOME": str(home),
        "HHL_LOOKUP_DSN": dsn,
        "HHL_LOOKUP_KEY": LOOKUP_KEY,
        "HHL_API_TOKEN_KEY": TOKEN_KEY,
        **extra,
    }


@contextmanager
def running_api(home: Path, dsn: str, log: Path, **extra: str):
    """`hhl serve-api` on a free 127.0.0.1 port; yields its base URL."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "hanoi_health_lake.cli", "serve-api", "--port", str(port)],
            env=api_env(home, dsn, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_api(process, base, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


Facility = FacilityClient  # the vendor's side, from the package


@dataclass
class Registry:
    facilities: dict[str, Facility]
    department: Facility
    vneid_private: dict

    def qr(self, cccd: str, facility_code: str, days: int = 30) -> str:
        return simulated_qr(self.vneid_private, cccd, facility_code, days)


def make_registry(home: Path, facility_codes: list[str]) -> Registry:
    registry = home / "registry"
    facilities = {}
    for code in facility_codes:
        private, public = new_ec_key()
        client_id = f"his-{code}"
        register_client(registry, client_id, code, public, FACILITY_SCOPE)
        facilities[code] = Facility(client_id, code, private)
    private, public = new_ec_key()
    register_client(registry, "so-y-te-audit", "SYT-HN", public, AUDIT_SCOPE)
    department = Facility("so-y-te-audit", "SYT-HN", private)
    vneid_private, vneid_public = new_ec_key()
    register_vneid_key(registry, vneid_public)
    return Registry(facilities, department, vneid_private)


def audit_rows(dsn: str, **where) -> list[dict]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            clause = " AND ".join(f"{k} = %s" for k in where) or "true"
            cur.execute(
                f"SELECT * FROM lookup.audit WHERE {clause} ORDER BY audit_id", list(where.values())
            )
            columns = [c.name for c in cur.description]
            return [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
