"""The serving store: PostgreSQL tables of schema `lookup` (created here, idempotently).

- documents: one row per health-book document (citizen-day) and its latest versionId;
- resources: the clinical resources of the current version of each active document, with the
  citizen_hash, facility and clinical time a look-up filters and orders on;
- patients: the latest Patient resource per citizen, sealed (AES-GCM) because it carries the
  CCCD, name and address: the store holds no identity in clear;
- consents, audit, assertion_jti: the API's own records.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extras
import psycopg2.pool
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA_SQL = """
CREATE SCHEMA IF NOT EXISTS lookup;
CREATE TABLE IF NOT EXISTS lookup.documents (
    document_id   text PRIMARY KEY,
    citizen_hash  text NOT NULL,
    service_date  date NOT NULL,
    version_id    integer NOT NULL,
    status        text NOT NULL,
    issued_at     timestamptz NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS documents_citizen ON lookup.documents (citizen_hash);
CREATE TABLE IF NOT EXISTS lookup.resources (
    document_id   text NOT NULL REFERENCES lookup.documents ON DELETE CASCADE,
    citizen_hash  text NOT NULL,
    resource_type text NOT NULL,
    resource_id   text NOT NULL,
    facility_code text,
    occurred_at   timestamptz,
    last_updated  timestamptz NOT NULL,
    resource      jsonb NOT NULL,
    PRIMARY KEY (document_id, resource_type, resource_id)
);
CREATE INDEX IF NOT EXISTS resources_citizen_time
    ON lookup.resources (citizen_hash, occurred_at DESC);
CREATE TABLE IF NOT EXISTS lookup.patients (
    citizen_hash  text PRIMARY KEY,
    patient_id    text NOT NULL UNIQUE,
    sealed        bytea NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS lookup.consents (
    consent_id    text PRIMARY KEY,
    citizen_hash  text NOT NULL,
    facility_code text NOT NULL,
    granted_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    source        text NOT NULL
);
CREATE INDEX IF NOT EXISTS consents_lookup ON lookup.consents (citizen_hash, facility_code);
CREATE TABLE IF NOT EXISTS lookup.audit (
    audit_id      bigserial PRIMARY KEY,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    request_id    text NOT NULL,
    facility_code text,
    client_id     text,
    citizen_hash  text,
    action        text NOT NULL,
    method        text NOT NULL,
    path          text NOT NULL,
    reason_kind   text,
    reason_text   text,
    status        integer NOT NULL,
    outcome       text NOT NULL,
    detail        text,
    break_glass   boolean NOT NULL DEFAULT false,
    review_status text
);
CREATE INDEX IF NOT EXISTS audit_citizen ON lookup.audit (citizen_hash, recorded_at);
CREATE INDEX IF NOT EXISTS audit_time ON lookup.audit (recorded_at);
CREATE TABLE IF NOT EXISTS lookup.assertion_jti (
    client_id     text NOT NULL,
    jti           text NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);
"""


def ensure_schema(conn) -> None:
    with conn.cursor() as cur:
        # one creator at a time: the loader and a starting server may race on a new database
        cur.execute("SELECT pg_advisory_xact_lock(18180018)")
        cur.execute(SCHEMA_SQL)
    conn.commit()


def connect(dsn: str):
    return psycopg2.connect(dsn)


class Pool:
    """A thread-safe pool of connections; the app's endpoints run in worker threads."""

    def __init__(self, dsn: str, size: int) -> None:
        # minconn = maxconn: psycopg2's pool closes any connection returned while `minconn` are
        # already idle, so with minconn 1 nearly every request under load opened a new
        # PostgreSQL connection (a backend process each) and closed it again.
        self._pool = psycopg2.pool.ThreadedConnectionPool(size, size, dsn)

    @contextmanager
    def connection(self) -> Iterator[Any]:
        conn = self._pool.getconn()
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            self._pool.putconn(conn)

    def close(self) -> None:
        self._pool.closeall()


class Sealer:
    """AES-256-GCM of the stored Patient resources (a fresh nonce each, the purpose bound in)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, resource: dict) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, json.dumps(resource).encode(), b"patient")

    def unseal(self, blob: bytes) -> dict:
        blob = bytes(blob)
        return json.loads(self._aead.decrypt(blob[:12], blob[12:], b"patient"))


def unseal(key: bytes, blob: bytes) -> dict:
    return Sealer(key).unseal(blob)
