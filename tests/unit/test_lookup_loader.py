"""The serving-store loader on a real PostgreSQL: idempotent, corrections replace, withdrawals
remove, no identity in clear in any column."""

from __future__ import annotations

import psycopg2
import pytest

from hanoi_health_lake.lookup.citizen_hash import CitizenHasher
from hanoi_health_lake.lookup.loader import load_documents
from hanoi_health_lake.lookup.store import unseal
from tests.lookup_documents import document
from tests.lookup_support import LOOKUP_KEY, throwaway_database

pytestmark = pytest.mark.postgres
CITIZEN, OTHER = "001090000001", "001090000002"
HASHER = CitizenHasher(LOOKUP_KEY.encode())


@pytest.fixture
def conn():
    with throwaway_database() as dsn:
        connection = psycopg2.connect(dsn)
        yield connection
        connection.close()


def _served(conn, cccd: str) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT resource_type, resource->'code'->'coding'->0->>'code' FROM lookup.resources "
            "WHERE citizen_hash = %s ORDER BY 1, 2",
            (HASHER.citizen_hash(cccd),),
        )
        return cur.fetchall()


def _patients(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM lookup.patients")
        return cur.fetchone()[0]


def test_a_rerun_changes_nothing_and_an_older_copy_never_overwrites(conn):
    first = [document(CITIZEN, "2026-11-01", 1, "01001"), document(OTHER, "2026-11-01", 1, "01002")]
    counts = load_documents(conn, first, HASHER)
    assert (counts.applied, counts.resources, counts.unchanged) == (2, 4, 0)
    again = load_documents(conn, first, HASHER)
    assert (again.applied, again.unchanged) == (0, 2)
    correction = document(CITIZEN, "2026-11-01", 2, "01001", icd10="J18")
    load_documents(conn, [correction], HASHER)
    load_documents(conn, [document(CITIZEN, "2026-11-01", 1, "01001")], HASHER)  # stale copy
    assert _served(conn, CITIZEN) == [("Condition", "J18"), ("Encounter", None)]


def test_a_withdrawn_document_leaves_nothing_and_a_citizen_without_documents_leaves_the_index(
    conn,
):
    load_documents(
        conn,
        [document(CITIZEN, "2026-11-01", 1, "01001"), document(CITIZEN, "2026-11-02", 1, "01002")],
        HASHER,
    )
    load_documents(conn, [document(CITIZEN, "2026-11-01", 2, "01001", withdrawn=True)], HASHER)
    assert _served(conn, CITIZEN) == [("Condition", "J06"), ("Encounter", None)]
    assert _patients(conn) == 1
    # an opt-out withdraws every document; the withdrawn copy need not carry the Patient
    withdrawn = document(CITIZEN, "2026-11-02", 2, "01002", withdrawn=True, with_patient=False)
    counts = load_documents(conn, [withdrawn], HASHER)
    assert (counts.withdrawn, counts.patients_removed) == (1, 1)
    assert _served(conn, CITIZEN) == [] and _patients(conn) == 0


def test_the_store_holds_no_citizen_id_or_name_in_clear(conn):
    load_documents(conn, [document(CITIZEN, "2026-11-01", 1, "01001")], HASHER)
    with conn.cursor() as cur:
        for table in ("documents", "resources", "patients"):
            cur.execute(f"SELECT t::text FROM lookup.{table} t")
            text = " ".join(row[0] for row in cur.fetchall())
            assert CITIZEN not in text and "Nguyễn" not in text, table
        cur.execute("SELECT sealed FROM lookup.patients")
        patient = unseal(HASHER.seal_key(), cur.fetchone()[0])
    assert patient["identifier"][0]["value"] == CITIZEN
    assert patient["id"] == HASHER.patient_id(CITIZEN)


def test_references_inside_a_document_become_served_references(conn):
    load_documents(conn, [document(CITIZEN, "2026-11-01", 1, "01001")], HASHER)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT resource_type, resource_id, facility_code, resource FROM lookup.resources"
        )
        rows = {r[0]: r for r in cur.fetchall()}
    condition = rows["Condition"][3]
    assert condition["subject"]["reference"] == f"Patient/{HASHER.patient_id(CITIZEN)}"
    assert condition["encounter"]["reference"] == f"Encounter/{rows['Encounter'][1]}"
    assert rows["Condition"][2] == rows["Encounter"][2] == "01001"
    assert condition["meta"]["versionId"] == "1"


def test_a_bundle_that_is_not_a_document_is_counted_as_rejected(conn):
    bad = {"resourceType": "Bundle", "type": "collection"}
    counts = load_documents(conn, [bad, document(CITIZEN, "2026-11-01", 1, "01001")], HASHER)
    assert (counts.rejected, counts.applied) == (1, 1)


def test_the_api_pool_keeps_its_connections_open_between_requests():
    """Requests from many threads share the pool's connections: no request opens a backend of
    its own (psycopg2 closes a returned connection when its minimum is idle already)."""
    import threading

    from hanoi_health_lake.lookup.store import Pool

    with throwaway_database() as dsn:
        pool = Pool(dsn, 4)
        backends: list[int] = []

        def requests() -> None:
            for _ in range(25):
                with pool.connection() as conn, conn.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid(), pg_sleep(0.002)")  # requests overlap
                    backends.append(cur.fetchone()[0])

        threads = [threading.Thread(target=requests) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        pool.close()
    assert len(backends) == 100 and len(set(backends)) <= 4
