"""The Department's look-up mart and its volume check, materialised by Dagster on a real
PostgreSQL audit table: a facility that suddenly looks up many books, or breaks the glass often,
is flagged; a steady one is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import psycopg2
import pytest
from psycopg2.extras import execute_values

from hanoi_health_lake.assets.lookup import lookup_activity
from hanoi_health_lake.lookup.store import ensure_schema
from hanoi_health_lake.resources import LookupStoreResource
from tests.lookup_support import LOOKUP_KEY, throwaway_database

pytestmark = pytest.mark.postgres
NOON = datetime(2026, 11, 1, 5, tzinfo=UTC)  # 12:00 in Hanoi


def _audit(conn, rows: list[tuple]) -> None:
    """(day offset, facility, action, status, break_glass, citizen) rows."""
    ensure_schema(conn)
    with conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO lookup.audit (recorded_at, request_id, facility_code, client_id, "
            "citizen_hash, action, method, path, status, outcome, break_glass) VALUES %s",
            [
                (NOON + timedelta(days=d), f"r{n}", f, f"his-{f}", c, a, "GET", "/fhir/x", s,
                 "allowed" if s < 400 else "refused", bg)
                for n, (d, f, a, s, bg, c) in enumerate(rows)
            ],
        )  # fmt: skip
    conn.commit()


def _materialize(dsn: str):
    result = dg.materialize(
        [lookup_activity],
        resources={"lookup_store": LookupStoreResource(dsn=dsn, key=LOOKUP_KEY)},
        selection=["lookup_activity"],
    )
    assert result.success
    return result.get_asset_check_evaluations()[0]


def test_a_steady_month_passes_and_a_spike_and_break_glass_are_flagged():
    steady = [
        (d, f, "everything", 200, False, f"c{d}-{i}")
        for d in range(28) for f in ("01001", "01002") for i in range(20)
    ]  # fmt: skip
    refusals = [
        (d, "01001", "patient-search", 403, False, "c") for d in range(28) for _ in range(2)
    ]
    with throwaway_database() as dsn:
        conn = psycopg2.connect(dsn)
        _audit(conn, steady + refusals)
        assert _materialize(dsn).passed
        with conn.cursor() as cur:
            cur.execute(
                "SELECT lookups, citizens, refusals, break_glass FROM lookup.activity_daily "
                "WHERE facility_code = '01001' AND day = '2026-11-05'"
            )
            assert cur.fetchone() == (20, 20, 2, 0)
        spike = [(28, "01002", "everything", 200, False, f"s{i}") for i in range(200)]
        glass = [(28, "01001", "everything", 200, True, f"g{i}") for i in range(5)]
        _audit(conn, spike + glass)
        check = _materialize(dsn)
        conn.close()
    assert not check.passed
    text = check.metadata["facility_days"].value
    assert "2026-11-29 01002: 200 look-ups over 60" in text
    assert "2026-11-29 01001: 5 break-glass look-ups" in text
    assert check.metadata["unusual"].value == 2
