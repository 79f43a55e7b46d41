"""No record counts twice, and corrections cannot be hijacked: hand-made attacks on a tiny
simulated day (a second export with the same stamp, files in the wrong facility's or day's
folder, DICOM instances over two exports, a future-stamped export), ingested into a real lake."""

from __future__ import annotations

import io
import json
import os
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pydicom
import pytest
from pydicom.uid import generate_uid

from hanoi_health_lake.checks.silver_keys import SILVER_KEYS, duplicate_keys
from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.parsers.landing_paths import parse_landing_path
from hanoi_health_lake.pipeline.ingest_day import ingest_day
from hanoi_health_lake.pipeline.parse_day import deliver
from hanoi_health_lake.pipeline.write_day import table_path, write_day
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from hanoi_health_lake.simulator.run import simulate

DAY = date(2026, 3, 1)
NEXT_DAY = date(2026, 3, 2)
KEY = b"no-double-count-test-key-0123456789"
_ZONE = ZoneInfo(TIMEZONE)


@dataclass
class Attacks:
    home: Path
    codes: frozenset[str]
    duplicate_ts: dict  # facility, original, partial copy with the same export_ts, rows copied
    bundle_and_ndjson: dict  # facility, NDJSON file, a Bundle of the same export
    misplaced: dict  # source facility, file, into another facility's folder, into 01ZZZ
    wrong_day: dict  # facility, original, copy in the next day's folder
    dicom: dict  # facility, study uid, files of the second export
    future: dict  # facility, original, hijack within tolerance, correction, 2099 file


def _stamp(ts: datetime) -> str:
    return ts.strftime("%Y%m%dT%H%M%S")


def _arrive(path: Path, when: datetime) -> None:
    """Set the file's mtime to `when` (local time): what our landing volume saw as arrival."""
    epoch = when.replace(tzinfo=_ZONE).timestamp()
    os.utime(path, (epoch, epoch))


def _encounter_files(landing: Path, registry: pl.DataFrame) -> list[str]:
    """CSV encounters files of the day, those with the most records first."""
    csv_facilities = set(registry.filter(pl.col("export_format") == "csv")["facility_code"])
    found = [
        p.relative_to(landing).as_posix()
        for p in landing.glob(f"*/{DAY.isoformat()}/encounters__*.csv")
        if p.parent.parent.name in csv_facilities
    ]
    return sorted(found, key=lambda rel: (-len((landing / rel).read_bytes().splitlines()), rel))


def _copy(landing: Path, src: str, dst: str, data: bytes | None = None) -> str:
    target = landing / dst
    target.parent.mkdir(parents=True, exist_ok=True)
    if data is None:
        shutil.copyfile(landing / src, target)
    else:
        target.write_bytes(data)
    return dst


def _renamed(rel: str, ts: datetime, part: str | None = None) -> str:
    name = parse_landing_path(rel)
    folder = rel.rsplit("/", 1)[0]
    middle = f".{part}" if part else ""
    return f"{folder}/{name.dataset}__{_stamp(ts)}{middle}.{name.ext}"


def _instance(template: bytes, *, instance_uid: str, series_uid: str | None = None) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(template))
    ds.SOPInstanceUID = instance_uid
    ds.file_meta.MediaStorageSOPInstanceUID = instance_uid
    if series_uid:
        ds.SeriesInstanceUID = series_uid
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _bundle_of_ndjson(landing: Path) -> dict:
    """The same export as NDJSON and as a Bundle (same export_ts, same arrival)."""
    ndjson = sorted(landing.glob(f"*/{DAY.isoformat()}/prescriptions__*.MedicationRequest.ndjson"))[
        0
    ]
    rel = ndjson.relative_to(landing).as_posix()
    resources = [json.loads(line) for line in ndjson.read_text().splitlines() if line.strip()]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }
    name = parse_landing_path(rel)
    bundle_name = f"{rel.rsplit('/', 1)[0]}/prescriptions__{name.export_ts_text}.json"
    bundle_rel = _copy(landing, rel, bundle_name, json.dumps(bundle).encode())
    for path in (rel, bundle_rel):
        _arrive(landing / path, name.export_ts + timedelta(minutes=3))
    return {"facility": rel.split("/")[0], "ndjson": rel, "bundle": bundle_rel, "n": len(resources)}


