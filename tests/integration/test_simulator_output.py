"""The simulated exports as an outside reader finds them: layout, encodings, FHIR validity."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest

from hanoi_health_lake.formats import fhir_conventions as fc
from hanoi_health_lake.reference.wards import hanoi_wards
from tests.simulator_fixtures import (
    NAME_RE,
    SIM_DAYS,
    SIM_START,
    fhir_records,
    file_faults,
    landing_files,
    read_csv,
    read_truth,
    record_faults,
)

R4B = pytest.importorskip("fhir.resources.R4B")


def _registry(home):
    import csv

    with (home / "registry" / "facilities.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_registry_rows_follow_the_published_columns(simulated_tiny):
    rows = _registry(simulated_tiny)
    assert list(rows[0]) == [
        "facility_code", "name", "facility_type", "ownership", "level", "ward_code",
        "ward_name", "opened_date", "go_live_date", "datasets", "export_format",
        "imaging_format", "contact_name", "contact_phone", "contact_email", "signature_policy",
    ]  # fmt: skip
    wards = {w.code: w.name for w in hanoi_wards()}
    for r in rows:
        assert re.fullmatch(r"01[0-9A-Z]{3}", r["facility_code"]) and r["facility_code"] != "01000"
        assert wards[r["ward_code"]] == r["ward_name"]
        assert r["export_format"] in ("fhir_json", "fhir_ndjson", "csv")
        assert r["imaging_format"] in ("dicom", "dicom_json", "")
        assert ("imaging_studies" in r["datasets"].split(";")) == bool(r["imaging_format"])
    assert {r["export_format"] for r in rows} == {"fhir_json", "fhir_ndjson", "csv"}
    assert {r["imaging_format"] for r in rows} == {"dicom", "dicom_json", ""}


def test_landing_holds_only_registered_facilities_and_simulated_days(simulated_tiny):
    codes = {r["facility_code"] for r in _registry(simulated_tiny)}
    live = {r["facility_code"] for r in _registry(simulated_tiny) if r["go_live_date"]}
    days = {(SIM_START.toordinal() + d) for d in range(SIM_DAYS)}
    for rel in landing_files(simulated_tiny):
        facility, day, _ = rel.split("/")
        assert facility in codes and facility in live
        assert SIM_START.fromisoformat(day).toordinal() in days


def test_csv_files_come_in_every_encoding_and_delimiter_and_read_back(simulated_tiny):
    landing = simulated_tiny / "landing"
    faults = file_faults(simulated_tiny)
    wards = {w.code: w.name for w in hanoi_wards()}
    seen = Counter()
    for rel in landing_files(simulated_tiny):
        if not rel.endswith(".csv") or rel in faults:
            continue
        f = read_csv((landing / rel).read_bytes())
        seen[(f.encoding, f.delimiter)] += 1
        for row in f.rows:
            if f.table in ("XML1",) and row["MAXA_CU_TRU"]:
                # Vietnamese text survives every encoding, decomposed cp1258 included.
                assert wards[row["MAXA_CU_TRU"]] in row["DIA_CHI"]
    assert {e for e, _ in seen} == {"utf-8", "utf-8-sig", "cp1258"}
    assert {d for _, d in seen} == {",", ";"}


def _tainted(records, faulty):
    """Ids of resources belonging only to faulty records (their resource and own Patient)."""
    clean_patients = {id(r.patient) for r in records if (r.file, r.record_no) not in faulty}
    out = set()
    for r in records:
        if (r.file, r.record_no) in faulty and r.resource is not None:
            out.add(r.resource["id"])
            out.update(c["id"] for c in r.conditions)
            if r.patient is not None and id(r.patient) not in clean_patients:
                out.add(r.patient["id"])
    return out


def test_clean_fhir_resources_validate_against_fhir_r4(simulated_tiny):
    landing = simulated_tiny / "landing"
    skip = set(file_faults(simulated_tiny))
    faulty = set(record_faults(simulated_tiny))
    validated = Counter()
    for rel in landing_files(simulated_tiny):
        m = NAME_RE.match(rel.split("/")[-1])
        if rel in skip or not m or m["ext"] not in ("json", "ndjson") or m["part"] == "dicom":
            continue
        if m["part"] in ("Patient", "Condition"):
            continue  # validated through the records that reference them
        records = fhir_records(landing, rel, skip)
        tainted = _tainted(records, faulty)
        if m["ext"] == "json":
            bundle = json.loads((landing / rel).read_bytes())
            resources = [e["resource"] for e in bundle.get("entry", [])]
            shell = {k: v for k, v in bundle.items() if k != "entry"}
            R4B.get_fhir_model_class("Bundle").model_validate(shell)
        else:
            resources = [r.resource for r in records if r.resource is not None]
            resources += [r.patient for r in records if r.patient is not None]
            resources += [c for r in records for c in r.conditions]
        for res in {r["id"]: r for r in resources}.values():
            if res["id"] in tainted:
                continue
            R4B.get_fhir_model_class(res["resourceType"]).model_validate(res)
            validated[res["resourceType"]] += 1
    assert set(validated) == {"Patient", "Encounter", "Condition", "MedicationRequest",
                              "ServiceRequest", "Appointment"}  # fmt: skip


def test_fhir_records_carry_the_conventional_identifiers(simulated_tiny):
    landing = simulated_tiny / "landing"
    skip = set(file_faults(simulated_tiny))
    faulty = set(record_faults(simulated_tiny))
    for rel in landing_files(simulated_tiny):
        m = NAME_RE.match(rel.split("/")[-1])
        if rel in skip or not m or m["dataset"] != "encounters" or m["ext"] == "csv":
            continue
        if m["part"] in ("Patient", "Condition"):
            continue
        for r in fhir_records(landing, rel, skip):
            if (r.file, r.record_no) in faulty:
                continue
            systems = {i["system"] for i in r.patient["identifier"]}
            assert {fc.SID_CITIZEN_ID, fc.SID_PATIENT_LOCAL} <= systems
            ward = r.patient["address"][0]["extension"][0]
            assert ward["url"] == fc.EXT_WARD_CODE and re.fullmatch(r"\d{5}", ward["valueCode"])
            provider = r.resource["serviceProvider"]["identifier"]
            assert provider == {"system": fc.SID_FACILITY, "value": rel.split("/")[0]}
            assert r.conditions[0]["code"]["coding"][0]["system"] == fc.CS_ICD10


def test_counts_by_day_look_like_a_week_of_care(simulated_tiny):
    per_day = Counter()
    for r in read_truth(simulated_tiny, "deliveries.csv"):
        if r["dataset"] == "encounters":
            per_day[r["service_date"]] += int(r["expected"])
    weekdays = [n for d, n in per_day.items() if SIM_START.fromisoformat(d).weekday() < 5]
    assert all(800 <= n <= 3000 for n in weekdays), per_day  # tiny: ~1–2k encounters a day


def test_patients_return_across_days_and_facilities_as_the_same_person(simulated_tiny):
    landing = simulated_tiny / "landing"
    faults = file_faults(simulated_tiny)
    bad_rows = set(record_faults(simulated_tiny))
    seen = {}  # citizen id → (name, birth date, sex) as first written
    places = defaultdict(set)
    for rel in landing_files(simulated_tiny):
        if rel in faults or not re.search(r"/encounters__[^/]*\.csv$", rel):
            continue
        for k, row in enumerate(read_csv((landing / rel).read_bytes()).rows, 1):
            if (rel, k) in bad_rows:
                continue
            person = (row["HO_TEN"], row["NGAY_SINH"], row["GIOI_TINH"])
            assert seen.setdefault(row["SO_CCCD"], person) == person
            facility, day, _ = rel.split("/")
            places[row["SO_CCCD"]].add((facility, day))
    assert sum(len({d for _, d in p}) > 1 for p in places.values()) > 20
    assert sum(len({f for f, _ in p}) > 1 for p in places.values()) > 5
