"""The citizen's health book on the tiny simulated fortnight's three ingested days: every Bundle
valid, documents as the accepted records imply, corrections, opt-outs, and the privacy rules."""

from __future__ import annotations

import csv
import os
import stat
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fhir.resources.R4B.bundle import Bundle

from hanoi_health_lake.automation.inprocess import days_between, run_days
from hanoi_health_lake.config import analysts_warehouse_path, lake_dir, warehouse_path
from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.formats.fhir_conventions import SID_CITIZEN_ID
from hanoi_health_lake.health_book import checks
from hanoi_health_lake.health_book.cipher import IdentityCipher, UndecryptableError
from hanoi_health_lake.health_book.feed import feed_day
from hanoi_health_lake.health_book.identities import decrypt_rows, read_identities
from hanoi_health_lake.health_book.outbox import day_dir, read_documents, read_manifest
from hanoi_health_lake.health_book.policy import opt_out_path
from hanoi_health_lake.health_book.rotation import rotate
from hanoi_health_lake.health_book.tables import table_path
from hanoi_health_lake.lake.delta_io import read_table
from tests.integration.lake_helpers import INGESTED, TEST_KEY, copy_home, ground_truth, read

DAYS = list(days_between(*INGESTED))
PSEUDONYMIZER = Pseudonymizer(TEST_KEY.encode())


def _key() -> bytes:
    return bytes.fromhex(os.environ["HHL_IDENTITY_KEY"])


def _docs(home: Path, day: date) -> list[dict]:
    return list(read_documents(home, day))


