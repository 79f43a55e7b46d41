"""One service day's health-book feed: silver + identities + policy → versioned documents.

For each citizen with accepted records on the day, one document. A rerun after a correction
compares each document's content with the version last issued: unchanged keeps its version and
issue time (same bytes), changed is re-issued as version + 1, and a document that no longer has
anything to say (records withdrawn, citizen opted out) is re-issued as `entered-in-error`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa

from hanoi_health_lake import __name__ as _package
from hanoi_health_lake.config import TIMEZONE, lake_dir
from hanoi_health_lake.health_book import bundle, outbox
from hanoi_health_lake.health_book.audit import record_decryption
from hanoi_health_lake.health_book.bundle import DayRecords
from hanoi_health_lake.health_book.cipher import IdentityCipher
from hanoi_health_lake.health_book.identities import read_identities
from hanoi_health_lake.health_book.policy import category_of, load_policy
from hanoi_health_lake.health_book.tables import SCHEMAS, table_path
from hanoi_health_lake.lake.delta_io import read_table, table_exists, write_partition

PURPOSE = "health book feed (QĐ 1332/QĐ-BYT): documents for VNeID/iHanoi"
READER = "asset health_book_feed"
SENT, NO_CITIZEN_ID, OPTED_OUT, WITHHELD = "sent", "no_citizen_id", "opted_out", "withheld_category"
_DOC_LABEL = "hanoi-health-lake/health-book-document/v1"
# Silver table → DayRecords attribute, and how its rows name their encounter.
_CLINICAL = {
    "diagnoses": "diagnoses",
    "prescription_items": "prescription_items",
    "referrals": "referrals",
    "appointments": "appointments",
    "imaging_studies": "imaging_studies",
    "lab_results": "lab_results",
}


@dataclass
class FeedDay:
    service_date: date
    folder: Path
    manifest: dict
    outcomes: dict[str, int] = field(default_factory=dict)  # encounters by outcome


def document_key(pseudonym_key: bytes, patient_key: str, day: date) -> str:
    """The document id: keyed (the pseudonymisation key) so it cannot be recomputed from a
    patient_key seen in the warehouse."""
    text = f"{_DOC_LABEL}|{patient_key}|{day.isoformat()}"
    return bundle.document_id(hmac.new(pseudonym_key, text.encode(), hashlib.sha256).hexdigest())


def _silver(lake: Path, name: str, day: date) -> pl.DataFrame:
    path = lake / "silver" / name
    if not table_exists(path):
        from hanoi_health_lake.lake.catalog import SILVER_SCHEMAS

        return pl.from_arrow(SILVER_SCHEMAS[name].empty_table())
    frame = pl.from_arrow(read_table(path, [day]))
    # Delta keeps instants in UTC; the citizen reads Hanoi time (+07:00), the same instant.
    return frame.with_columns(
        pl.col(name).dt.convert_time_zone(TIMEZONE)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone
    )


def _previous(lake: Path, name: str, day: date) -> pl.DataFrame:
    path = table_path(lake, name)
    if not table_exists(path):
        return pl.from_arrow(SCHEMAS[name].empty_table())
    return pl.from_arrow(read_table(path, [day]))


def _iso(name: str, dtype: pl.DataType) -> pl.Expr:
    """The column as `datetime.isoformat()` / `date.isoformat()` would write each value, done by
    Polars for the whole column instead of once per value in Python (the Bundles only print
    them). ISO text of one offset sorts like the instants, so comparisons are unchanged."""
    col = pl.col(name)
    if isinstance(dtype, pl.Date):
        return col.dt.to_string("%Y-%m-%d").alias(name)
    zone = "%:z" if dtype.time_zone else ""
    return (
        pl.when(col.dt.microsecond() == 0)
        .then(col.dt.to_string(f"%Y-%m-%dT%H:%M:%S{zone}"))
        .otherwise(col.dt.to_string(f"%Y-%m-%dT%H:%M:%S%.6f{zone}"))
        .alias(name)
    )


def _group(frame: pl.DataFrame, keys: set[str]) -> dict[str, list[dict]]:
    """Rows of the citizens in `keys` as dicts, per patient_key; dates and times as ISO text."""
    out: dict[str, list[dict]] = defaultdict(list)
    frame = frame.filter(pl.col("patient_key").is_in(list(keys)))
    frame = frame.with_columns(
        _iso(name, dtype)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Date | pl.Datetime)
    )
    for row in frame.to_dicts():
        out[row["patient_key"]].append(row)
    return out


_BATCH = 10_000  # citizens whose silver rows are Python dicts at the same time


def _in_batches(keys: list[str], encounters: pl.DataFrame, tables: dict[str, pl.DataFrame]):
    """Each citizen in `keys` order, with the rows of its batch grouped per citizen (encounters,
    and per clinical table): only one batch of the day's silver is Python dicts at a time."""
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        batch = set(chunk)
        enc_by_person = _group(encounters, batch)
        by_person = {name: _group(frame, batch) for name, frame in tables.items()}
        for patient_key in chunk:
            yield patient_key, enc_by_person, by_person
        del enc_by_person, by_person


