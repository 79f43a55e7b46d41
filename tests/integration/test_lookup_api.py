"""The look-up API end to end: a simulated tiny city ingested, its health-book feed written by
the health book's own code, loaded into a throwaway PostgreSQL database, and `hhl serve-api`
answering over real HTTP on 127.0.0.1 — as a facility's software would call it.

Who is looked up comes from the feed itself (the tests stand in the restricted zone): a citizen
seen at two facilities, one with a mental-health diagnosis, one who will opt out, one whose
record a facility corrects.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import jwt
import psycopg2
import pytest

from hanoi_health_lake.automation.inprocess import run_days
from hanoi_health_lake.health_book.feed import feed_day
from hanoi_health_lake.health_book.keys import identity_key
from hanoi_health_lake.health_book.outbox import read_documents
from hanoi_health_lake.health_book.policy import CATEGORIES, opt_out_path
from hanoi_health_lake.lookup.citizen_hash import CCCD_SYSTEM, CitizenHasher
from hanoi_health_lake.lookup.documents import clinical_time
from hanoi_health_lake.lookup.serving import load_into
from hanoi_health_lake.lookup.tokens import ISSUER
from tests.integration.lake_helpers import INGESTED, TEST_KEY, copy_home
from tests.lookup_support import (
    LOOKUP_KEY,
    TOKEN_KEY,
    Registry,
    api_env,
    audit_rows,
    make_registry,
    running_api,
    throwaway_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
R4B = pytest.importorskip("fhir.resources.R4B")

FIRST = INGESTED[0]
DAYS = [FIRST + timedelta(days=n) for n in range((INGESTED[1] - FIRST).days + 1)]
HASHER = CitizenHasher(LOOKUP_KEY.encode())
EVERYTHING = "/fhir/Patient/{}/$everything"
BREAK_GLASS = {"X-Break-Glass-Reason": "unconscious on arrival, emergency department"}


@dataclass
class Citizen:
    cccd: str
    facilities: set[str] = field(default_factory=set)
    diagnoses: set[str] = field(default_factory=set)
    by_encounter: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def codes_without(self, category) -> set[str]:
        """The diagnoses of encounters with no diagnosis in `category` (the health book
        leaves out a withheld encounter with everything linked to it)."""
        kept = [codes for codes in self.by_encounter.values() if not any(map(category, codes))]
        return set().union(*kept)


def _feed(home: Path, days: list[date]) -> None:
    for day in days:
        feed_day(
            home, day, pseudonym_key=TEST_KEY.encode(), identity_key=identity_key(),
            run_id=f"lookup-test-{time.monotonic_ns()}",
        )  # fmt: skip


def _load(dsn: str, home: Path, days: list[date]) -> None:
    conn = psycopg2.connect(dsn)
    try:
        for day in days:
            load_into(conn, home, day.isoformat(), HASHER)
    finally:
        conn.close()


def _is_mental(code: str) -> bool:
    return code.replace(".", "").startswith(CATEGORIES["mental_health"])


def _citizens(home: Path) -> dict[str, Citizen]:
    """Who the feed speaks of: facilities (meta.source) and ICD-10 codes per citizen."""
    found: dict[str, Citizen] = {}
    for day in DAYS:
        for bundle in read_documents(home, day):
            resources = [e["resource"] for e in bundle["entry"]]
            patient = next(r for r in resources if r["resourceType"] == "Patient")
            cccd = next(i["value"] for i in patient["identifier"] if i["system"] == CCCD_SYSTEM)
            citizen = found.setdefault(cccd, Citizen(cccd))
            for r in resources:
                source = (r.get("meta") or {}).get("source")
                if source:
                    citizen.facilities.add(source.rsplit(":", 1)[-1])
                if r["resourceType"] == "Condition":
                    code = r["code"]["coding"][0]["code"]
                    citizen.diagnoses.add(code)
                    encounter = (r.get("encounter") or {}).get("reference", r["id"])
                    citizen.by_encounter[encounter].add(code)
    return found


def _mental(citizen: Citizen) -> bool:
    return any(
        c.replace(".", "").startswith(CATEGORIES["mental_health"]) for c in citizen.diagnoses
    )


@dataclass
class Book:
    home: Path
    dsn: str
    base: str
    registry: Registry
    seen_twice: Citizen  # records from two facilities
    mental: Citizen  # will restrict mental-health care
    leaving: Citizen  # will opt out
    corrected: Citizen  # a facility will re-send one of their diagnoses

    def facility(self, code: str):
        client = self.registry.facilities[code]
        client.base = self.base
        return client


def _corrected_file(home: Path, citizens: dict[str, Citizen]) -> tuple[str, Path, bytes]:
    """A CSV encounters file of the first day holding a J06.9 main diagnosis of a citizen the
    feed knows; returns (citizen id, file, the corrected copy's bytes)."""
    for source in sorted((home / "landing").glob(f"*/{FIRST.isoformat()}/encounters__*.csv")):
        text = source.read_bytes()
        rows = list(csv.reader(io.StringIO(text.decode("utf-8")), delimiter=";"))
        head = rows[0]
        for n, row in enumerate(rows[1:], start=1):
            cccd = row[head.index("SO_CCCD")]
            if row[head.index("MA_BENH_CHINH")] == "J06.9" and cccd in citizens:
                lines = text.split(b"\n")
                lines[n] = lines[n].replace(b";J06.9;", b";J02.9;", 1)
                return cccd, source, b"\n".join(lines)
    raise AssertionError("no CSV encounter with J06.9 of a fed citizen")


@pytest.fixture(scope="module")
def book(ingested_home: Path, tmp_path_factory: pytest.TempPathFactory):
    home = copy_home(ingested_home, tmp_path_factory.mktemp("lookup") / "home")
    _feed(home, DAYS)
    citizens = _citizens(home)
    twice = sorted((c for c in citizens.values() if len(c.facilities) >= 2), key=lambda c: c.cccd)
    # a citizen with mental-health care and, in other encounters, other care
    mental = sorted(
        (c for c in citizens.values() if _mental(c) and c.codes_without(_is_mental)),
        key=lambda c: c.cccd,
    )
    corrected_cccd, _, _ = _corrected_file(home, citizens)
    others = [c for c in twice if c.cccd != corrected_cccd]
    assert len(others) >= 2 and mental, "the tiny city has too few citizens for these tests"
    facilities = sorted({f for c in citizens.values() for f in c.facilities})
    registry = make_registry(home, facilities)
    with throwaway_database() as dsn:
        _load(dsn, home, DAYS)
        with running_api(home, dsn, home / "api.log") as base:
            yield Book(
                home, dsn, base, registry, others[0], mental[0], others[1],
                citizens[corrected_cccd],
            )  # fmt: skip


def _consent(book: Book, citizen: Citizen, facility: str) -> str:
    client = book.facility(facility)
    token = client.token()
    response = client.post_consent(token, book.registry.qr(citizen.cccd, facility))
    assert response.status_code == 201, response.text
    R4B.get_fhir_model_class("Consent").model_validate(response.json())
    return token


def _patient_id(book: Book, citizen: Citizen, facility: str, token: str, headers=None) -> str:
    response = book.facility(facility).get(
        "/fhir/Patient", token, headers, identifier=f"{CCCD_SYSTEM}|{citizen.cccd}"
    )
    assert response.status_code == 200, response.text
    bundle = response.json()
    R4B.get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["total"] == 1
    return bundle["entry"][0]["resource"]["id"]


def _everything(book: Book, facility: str, patient_id: str, token: str, headers=None, **params):
    response = book.facility(facility).get(EVERYTHING.format(patient_id), token, headers, **params)
    assert response.status_code == 200, response.text
    bundle = response.json()
    R4B.get_fhir_model_class("Bundle").model_validate(bundle)
    return bundle


def _facilities_of(bundle: dict) -> set[str]:
    return {
        e["resource"]["meta"]["source"].rsplit(":", 1)[-1]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] != "Patient"
    }