def _patient(doc: dict) -> dict:
    return next(e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Patient")


def _cccd(doc: dict) -> str:
    return next(i["value"] for i in _patient(doc)["identifier"] if i["system"] == SID_CITIZEN_ID)


def _encounters(doc: dict) -> list[tuple[str, str]]:
    return list(checks.episodes(doc))


def _version(doc: dict) -> int:
    return int(doc["meta"]["versionId"])


def test_every_bundle_of_the_days_validates_and_resolves(ingested_home: Path) -> None:
    total = 0
    for day in DAYS:
        docs = _docs(ingested_home, day)
        assert docs, day
        for doc in docs:
            Bundle.model_validate(doc)  # the independent R4(B) model: raises on an invalid one
            assert checks.unresolved(doc) == []
            assert doc["type"] == "document"
            assert doc["entry"][0]["resource"]["resourceType"] == "Composition"
        assert checks.without_patient(docs) == []
        total += len(docs)
    assert total > 100


def test_documents_and_encounters_per_citizen_day_are_what_accepted_records_imply(
    ingested_home: Path,
) -> None:
    truth = ground_truth(ingested_home, "clean_counts").filter(pl.col("dataset") == "encounters")
    silver = read(ingested_home, "encounters")
    for day in DAYS:
        docs = _docs(ingested_home, day)
        # The simulator's ground truth: every accepted encounter of the day is in the book once
        # (every simulated citizen has a citizen id; nobody opted out here).
        accepted = truth.filter(pl.col("service_date") == day.isoformat())["accepted"].sum()
        assert sum(len(_encounters(d)) for d in docs) == accepted
        assert max(checks.episode_counts(docs).values()) == 1
        # Per citizen and day: one document, holding that citizen's accepted encounters.
        by_doc = {
            PSEUDONYMIZER.patient_key(citizen_id=_cccd(d))[0]: len(_encounters(d)) for d in docs
        }
        assert len(by_doc) == len(docs)
        implied = Counter(
            silver.filter((pl.col("service_date") == day) & (pl.col("patient_key_type") == "cccd"))[
                "patient_key"
            ].to_list()
        )
        assert {k: v for k, v in by_doc.items() if v} == dict(implied)
        manifest = read_manifest(ingested_home, day)
        assert manifest["citizens"] == manifest["documents"] == len(docs)
        assert sum(p["documents"] for p in manifest["parts"]) == len(docs)


def test_outbox_and_restricted_zone_are_owner_only(ingested_home: Path) -> None:
    folder = day_dir(ingested_home, DAYS[0])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    restricted = lake_dir(ingested_home) / "restricted"
    assert stat.S_IMODE(restricted.stat().st_mode) == 0o700
    files = [p for p in (restricted / "identities").rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


def test_identities_are_unreadable_without_the_key(ingested_home: Path) -> None:
    docs = _docs(ingested_home, DAYS[1])
    people = [(_cccd(d), _patient(d)["name"][0]["text"]) for d in docs[:50]]
    raw = b"".join(
        p.read_bytes() for p in (lake_dir(ingested_home) / "restricted").rglob("*") if p.is_file()
    )
    for cccd, name in people:
        assert cccd.encode() not in raw and name.encode("utf-8") not in raw
    table = read_table(table_path(lake_dir(ingested_home), "identities"), [DAYS[1]])
    with pytest.raises(UndecryptableError):
        decrypt_rows(table.slice(0, 1), IdentityCipher(b"\x01" * 32))
    clear = decrypt_rows(table, IdentityCipher(_key()))
    assert {c for c, _ in people} <= set(clear["citizen_id"].to_list())


def test_every_decryption_leaves_an_audit_row(ingested_home: Path, tmp_path: Path) -> None:
    audit = pl.from_arrow(read_table(table_path(lake_dir(ingested_home), "identity_decryptions")))
    for day in DAYS:
        rows = audit.filter(pl.col("service_date") == day)
        assert rows.height >= 1 and (rows["identities_read"] > 0).all()
        assert set(rows["reader"]) == {"asset health_book_feed"}
    home = copy_home(ingested_home, tmp_path / "home")
    lake = lake_dir(home)
    before = read_table(table_path(lake, "identity_decryptions")).num_rows
    keys = read(home, "encounters")["patient_key"].head(3).to_list()
    read_identities(lake, keys, IdentityCipher(_key()), service_date=DAYS[-1], run_id="t",
                    purpose="test", reader="test")  # fmt: skip
    after = pl.from_arrow(read_table(table_path(lake, "identity_decryptions")))
    assert after.height == before + 1
    assert after.filter(pl.col("run_id") == "t")["identities_read"].to_list() == [len(set(keys))]


def test_the_warehouses_hold_neither_identities_nor_the_key(ingested_home: Path) -> None:
    key_hex = os.environ["HHL_IDENTITY_KEY"]
    for path in (analysts_warehouse_path(ingested_home), warehouse_path(ingested_home)):
        assert path.exists()
        con = duckdb.connect(str(path), read_only=True)
        try:
            columns = con.execute(
                "select table_name, column_name from information_schema.columns"
            ).fetchall()
        finally:
            con.close()
        tables = {t for t, _ in columns}
        assert tables and not tables & {
            "identities",
            "health_book_documents",
            "identity_decryptions",
        }
        assert not [c for _, c in columns if c.endswith("_enc") or c in ("citizen_id", "full_name")]
        data = path.read_bytes()
        assert key_hex.encode() not in data and bytes.fromhex(key_hex) not in data
    analysts = duckdb.connect(str(analysts_warehouse_path(ingested_home)), read_only=True)
    try:
        names = {
            r[0]
            for r in analysts.execute("select table_name from information_schema.tables").fetchall()
        }
    finally:
        analysts.close()
    assert "mart_health_book_timeliness_daily" in names


def _rerun_feed(home: Path, day: date, run_id: str) -> None:
    feed_day(home, day, pseudonym_key=TEST_KEY.encode(), identity_key=_key(), run_id=run_id)


def test_opt_out_and_restriction_withdraw_and_withhold(ingested_home: Path, tmp_path: Path) -> None:
    home = copy_home(ingested_home, tmp_path / "home")
    first, second = DAYS[0], DAYS[1]
    before = {day: {d["id"]: d for d in _docs(home, day)} for day in (first, second)}
    opted = [_cccd(next(iter(before[first].values()))), _cccd(next(iter(before[second].values())))]
    # A citizen with mental-health care that day, and something else in the book, restricts it.
    mental = next(
        d for d in before[second].values()
        if any(c["resource"]["resourceType"] == "Condition"
               and c["resource"]["code"]["coding"][0]["code"].startswith("F") for c in d["entry"])
        and _cccd(d) not in opted
    )  # fmt: skip
    with opt_out_path(home).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["citizen_id", "scope"])
        writer.writerows([[c, "all"] for c in opted] + [[_cccd(mental), "mental_health"]])
    for day in (first, second):
        _rerun_feed(home, day, f"opt-out-{day}")
        after = {d["id"]: d for d in _docs(home, day)}
        assert set(after) == set(before[day])  # withdrawals keep their document id
        for doc_id, doc in after.items():
            old = before[day][doc_id]
            if _cccd(doc) in opted:
                composition = doc["entry"][0]["resource"]
                assert composition["status"] == "entered-in-error" and _version(doc) == 2
                assert not _encounters(doc) and "section" not in composition
            elif doc_id == mental["id"]:
                assert _version(doc) == 2
                codes = [e["resource"]["code"]["coding"][0]["code"] for e in doc["entry"]
                         if e["resource"]["resourceType"] == "Condition"]  # fmt: skip
                assert not [c for c in codes if c.startswith("F")]
            else:
                assert doc == old  # untouched: same version, same content
        manifest = read_manifest(home, day)
        assert manifest["withdrawn"] >= 1
        assert manifest["withheld_encounters"]["opted_out"] >= 1
    entries = pl.from_arrow(read_table(table_path(lake_dir(home), "health_book_entries")))
    assert entries.filter(pl.col("outcome") == "withheld_category").height >= 1


def _correct(home: Path, day: date) -> tuple[str, str]:
    """Land a later export of a CSV encounters file of `day`: one discharge 15 minutes later,
    one record without its citizen id (quarantined, so its earlier version is withdrawn).
    Returns the citizen ids of the two rows."""
    original = sorted((home / "landing").glob(f"*/{day}/encounters__*.csv"))[0]
    lines = original.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    at = {name: header.index(name) for name in ("SO_CCCD", "NGAY_RA")}
    rows = [line.split(";") for line in lines[1:3]]
    changed, withdrawn = rows
    end = datetime.strptime(changed[at["NGAY_RA"]], "%Y%m%d%H%M") + timedelta(minutes=15)
    changed[at["NGAY_RA"]] = end.strftime("%Y%m%d%H%M")
    cccds = (changed[at["SO_CCCD"]], withdrawn[at["SO_CCCD"]])
    withdrawn[at["SO_CCCD"]] = ""
    stamp = datetime.strptime(original.stem.split("__")[1], "%Y%m%dT%H%M%S") + timedelta(hours=3)
    corrected = original.with_name(f"encounters__{stamp:%Y%m%dT%H%M%S}.csv")
    body = [lines[0], *(";".join(r) for r in rows)]
    corrected.write_text("\r\n".join(body) + "\r\n", encoding="utf-8")
    return cccds


def test_late_correction_reissues_exactly_the_affected_documents(
    ingested_home: Path, tmp_path: Path
) -> None:
    home = copy_home(ingested_home, tmp_path / "home")
    day = DAYS[1]
    before = {d["id"]: d for d in _docs(home, day)}
    changed, withdrawn = _correct(home, day)
    runs = run_days(home, day, day)
    assert all(r.success for r in runs), runs
    after = {d["id"]: d for d in _docs(home, day)}
    assert set(before) <= set(after)
    reissued = {doc_id for doc_id, doc in after.items() if doc != before.get(doc_id)}
    assert {_cccd(after[d]) for d in reissued} == {changed, withdrawn}
    for doc_id in reissued:
        assert _version(after[doc_id]) == _version(before[doc_id]) + 1
    gone = next(after[d] for d in reissued if _cccd(after[d]) == withdrawn)
    kept = (
        {e for e in _encounters(gone)}
        if gone["entry"][0]["resource"]["status"] == "final"
        else set()
    )
    assert kept < set(_encounters(before[gone["id"]]))
    assert read_manifest(home, day)["documents"] == len(after)


def test_identity_key_rotation_loses_nothing(ingested_home: Path, tmp_path: Path) -> None:
    home = copy_home(ingested_home, tmp_path / "home")
    lake = lake_dir(home)
    path = table_path(lake, "identities")
    clear_before = decrypt_rows(read_table(path), IdentityCipher(_key())).drop("admitted_at")
    outbox_before = {
        day: day_dir(home, day).joinpath("part-0001.ndjson").read_bytes() for day in DAYS
    }
    new_key = bytes(range(32))
    done = rotate(lake, _key(), new_key, "rotation-test")
    assert done["identities"] == len(clear_before)
    assert rotate(lake, _key(), new_key, "rotation-again") == {
        "identities": 0,
        "health_book_documents": 0,
    }
    rows = read_table(path)
    with pytest.raises(UndecryptableError):
        decrypt_rows(rows.slice(0, 1), IdentityCipher(_key()))
    clear_after = decrypt_rows(rows, IdentityCipher(new_key)).drop("admitted_at")
    order = ["service_date", "patient_key", "citizen_id"]
    assert clear_after.sort(order).equals(clear_before.sort(order))
    for day in DAYS:  # the feed under the new key: the same documents, byte for byte
        feed_day(home, day, pseudonym_key=TEST_KEY.encode(), identity_key=new_key, run_id="after")
        assert day_dir(home, day).joinpath("part-0001.ndjson").read_bytes() == outbox_before[day]