def feed_day(
    home: Path,
    day: date,
    *,
    pseudonym_key: bytes,
    identity_key: bytes,
    run_id: str,
    now: datetime | None = None,
) -> FeedDay:
    now = now or datetime.now(UTC)
    lake = lake_dir(home)
    policy = load_policy(home)
    encounters = _silver(lake, "encounters", day)
    tables = {name: _silver(lake, name, day) for name in _CLINICAL}
    cccd = set(encounters.filter(pl.col("patient_key_type") == "cccd")["patient_key"].to_list())
    for frame in tables.values():
        cccd |= set(frame.filter(pl.col("patient_key_type") == "cccd")["patient_key"].to_list())
    previous = _previous(lake, "health_book_documents", day)
    latest = previous.sort("version").unique("document_id", keep="last")
    cipher = IdentityCipher(identity_key)
    identities = read_identities(
        lake, sorted(cccd), cipher,
        service_date=day, run_id=run_id, purpose=PURPOSE, reader=READER,
    )  # fmt: skip
    who = {row["patient_key"]: row for row in identities.to_dicts()}

    outcome: dict[tuple[str, str], str] = {}
    fresh: dict[str, tuple[str, dict, int]] = {}  # document id → (patient_key, bundle, encounters)
    for patient_key, enc_by_person, by_person in _in_batches(sorted(cccd), encounters, tables):
        identity = who.get(patient_key)
        person_encounters = enc_by_person.get(patient_key, [])
        if identity is None:  # records keyed by citizen id but no encounter ever named them
            continue
        if identity["citizen_id"] in policy.opted_out:
            outcome |= {
                (e["facility_code"], e["encounter_id"]): OPTED_OUT for e in person_encounters
            }
            continue
        categories = policy.categories_for(identity["citizen_id"])
        diagnoses = by_person["diagnoses"].get(patient_key, [])
        withheld = {
            (d["facility_code"], d["encounter_id"]) for d in diagnoses
            if category_of(d["icd10"], categories)
        } | {
            (e["facility_code"], e["encounter_id"]) for e in person_encounters
            if category_of(e["primary_icd10"], categories)
        }  # fmt: skip
        records = DayRecords(
            encounters=[e for e in person_encounters
                        if (e["facility_code"], e["encounter_id"]) not in withheld],
            **{
                attr: [r for r in by_person[name].get(patient_key, [])
                       if (r["facility_code"], r.get("encounter_id")) not in withheld]
                for name, attr in _CLINICAL.items()
            },
        )  # fmt: skip
        for e in person_encounters:
            key = (e["facility_code"], e["encounter_id"])
            outcome[key] = WITHHELD if key in withheld else SENT
        if records.is_empty():
            continue
        person = max(person_encounters, key=lambda e: e["admitted_at"]) if person_encounters else {}
        doc_id = document_key(pseudonym_key, patient_key, day)
        # Serialised at once: a city day's Bundles as dicts would not fit in memory.
        fresh[doc_id] = (
            patient_key,
            _Serialised(bundle.build(doc_id, identity, person, records)),
            len(records.encounters),
        )
    for e in encounters.filter(pl.col("patient_key_type") != "cccd").to_dicts():
        outcome[(e["facility_code"], e["encounter_id"])] = NO_CITIZEN_ID

    issued, lines = _versions(fresh, latest, who, cipher, now, run_id, day, lake)
    all_versions = (
        pl.concat(
            [
                previous,
                pl.DataFrame(
                    issued,
                    schema=pl.from_arrow(SCHEMAS["health_book_documents"].empty_table()).schema,
                ),
            ]
        )
        if issued
        else previous
    )
    write_partition(table_path(lake, "health_book_documents"),
                    all_versions.to_arrow().cast(SCHEMAS["health_book_documents"]), day,
                    run_id=run_id)  # fmt: skip
    current = all_versions.sort("version").unique("document_id", keep="last").sort("document_id")
    _write_entries(lake, day, encounters, outcome, current, fresh, pseudonym_key, run_id)
    final = current.filter(pl.col("status") == "final")
    counts = defaultdict(int)
    for value in outcome.values():
        counts[value] += 1
    newest = current.sort("issued_at").tail(1).to_dicts()
    manifest = {
        "service_date": day.isoformat(),
        # The run that issued the newest version: a rerun that changes nothing writes the same
        # manifest, byte for byte.
        "run_id": newest[0]["run_id"] if newest else run_id,
        "generated_by": f"{_package} health_book_feed",
        "issued_at": newest[0]["issued_at"].isoformat() if newest else None,
        "citizens": final.height,
        "documents": current.height,
        "encounters": int(final["encounters"].sum() or 0),
        "withdrawn": current.height - final.height,
        "withheld": len({patient_key for patient_key, facility, encounter_id
                         in encounters.select("patient_key", "facility_code", "encounter_id")
                         .iter_rows()
                         if outcome.get((facility, encounter_id)) in (OPTED_OUT, NO_CITIZEN_ID)}
                        - {r[0] for r in fresh.values()}),
        "withheld_encounters": {k: counts[k] for k in (NO_CITIZEN_ID, OPTED_OUT, WITHHELD)},
    }  # fmt: skip
    # Popped as written: each line is freed once its part is on disk.
    ordered = (lines.pop(d) for d in current["document_id"].to_list())
    folder = outbox.write_day(home, day, ordered, manifest)
    return FeedDay(day, folder, {**manifest}, dict(counts))