def _codes(bundle: dict) -> set[str]:
    return {
        e["resource"]["code"]["coding"][0]["code"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Condition"
    }


def _last_audit(book: Book, **where) -> dict:
    rows = audit_rows(book.dsn, **where)
    assert rows, where
    return rows[-1]


def test_metadata_says_what_is_supported(book: Book):
    response = book.facility(sorted(book.registry.facilities)[0]).get("/fhir/metadata", None)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = R4B.get_fhir_model_class("CapabilityStatement").model_validate(response.json())
    resources = {r.type: r for r in statement.rest[0].resource}
    assert [op.name for op in resources["Patient"].operation] == ["everything"]
    assert [p.name for p in resources["Patient"].searchParam] == ["identifier"]


def test_with_consent_a_facility_sees_what_other_facilities_recorded(book: Book):
    citizen = book.seen_twice
    here = sorted(citizen.facilities)[0]
    token = _consent(book, citizen, here)
    patient_id = _patient_id(book, citizen, here, token)
    bundle = _everything(book, here, patient_id, token)
    assert _facilities_of(bundle) == citizen.facilities  # its own and the other facility's
    assert _codes(bundle) == citizen.diagnoses
    times = [e["resource"] for e in bundle["entry"][1:]]
    assert bundle["total"] == len(times) and len(times) > 2
    assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == citizen.cccd
    # newest first, by each kind's clinical time (docs/lookup-api.md)
    moments = [clinical_time(r) for r in times]
    assert None not in moments and moments == sorted(moments, reverse=True)
    row = _last_audit(book, action="everything", citizen_hash=HASHER.citizen_hash(citizen.cccd))
    assert (row["status"], row["reason_kind"], row["facility_code"]) == (200, "consent", here)
    assert not row["break_glass"]


def test_count_and_since_page_the_book(book: Book):
    citizen = book.seen_twice
    here = sorted(citizen.facilities)[0]
    token = book.facility(here).token()  # the consent of the test above still holds
    patient_id = _patient_id(book, citizen, here, token)
    whole = _everything(book, here, patient_id, token)
    first = _everything(book, here, patient_id, token, _count=2)
    assert len(first["entry"]) == 3 and first["total"] == whole["total"]  # Patient + 2
    assert any(link["relation"] == "next" for link in first["link"])
    later = whole["entry"][1]["resource"]["meta"]["lastUpdated"]
    since = _everything(book, here, patient_id, token, _since=later)
    assert 0 < since["total"] <= whole["total"]
    assert all(e["resource"]["meta"]["lastUpdated"] >= later for e in since["entry"][1:])


def test_without_a_reason_or_token_or_with_a_bad_token_a_look_up_is_refused(book: Book):
    citizen = book.seen_twice
    elsewhere = sorted(set(book.registry.facilities) - citizen.facilities)[0]
    client = book.facility(elsewhere)
    query = {"identifier": f"{CCCD_SYSTEM}|{citizen.cccd}"}
    citizen_hash = HASHER.citizen_hash(citizen.cccd)

    no_consent = client.get("/fhir/Patient", client.token(), **query)
    assert no_consent.status_code == 403
    assert R4B.get_fhir_model_class("OperationOutcome").model_validate(no_consent.json())
    row = _last_audit(book, client_id=client.client_id, action="patient-search")
    assert (row["status"], row["outcome"], row["citizen_hash"]) == (403, "refused", citizen_hash)

    no_token = client.get("/fhir/Patient", None, **query)
    assert no_token.status_code == 401 and "Bearer" in no_token.headers["www-authenticate"]

    now = int(time.time())
    expired = jwt.encode(
        {"iss": ISSUER, "sub": client.client_id, "facility": elsewhere,
         "scope": "system/*.read", "iat": now - 900, "exp": now - 600},
        TOKEN_KEY.encode(), algorithm="HS256",
    )  # fmt: skip
    assert client.get("/fhir/Patient", expired, **query).status_code == 401
    row = _last_audit(book, client_id=client.client_id, status=401)
    assert row["detail"] == "access token expired" and row["facility_code"] == elsewhere

    forged = jwt.encode(
        {"iss": ISSUER, "sub": "x", "facility": "x", "scope": "system/*.read", "exp": now + 60},
        "not-the-server-key-" * 2, algorithm="HS256",
    )  # fmt: skip
    assert client.get("/fhir/Patient", forged, **query).status_code == 401
    assert _last_audit(book, detail="access token invalid")["path"] == "/fhir/Patient"


def test_a_token_and_consent_are_for_one_facility_only(book: Book):
    citizen = book.seen_twice
    here, other = sorted(citizen.facilities)[:2]
    # the other facility's software cannot borrow the consent given to `here`
    token = book.facility(other).token()
    patient = book.facility(other).get(
        "/fhir/Patient", token, identifier=f"{CCCD_SYSTEM}|{citizen.cccd}"
    )
    assert patient.status_code == 403
    # nor post a QR the citizen showed at `here`
    qr = book.registry.qr(citizen.cccd, here)
    assert book.facility(other).post_consent(token, qr).status_code == 403
    # nor get a token as `here` with its own key
    impostor = book.facility(other)
    assertion = type(impostor)(book.facility(here).client_id, here, impostor.private_jwk)
    refused = impostor.token_response(assertion.assertion(f"{book.base}/auth/token"))
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    row = _last_audit(book, action="token", client_id=book.facility(here).client_id, status=401)
    assert "signature" in row["detail"]
    # a facility's token does not read the audit trail
    audit = book.facility(here).get("/fhir/AuditEvent", book.facility(here).token())
    assert audit.status_code == 403


def test_break_glass_reads_the_book_and_is_flagged_for_review(book: Book):
    citizen = book.seen_twice
    stranger = sorted(set(book.registry.facilities) - citizen.facilities)[-1]
    token = book.facility(stranger).token()
    patient_id = _patient_id(book, citizen, stranger, token, BREAK_GLASS)
    bundle = _everything(book, stranger, patient_id, token, BREAK_GLASS)
    assert _codes(bundle) == citizen.diagnoses
    row = _last_audit(book, action="everything", facility_code=stranger)
    assert row["break_glass"] and row["review_status"] == "pending"
    assert row["reason_kind"] == "break-glass" and "emergency" in row["reason_text"]


def test_who_looked_at_my_book(book: Book):
    citizen = book.seen_twice
    department = book.registry.department
    department.base = book.base
    token = department.token("system/AuditEvent.read")
    response = department.get(
        "/fhir/AuditEvent", token, **{"patient.identifier": f"{CCCD_SYSTEM}|{citizen.cccd}"}
    )
    assert response.status_code == 200
    bundle = response.json()
    R4B.get_fhir_model_class("Bundle").model_validate(bundle)
    events = [e["resource"] for e in bundle["entry"]]
    expected = audit_rows(book.dsn, citizen_hash=HASHER.citizen_hash(citizen.cccd))
    assert len(events) == len(expected) > 0
    who = {e["agent"][0]["who"]["identifier"]["value"] for e in events}
    assert who == {r["facility_code"] for r in expected}
    glass = [e for e in events if e.get("meta", {}).get("security")]
    assert glass and all(
        e["agent"][0]["purposeOfUse"][0]["coding"][0]["code"] == "BTG" for e in glass
    )
    assert {e["outcome"] for e in events} >= {"0", "4"}  # allowed and refused look-ups
    # the operators' view of the same trail, from the audit table
    shown = subprocess.run(
        [sys.executable, "-m", "hanoi_health_lake.cli", "api", "who-looked",
         "--cccd", citizen.cccd],
        env=api_env(book.home, book.dsn), capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert shown[-1] == f"{len(expected)} look-up(s)"
    assert sum("break-glass" in line for line in shown) == len(glass)


@pytest.fixture(scope="module")
def changed(book: Book):
    """Before and after: a restriction of mental-health care, an opt-out, and a late
    correction of a diagnosis, each followed by the feed and the loader as in production."""
    watcher = sorted(book.registry.facilities)[0]
    token = book.facility(watcher).token()
    before = {}
    for citizen in (book.mental, book.leaving, book.corrected):
        patient_id = _patient_id(book, citizen, watcher, token, BREAK_GLASS)
        before[citizen.cccd] = (
            patient_id,
            _everything(book, watcher, patient_id, token, BREAK_GLASS),
        )
    path = opt_out_path(book.home)
    path.write_text(
        f"citizen_id,scope\n{book.mental.cccd},mental_health\n{book.leaving.cccd},all\n",
        encoding="utf-8",
    )
    _, source, corrected = _corrected_file(book.home, _citizens(book.home))
    late = FIRST + timedelta(days=7)
    source.with_name(f"encounters__{late:%Y%m%d}T090000.csv").write_bytes(corrected)
    assert all(r.success for r in run_days(book.home, FIRST, FIRST))
    _feed(book.home, DAYS)
    _load(book.dsn, book.home, DAYS)
    return watcher, before


def test_a_restricted_category_is_never_returned(book: Book, changed):
    watcher, before = changed
    patient_id, earlier = before[book.mental.cccd]
    assert any(_is_mental(c) for c in _codes(earlier))  # it was there before the restriction
    token = book.facility(watcher).token()
    now = _everything(book, watcher, patient_id, token, BREAK_GLASS)
    assert _codes(now) == book.mental.codes_without(_is_mental)  # the rest of the book stays


def test_an_opted_out_citizen_is_never_returned(book: Book, changed):
    watcher, before = changed
    patient_id, earlier = before[book.leaving.cccd]
    assert earlier["total"] > 0
    client = book.facility(watcher)
    token = client.token()
    search = client.get(
        "/fhir/Patient", token, BREAK_GLASS, identifier=f"{CCCD_SYSTEM}|{book.leaving.cccd}"
    )
    assert search.status_code == 200 and search.json()["total"] == 0
    assert client.get(EVERYTHING.format(patient_id), token, BREAK_GLASS).status_code == 404
    conn = psycopg2.connect(book.dsn)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM lookup.resources WHERE citizen_hash = %s",
            (HASHER.citizen_hash(book.leaving.cccd),),
        )
        assert cur.fetchone()[0] == 0
    conn.close()


def test_a_correction_in_the_lake_changes_the_next_response(book: Book, changed):
    watcher, before = changed
    patient_id, earlier = before[book.corrected.cccd]
    token = book.facility(watcher).token()
    now = _everything(book, watcher, patient_id, token, BREAK_GLASS)
    assert "J06.9" in _codes(earlier) and "J02.9" in _codes(now)
    versions = {e["resource"]["meta"]["versionId"] for e in now["entry"][1:]}
    assert any(int(v) > 1 for v in versions)


def test_the_store_holds_no_identity_in_clear(book: Book):
    citizen = book.seen_twice
    conn = psycopg2.connect(book.dsn)
    with conn, conn.cursor() as cur:
        for table in ("documents", "resources", "patients", "consents", "audit"):
            cur.execute(f"SELECT count(*) FROM lookup.{table} t WHERE t::text LIKE %s",
                        (f"%{citizen.cccd}%",))  # fmt: skip
            assert cur.fetchone()[0] == 0, table
    conn.close()


def test_every_request_has_its_audit_row(book: Book):
    rows = audit_rows(book.dsn)
    assert {"token", "patient-search", "everything", "consent", "metadata"} <= {
        r["action"] for r in rows
    }
    assert all(r["request_id"] and r["status"] for r in rows)


def test_limits_and_errors_answer_operation_outcomes_without_traces(book: Book):
    client = book.facility(sorted(book.registry.facilities)[0])
    import requests

    big = requests.post(f"{book.base}/fhir/Consent", data=b"x" * 100_000,
                        headers={"Content-Type": "application/json"}, timeout=10)  # fmt: skip
    assert big.status_code == 413
    unknown = client.get("/fhir/Observation", client.token())
    assert unknown.status_code == 404
    bad = client.get("/fhir/Patient", client.token(), identifier="123")
    assert bad.status_code == 400
    for response in (big, unknown, bad):
        assert response.json()["resourceType"] == "OperationOutcome"
        assert "Traceback" not in response.text
    assert _last_audit(book, status=413)["detail"].startswith("request body over")


def test_a_client_over_its_rate_waits_and_a_server_fault_shows_no_trace(book: Book, tmp_path: Path):
    """A server of its own (its own database, a low rate): the fourth call of a burst of three
    is refused; with its resources table gone, a look-up fails as a bare OperationOutcome."""
    with throwaway_database() as dsn, running_api(
        book.home, dsn, tmp_path / "api.log",
        HHL_API_RATE_PER_MINUTE="6", HHL_API_RATE_BURST="3",
    ) as base:  # fmt: skip
        client = book.facility(sorted(book.registry.facilities)[0])
        client.base = base
        token = client.token()
        answers = [client.get("/fhir/metadata", token) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["retry-after"]) >= 1
        assert audit_rows(dsn, status=429)[-1]["client_id"] == client.client_id

        _load(dsn, book.home, DAYS[:1])
        conn = psycopg2.connect(dsn)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT patient_id FROM lookup.patients LIMIT 1")
            patient_id = cur.fetchone()[0]
            cur.execute("DROP TABLE lookup.resources")
        conn.close()
        client.base = book.base
        other = book.facility(sorted(book.registry.facilities)[1])  # a bucket of its own
        other.base = base
        broken = other.get(EVERYTHING.format(patient_id), other.token(), BREAK_GLASS)
        other.base = book.base
    assert broken.status_code == 500, broken.text
    outcome = broken.json()
    R4B.get_fhir_model_class("OperationOutcome").model_validate(outcome)
    assert "Traceback" not in broken.text and "lookup.resources" not in broken.text
    assert outcome["issue"][0]["diagnostics"].startswith("internal error")
    assert "Traceback" in (tmp_path / "api.log").read_text()  # the trace is in the server's log


def test_the_dagster_asset_loads_each_fed_day_once(book: Book):
    """lookup_serving_store, as lookup_job runs it after an ingest: the day's documents once,
    nothing more on a rerun; a day never fed loads nothing."""

    import dagster as dg

    from hanoi_health_lake.assets.lookup import lookup_serving_store
    from hanoi_health_lake.health_book.outbox import read_manifest
    from hanoi_health_lake.resources import LakeResource, LookupStoreResource

    day = DAYS[-1].isoformat()
    with throwaway_database() as dsn:
        resources = {
            "lake": LakeResource(home=str(book.home)),
            "lookup_store": LookupStoreResource(dsn=dsn, key=LOOKUP_KEY),
        }

        def run(partition: str) -> dict:
            result = dg.materialize([lookup_serving_store], partition_key=partition,
                                    resources=resources)  # fmt: skip
            assert result.success
            events = result.asset_materializations_for_node("lookup_serving_store")
            return {k: v.value for k, v in events[0].metadata.items()}

        first = run(day)
        documents = read_manifest(book.home, day)["documents"]
        assert first["applied"] == first["read"] == documents > 0
        again = run(day)
        assert (again["applied"], again["unchanged"]) == (0, documents)
        assert run("2026-02-01")["read"] == 0
        conn = psycopg2.connect(dsn)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT count(*), min(service_date)::text FROM lookup.documents")
            assert cur.fetchone() == (documents, day)
        conn.close()
