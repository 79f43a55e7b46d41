"""Load health-book documents into the serving store: idempotent, corrections replace,
withdrawals remove.

A document is applied only when its versionId is higher than the stored one (a re-run of the
same feed changes nothing; an older copy never overwrites a correction). Applying it replaces
the document's resources whole; a withdrawn version (Composition `entered-in-error`) keeps only
the document row, so nothing of it is served, and a citizen left with no active document (an
opt-out withdraws them all) is removed from the Patient index too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from psycopg2.extras import execute_values

from hanoi_health_lake.lookup.citizen_hash import CitizenHasher
from hanoi_health_lake.lookup.documents import (
    Document,
    DocumentError,
    read_document,
    served_patient,
)
from hanoi_health_lake.lookup.store import Sealer, ensure_schema

BATCH = 2000


@dataclass
class LoadCounts:
    read: int = 0
    applied: int = 0
    unchanged: int = 0  # same or older version than the store holds
    withdrawn: int = 0
    resources: int = 0
    patients_removed: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


def load_documents(
    conn, bundles: Iterable[dict], hasher: CitizenHasher, service_date: str | None = None
) -> LoadCounts:
    """Apply the documents (of one service day when `service_date` is given: the feed's
    folder says it; a Composition's date is its issue time)."""
    ensure_schema(conn)
    with conn.cursor() as cur:
        # a crash may lose the last batches' commits, never consistency: a rerun of the day
        # applies them again (the load is idempotent), and each commit stops waiting on fsync
        cur.execute("SET synchronous_commit = off")
    counts = LoadCounts()
    batch: list[Document] = []
    for bundle in bundles:
        counts.read += 1
        try:
            batch.append(read_document(bundle, hasher, service_date))
        except DocumentError as error:
            counts.rejected += 1
            counts.reasons[str(error)] = counts.reasons.get(str(error), 0) + 1
            continue
        if len(batch) >= BATCH:
            _apply(conn, batch, hasher, counts)
            batch = []
    if batch:
        _apply(conn, batch, hasher, counts)
    return counts


def _latest(batch: list[Document]) -> list[Document]:
    """One document per id, its highest version (a feed may carry a document twice)."""
    best: dict[str, Document] = {}
    for doc in batch:
        if doc.document_id not in best or doc.version_id > best[doc.document_id].version_id:
            best[doc.document_id] = doc
    return list(best.values())


def _apply(conn, batch: list[Document], hasher: CitizenHasher, counts: LoadCounts) -> None:
    batch = _latest(batch)
    sealer = Sealer(hasher.seal_key())
    with conn.cursor() as cur:
        cur.execute(
            "SELECT document_id, version_id, citizen_hash FROM lookup.documents "
            "WHERE document_id = ANY(%s) FOR UPDATE",
            ([d.document_id for d in batch],),
        )
        stored = {row[0]: (row[1], row[2]) for row in cur.fetchall()}
        newer = [
            d
            for d in batch
            if d.document_id not in stored or d.version_id > stored[d.document_id][0]
        ]
        counts.unchanged += len(batch) - len(newer)
        if not newer:
            conn.commit()
            return
        doc_rows, resource_rows, patient_rows, touched = [], [], {}, set()
        for doc in newer:
            if doc.cccd:
                citizen = hasher.citizen_hash(doc.cccd)
            elif doc.document_id in stored:  # a withdrawn version may carry no Patient
                citizen = stored[doc.document_id][1]
            else:
                counts.rejected += 1
                counts.reasons["no citizen id"] = counts.reasons.get("no citizen id", 0) + 1
                continue
            doc_rows.append(
                (
                    doc.document_id,
                    citizen,
                    doc.service_date,
                    doc.version_id,
                    doc.status,
                    doc.issued_at,
                )
            )
            touched.add(citizen)
            if doc.withdrawn:
                counts.withdrawn += 1
                continue
            for resource in doc.resources:
                resource_rows.append(
                    (
                        doc.document_id,
                        citizen,
                        resource.kind,
                        resource.id,
                        resource.facility_code,
                        resource.occurred_at or doc.issued_at,
                        doc.issued_at,
                        resource.text,
                    )
                )
            if doc.patient and doc.cccd:
                previous = patient_rows.get(citizen)
                if previous is None or doc.issued_at >= previous[3]:
                    served = served_patient(
                        doc.patient, hasher.patient_id(doc.cccd), doc.issued_at, doc.version_id
                    )
                    patient_rows[citizen] = (
                        citizen,
                        hasher.patient_id(doc.cccd),
                        sealer.seal(served),
                        doc.issued_at,
                    )
        if not doc_rows:
            conn.commit()
            return
        execute_values(
            cur,
            "INSERT INTO lookup.documents AS d (document_id, citizen_hash, service_date, "
            "version_id, status, issued_at) VALUES %s ON CONFLICT (document_id) DO UPDATE SET "
            "citizen_hash = excluded.citizen_hash, service_date = excluded.service_date, "
            "version_id = excluded.version_id, status = excluded.status, "
            "issued_at = excluded.issued_at, loaded_at = now()",
            doc_rows,
            page_size=1000,
        )
        cur.execute(
            "DELETE FROM lookup.resources WHERE document_id = ANY(%s)", ([r[0] for r in doc_rows],)
        )
        if resource_rows:
            execute_values(
                cur,
                "INSERT INTO lookup.resources (document_id, citizen_hash, resource_type, "
                "resource_id, facility_code, occurred_at, last_updated, resource) VALUES %s "
                "ON CONFLICT DO NOTHING",
                resource_rows,
                page_size=1000,
            )
        if patient_rows:
            execute_values(
                cur,
                "INSERT INTO lookup.patients AS p (citizen_hash, patient_id, sealed, updated_at) "
                "VALUES %s ON CONFLICT (citizen_hash) DO UPDATE SET sealed = excluded.sealed, "
                "updated_at = excluded.updated_at WHERE excluded.updated_at >= p.updated_at",
                list(patient_rows.values()),
                page_size=1000,
            )
        # a citizen with no active document left (withdrawals, an opt-out) leaves the index
        cur.execute(
            "DELETE FROM lookup.patients p WHERE p.citizen_hash = ANY(%s) AND NOT EXISTS ("
            "SELECT 1 FROM lookup.documents d WHERE d.citizen_hash = p.citizen_hash "
            "AND d.status <> 'entered-in-error')",
            (sorted(touched),),
        )
        counts.patients_removed += cur.rowcount
    conn.commit()
    counts.applied += len(doc_rows)
    counts.resources += len(resource_rows)