class _Serialised:
    """A Bundle as its JSON line (issue time still a placeholder), content hash and size."""

    __slots__ = ("digest", "entries", "text")

    def __init__(self, body: dict) -> None:
        self.entries = len(body["entry"])
        self.text, self.digest = bundle.serialise(body)


def _versions(fresh, latest, who, cipher, now, run_id, day, lake):
    """Rows of newly issued versions, and the serialised current version of every document."""
    prior = {row["document_id"]: row for row in latest.to_dicts()}
    issued: list[dict] = []
    lines: dict[str, str] = {}
    gone = [row for doc_id, row in prior.items() if doc_id not in fresh]
    if gone:  # the citizens of withdrawn documents: a read of identities too, audited
        record_decryption(lake, service_date=day, run_id=run_id, reader=READER,
                          purpose=f"{PURPOSE}; withdrawal", key_id=cipher.key_id,
                          identities_read=len(gone))  # fmt: skip

    def issue(doc_id, patient_key, body, status, n_enc, citizen_id):
        if not isinstance(body, _Serialised):
            body = _Serialised(body)
        text, digest = body.text, body.digest
        before = prior.get(doc_id)
        if before is not None and before["content_sha256"] == digest:
            version, at = before["version"], before["issued_at"]
        else:
            version, at = (before["version"] + 1 if before else 1), now
            issued.append({
                "service_date": day, "document_id": doc_id, "patient_key": patient_key,
                "key_id": cipher.key_id,
                "citizen_id_enc": cipher.encrypt(patient_key, "citizen_id", citizen_id),
                "version": version, "status": status, "content_sha256": digest,
                "encounters": n_enc, "entries": body.entries, "issued_at": at,
                "run_id": run_id,
            })  # fmt: skip
        lines[doc_id] = bundle.finish(text, version, at)
        body.text = b""  # the placeholder line is not needed any more: free it

    for doc_id, (patient_key, body, n_enc) in fresh.items():
        issue(doc_id, patient_key, body, "final", n_enc, who[patient_key]["citizen_id"])
    for row in gone:
        citizen_id = cipher.decrypt(row["patient_key"], "citizen_id", row["citizen_id_enc"])
        body = bundle.build_withdrawal(row["document_id"], citizen_id)
        issue(row["document_id"], row["patient_key"], body, bundle.ENTERED_IN_ERROR, 0, citizen_id)
    return issued, lines


def _write_entries(lake, day, encounters, outcome, current, fresh, pseudonym_key, run_id):
    """Per accepted encounter: its outcome, its document, and when the book first had it."""
    previous = _previous(lake, "health_book_entries", day)
    first = {
        (r["facility_code"], r["encounter_id"]): r["first_sent_at"]
        for r in previous.filter(pl.col("first_sent_at").is_not_null()).to_dicts()
    }
    issued_at = dict(zip(current["document_id"], current["issued_at"], strict=True))
    rows = []
    for e in encounters.select(
        "facility_code", "encounter_id", "patient_key", "discharged_at"
    ).to_dicts():
        key = (e["facility_code"], e["encounter_id"])
        result = outcome.get(key, NO_CITIZEN_ID)
        doc_id = document_key(pseudonym_key, e["patient_key"], day) if result == SENT else None
        sent_at = first.get(key) or (issued_at.get(doc_id) if doc_id else None)
        rows.append({**e, "service_date": day, "outcome": result, "document_id": doc_id,
                     "first_sent_at": sent_at if result == SENT else None,
                     "run_id": run_id})  # fmt: skip
    schema = SCHEMAS["health_book_entries"]
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    write_partition(table_path(lake, "health_book_entries"), table, day, run_id=run_id)
    del fresh