def _dicom_attack(landing: Path) -> dict:
    """A study's instances over two exports: a new series of two instances, and a re-send of
    the instance the first export carried (a correction of that instance)."""
    first = sorted(landing.glob(f"*/{DAY.isoformat()}/imaging_studies__*.dcm"))[0]
    rel = first.relative_to(landing).as_posix()
    template = first.read_bytes()
    original = pydicom.dcmread(io.BytesIO(template))
    later = parse_landing_path(rel).export_ts + timedelta(hours=1)
    series = generate_uid()
    files = {
        _renamed(rel, later, "9001"): _instance(template, instance_uid=generate_uid(),
                                                series_uid=series),
        _renamed(rel, later, "9002"): _instance(template, instance_uid=generate_uid(),
                                                series_uid=series),
        _renamed(rel, later, "9003"): template,  # the first export's instance, sent again
    }  # fmt: skip
    for dst, data in files.items():
        _copy(landing, rel, dst, data)
        _arrive(landing / dst, later + timedelta(minutes=2))
    return {
        "facility": rel.split("/", 1)[0],
        "study_uid": str(original.StudyInstanceUID),
        "resent": rel,
        "files": sorted(files),
    }


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> Attacks:
    home = tmp_path_factory.mktemp("attacked")
    simulate(DAY, 1, "tiny", seed=5, out=home, fault_rate=0.0, xml_share=0.0)  # CSV, FHIR, DICOM
    landing = home / "landing"
    registry = load_registry(home / "registry" / "facilities.csv")
    codes = registry_codes(registry)
    dup, src, wrong, future = _encounter_files(landing, registry)[:4]
    used = {rel.split("/")[0] for rel in (dup, src, wrong, future)}
    target = next(
        p.relative_to(landing).as_posix()
        for p in sorted(landing.glob(f"*/{DAY.isoformat()}/encounters__*"))
        if p.parent.parent.name not in used
    )

    # 1. A second export with the same export_ts: a part file repeating the first two records.
    assert len((landing / dup).read_bytes().splitlines()) >= 4, "need a file of 3+ records"
    ts = parse_landing_path(dup).export_ts
    lines = (landing / dup).read_bytes().splitlines(keepends=True)
    partial = _copy(landing, dup, _renamed(dup, ts, "b"), b"".join(lines[:3]))
    for rel in (dup, partial):  # the same arrival too: the landing path decides
        _arrive(landing / rel, ts + timedelta(minutes=5))
    duplicate_ts = {"facility": dup.split("/")[0], "original": dup, "partial": partial}

    bundle_and_ndjson = _bundle_of_ndjson(landing)

    # 2. A facility's file in another registered facility's folder, and in an unregistered one.
    name = src.rsplit("/", 1)[1]
    into_other = _copy(landing, src, f"{target.split('/')[0]}/{DAY.isoformat()}/{name}")
    into_unregistered = _copy(landing, src, f"01ZZZ/{DAY.isoformat()}/{name}")
    misplaced = {
        "facility": src.split("/")[0],
        "into_other": into_other,
        "other": target.split("/")[0],
        "into_unregistered": into_unregistered,
    }

    # 3. A file copied into the next day's folder.
    copied = _copy(landing, wrong, wrong.replace(DAY.isoformat(), NEXT_DAY.isoformat()))
    wrong_day = {"facility": wrong.split("/")[0], "original": wrong, "copy": copied}

    # 4. DICOM instances of one study over two exports.
    dicom = _dicom_attack(landing)

    # 5. Corrections and a hijack: original at T0 (arrived T0+5'), a stamp 100' ahead that
    #    arrived at T0+10', the genuine correction stamped T0+60' (arrived T0+61'), and a file
    #    stamped 2099 that arrived at T0+20'.
    t0 = parse_landing_path(future).export_ts
    hijack = _copy(landing, future, _renamed(future, t0 + timedelta(minutes=100)))
    correction = _copy(landing, future, _renamed(future, t0 + timedelta(minutes=60)))
    far = _copy(landing, future, _renamed(future, datetime(2099, 12, 31, 23, 59, 59)))
    for rel, minutes in ((future, 5), (hijack, 10), (correction, 61), (far, 20)):
        _arrive(landing / rel, t0 + timedelta(minutes=minutes))
    future_case = {
        "facility": future.split("/")[0],
        "original": future,
        "hijack": hijack,
        "correction": correction,
        "far": far,
    }

    for day in (DAY, NEXT_DAY):
        ingested = ingest_day(landing, day, registry_codes=codes, key=KEY, run_id="attack")
        write_day(home / "lake", ingested, "attack")
    return Attacks(
        home, codes, duplicate_ts, bundle_and_ndjson, misplaced, wrong_day, dicom, future_case
    )


