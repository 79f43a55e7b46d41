"""The ground truth's counts, deliveries and silences agree with the files, recounted here."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date, datetime, timedelta

import pydicom

from tests.simulator_fixtures import (
    NAME_RE,
    csv_record_id,
    export_stamp,
    fhir_records,
    file_faults,
    groups,
    read_csv,
    read_truth,
    record_faults,
)


def _record_ids(landing, rel, skip) -> list[tuple[int, str | None]]:
    """(record_no, record id) of the counted records of one file, in file order."""
    m = NAME_RE.match(rel.split("/")[-1])
    path = landing / rel
    if m["ext"] == "csv":
        f = read_csv(path.read_bytes())
        return list(enumerate((csv_record_id(f.table, row) for row in f.rows), 1))
    if m["ext"] == "dcm":
        return [(1, pydicom.dcmread(path).SOPInstanceUID)]  # a DICOM record is an instance
    if m["part"] == "dicom":
        items = json.loads(path.read_bytes())
        return list(enumerate((item["00080018"]["Value"][0] for item in items), 1))
    if m["part"] in ("Patient", "Condition"):
        return []
    return [(r.record_no, r.record_id) for r in fhir_records(landing, rel, skip)]


def test_clean_counts_match_a_recount_of_the_files(simulated_tiny):
    landing = simulated_tiny / "landing"
    skip = set(file_faults(simulated_tiny))
    quarantined = defaultdict(set)
    for rel, k in record_faults(simulated_tiny):
        quarantined[rel].add(k)
    recount = {}
    for key, files in groups(simulated_tiny).items():
        versions = []  # (export_ts, record_id, quarantined?)
        for rel in files:
            if rel in skip:
                continue
            ts = export_stamp(rel)
            for k, rid in _record_ids(landing, rel, skip):
                versions.append((ts, rid, k in quarantined[rel]))
        latest = {}
        for ts, rid, bad in versions:
            if not bad:
                latest[rid] = max(latest.get(rid, ts), ts)
        n_bad = sum(bad for _, _, bad in versions)
        superseded = sum(1 for ts, rid, bad in versions if not bad and ts < latest[rid])
        delivered = len(versions)
        recount[key] = (delivered, delivered - n_bad - superseded, superseded, n_bad)
    truth = {
        (r["facility_code"], r["dataset"], r["service_date"]): (
            int(r["delivered"]), int(r["accepted"]), int(r["superseded"]), int(r["quarantined"])
        )
        for r in read_truth(simulated_tiny, "clean_counts.csv")
    }  # fmt: skip
    assert truth == recount
    assert sum(v[2] for v in truth.values()) > 0  # corrections and duplicates happened
    assert sum(v[3] for v in truth.values()) > 0


def test_resent_days_carry_no_faults_and_keep_their_record_ids(simulated_tiny):
    landing = simulated_tiny / "landing"
    faulted_files = {r["file"] for r in read_truth(simulated_tiny, "faults.csv")}
    resent = duplicates = corrections = 0
    for files in groups(simulated_tiny).values():
        by_ts = defaultdict(list)
        for rel in files:
            by_ts[export_stamp(rel)].append(rel)
        if len(by_ts) < 2:
            continue
        resent += 1
        assert not faulted_files & set(files)
        first, *later = (sorted(by_ts[ts]) for ts in sorted(by_ts))
        ids = [sorted(i for rel in v for _, i in _record_ids(landing, rel, set()))
               for v in by_ts.values()]  # fmt: skip
        assert all(i == ids[0] for i in ids)
        for version in later:
            same = [(landing / a).read_bytes() == (landing / b).read_bytes()
                    for a, b in zip(first, version, strict=True)]  # fmt: skip
            duplicates += all(same)
            corrections += not all(same)
    assert resent and duplicates and corrections


def _sla(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).strftime("%Y%m%dT080000")


def test_deliveries_agree_with_the_landing_folder(simulated_tiny):
    files = groups(simulated_tiny)
    with (simulated_tiny / "registry" / "facilities.csv").open(encoding="utf-8") as fh:
        registry = {r["facility_code"]: r for r in csv.DictReader(fh)}
    silences = defaultdict(list)
    for s in read_truth(simulated_tiny, "silences.csv"):
        silences[s["facility_code"]].append((s["start_date"], s["end_date"]))
    reasons = set()
    for r in read_truth(simulated_tiny, "deliveries.csv"):
        key = (r["facility_code"], r["dataset"], r["service_date"])
        landed = files.get(key, [])
        fac = registry[r["facility_code"]]
        assert r["dataset"] in fac["datasets"].split(";")
        assert fac["opened_date"] <= r["service_date"]
        reasons.add(r["silent"])
        if r["silent"] == "never_connected":
            assert not landed and (not fac["go_live_date"] or fac["go_live_date"] > key[2])
        elif r["silent"] == "silent_stretch":
            assert not landed
            assert any(a <= key[2] <= b for a, b in silences[key[0]])
        elif r["first_export_ts"]:
            assert min(export_stamp(f) for f in landed) == r["first_export_ts"]
            on_time = r["first_export_ts"] <= _sla(key[2])
            assert r["on_time"] == str(int(on_time))
            assert (r["silent"] == "late") == (not on_time)
            assert int(r["delivered"]) == int(r["expected"])
        else:  # nothing to send: NDJSON and DICOM Part 10 write no empty files
            assert r["expected"] == "0" and not landed
    assert {"", "late", "never_connected"} <= reasons
    for facility, dataset, _ in files:  # only what the registry asks for ever lands
        assert dataset in registry[facility]["datasets"].split(";")


def test_some_exports_are_late_but_most_arrive_by_eight(simulated_tiny):
    rows = [r for r in read_truth(simulated_tiny, "deliveries.csv") if r["first_export_ts"]]
    on_time = sum(r["on_time"] == "1" for r in rows)
    assert 0.6 * len(rows) < on_time < len(rows)
    for r in rows:
        ts = datetime.strptime(r["first_export_ts"], "%Y%m%dT%H%M%S")
        assert ts.date() >= date.fromisoformat(r["service_date"])