def _read(attacks: Attacks, table: str) -> pl.DataFrame:
    from deltalake import DeltaTable

    return pl.from_arrow(
        DeltaTable(str(table_path(attacks.home / "lake", table))).to_pyarrow_table()
    )


def _reconciled(attacks: Attacks, facility: str, dataset: str, day: date = DAY) -> dict:
    rec = _read(attacks, "reconciliation").filter(
        (pl.col("facility_code") == facility)
        & (pl.col("dataset") == dataset)
        & (pl.col("service_date") == day)
    )
    assert rec.height == 1, rec
    return rec.row(0, named=True)


def _file_verdict(attacks: Attacks, relpath: str) -> dict:
    files = _read(attacks, "bronze_files").filter(pl.col("source_file") == relpath)
    assert files.height == 1, relpath
    return files.row(0, named=True)


def _records_in(attacks: Attacks, relpath: str) -> int:
    data = (attacks.home / "landing" / relpath).read_bytes()
    return len(data.splitlines()) - 1  # the header


def test_a_second_export_with_the_same_stamp_counts_each_record_once(attacked: Attacks):
    case = attacked.duplicate_ts
    n = _records_in(attacked, case["original"])
    rec = _reconciled(attacked, case["facility"], "encounters")
    assert (rec["delivered"], rec["accepted"], rec["superseded"]) == (n + 2, n, 2)
    silver = _read(attacked, "encounters").filter(pl.col("facility_code") == case["facility"])
    assert silver.height == n and silver["encounter_id"].n_unique() == n
    # Equal stamp and arrival: the landing path decides, highest wins ('….csv' > '….b.csv').
    assert set(silver["source_file"]) == {case["original"]}


def test_a_bundle_and_an_ndjson_of_one_export_count_each_record_once(attacked: Attacks):
    case = attacked.bundle_and_ndjson
    n = case["n"]
    rec = _reconciled(attacked, case["facility"], "prescriptions")
    assert (rec["delivered"], rec["accepted"], rec["superseded"]) == (2 * n, n, n)
    lines = _read(attacked, "prescription_items").filter(
        pl.col("facility_code") == case["facility"]
    )
    assert lines.height == n and lines["line_id"].n_unique() == n
    # '….json' sorts after '….MedicationRequest.ndjson': the Bundle is the current version.
    assert set(lines["source_file"]) == {case["bundle"]}


def test_a_file_in_another_facility_folder_is_rejected_naming_both(attacked: Attacks):
    case = attacked.misplaced
    other = _file_verdict(attacked, case["into_other"])
    assert (other["status"], other["error_rule"]) == ("error", "file.facility_mismatch")
    assert case["facility"] in other["error_message"] and case["other"] in other["error_message"]
    assert case["into_other"] in other["error_message"]
    unregistered = _file_verdict(attacked, case["into_unregistered"])
    assert unregistered["error_rule"] == "file.facility_unregistered"
    assert (
        "01ZZZ" in unregistered["error_message"]
        and case["facility"] in unregistered["error_message"]
    )
    quarantined = _read(attacked, "quarantine").filter(
        pl.col("source_file").is_in([case["into_other"], case["into_unregistered"]])
    )
    assert quarantined.height == 2 and quarantined["record_no"].is_null().all()
    encounters = _read(attacked, "encounters")
    assert (
        not encounters["source_file"].is_in([case["into_other"], case["into_unregistered"]]).any()
    )
    # The source facility's encounters are counted once, from its own folder.
    own = encounters.filter(pl.col("facility_code") == case["facility"])
    assert own.height == own["encounter_id"].n_unique() > 0


def test_a_file_copied_into_another_day_is_not_stored_twice(attacked: Attacks):
    case = attacked.wrong_day
    verdict = _file_verdict(attacked, case["copy"])
    assert (verdict["service_date"], verdict["error_rule"]) == (
        NEXT_DAY,
        "file.service_date_mismatch",
    )
    assert NEXT_DAY.isoformat() in verdict["error_message"]
    assert DAY.isoformat() in verdict["error_message"]
    next_day = _read(attacked, "encounters").filter(pl.col("service_date") == NEXT_DAY)
    assert next_day.height == 0
    original = _file_verdict(attacked, case["original"])
    assert original["status"] == "ok"


def test_dicom_instances_over_two_exports_roll_up_to_one_study(attacked: Attacks):
    case = attacked.dicom
    studies = _read(attacked, "imaging_studies").filter(pl.col("facility_code") == case["facility"])
    assert studies["study_uid"].n_unique() == studies.height  # one row per study
    study = studies.filter(pl.col("study_uid") == case["study_uid"]).row(0, named=True)
    # The first export's instance (corrected by its re-send) and the new series' two instances.
    assert (study["instances_received"], study["series_received"]) == (3, 2)
    assert study["records_received"] == 3
    rec = _reconciled(attacked, case["facility"], "imaging_studies")
    assert rec["superseded"] == 1
    assert rec["accepted"] == int(studies["records_received"].sum())
    assert rec["delivered"] == rec["accepted"] + rec["superseded"] + rec["quarantined"]


def test_a_future_stamp_is_rejected_and_cannot_outrank_a_later_correction(attacked: Attacks):
    case = attacked.future
    far = _file_verdict(attacked, case["far"])
    assert (far["status"], far["error_rule"]) == ("error", "file.export_ts_future")
    assert case["far"] in far["error_message"] and "2099-12-31 23:59:59" in far["error_message"]
    hijack = _file_verdict(attacked, case["hijack"])
    assert hijack["status"] == "ok"  # within the tolerance: accepted, but ranked by arrival
    silver = _read(attacked, "encounters").filter(pl.col("facility_code") == case["facility"])
    assert set(silver["source_file"]) == {case["correction"]}
    n = _records_in(attacked, case["original"])
    rec = _reconciled(attacked, case["facility"], "encounters")
    assert (rec["delivered"], rec["accepted"], rec["superseded"]) == (3 * n, n, 2 * n)


def test_the_future_tolerance_is_a_setting(attacked: Attacks, monkeypatch):
    landing = attacked.home / "landing"
    hijack = attacked.future["hijack"]  # stamped 90 minutes after it arrived
    monkeypatch.setenv("HHL_EXPORT_TS_FUTURE_TOLERANCE_MINUTES", "30")
    strict = deliver(landing, hijack, attacked.codes).parsed
    assert (strict.status, strict.error_rule) == ("error", "file.export_ts_future")
    assert "30 minutes" in strict.error_message
    monkeypatch.setenv("HHL_EXPORT_TS_FUTURE_TOLERANCE_MINUTES", "120")
    assert deliver(landing, hijack, attacked.codes).parsed.status == "ok"


def test_no_silver_table_holds_a_key_twice_after_the_attacks(attacked: Attacks):
    for table in SILVER_KEYS:
        path = table_path(attacked.home / "lake", table)
        for day in (DAY, NEXT_DAY):
            assert duplicate_keys(table, path, day).height == 0, table
