"""One synthetic service day of every lake table the marts read, for the marts benchmark when the
lake holds no simulated day yet.

Not the simulator: no files, no formats, no faults to catch — only rows with the lake's schemas
and plausible proportions (facility mix, diagnoses that hit the disease groups, drug lines by
brand and generic name, referrals, appointments, a few quarantined records and late files).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from hanoi_health_lake.benchmarks.lake_tables import facilities_table, lake_table
from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.faults import FAULT_KINDS
from hanoi_health_lake.reference import icd10
from hanoi_health_lake.reference.drugs import drugs
from hanoi_health_lake.reference.wards import hanoi_wards

# (type, share of facilities, ownership, relative daily volume, datasets)
_CORE = "encounters;prescriptions;referrals;appointments"
FACILITY_MIX = (
    ("central_hospital", 0.01, "public_central", 40.0, _CORE + ";imaging_studies"),
    ("city_hospital", 0.03, "public_city", 17.0, _CORE + ";imaging_studies"),
    ("private_hospital", 0.03, "private", 8.0, _CORE),
    ("health_centre", 0.03, "public_city", 5.0, _CORE),
    ("health_station", 0.15, "public_city", 1.0, "encounters;prescriptions;referrals"),
    ("private_clinic", 0.75, "private", 0.1, "encounters;prescriptions"),
)
DIAGNOSES = (
    "J06.9", "J02.9", "J20.9", "A09", "I10", "E11.9", "K29.7", "M54.5", "B08.4", "A97.0",
    "J11.1", "B01.9", "J18.9", "N39.0", "Z00.0", "K21.9", "H10.9", "L30.9",
)  # fmt: skip
MODALITIES = ("CR", "DX", "CT", "MR", "US")
RECORD_RULES = tuple(f.rule_id for f in FAULT_KINDS if f.level == "record")
_TYPES = ("outpatient",) * 8 + ("inpatient", "emergency")
HANOI = ZoneInfo(TIMEZONE)
PATIENTS = 50_000  # the pool patients are drawn from, so some return within days


def synthetic_facilities(n: int, workdir: Path, seed: int = 0) -> pa.Table:
    """A registry of `n` facilities in the proportions of FACILITY_MIX, nearly all live."""
    rng = random.Random(f"facilities-{seed}")
    wards = hanoi_wards()
    rows = []
    for i in range(n):
        kind = rng.choices(FACILITY_MIX, weights=[m[1] for m in FACILITY_MIX])[0]
        ward = rng.choice(wards)
        live = rng.random() > 0.05
        rows.append(
            {
                "facility_code": f"01{i + 1:03d}" if i < 999 else f"01A{i - 998:02d}",
                "name": f"Synthetic {kind[0]} {i + 1}",
                "facility_type": kind[0],
                "ownership": kind[2],
                "level": "basic",
                "ward_code": ward.code,
                "ward_name": ward.name,
                "opened_date": "2000-01-01",
                "go_live_date": "2025-10-01" if live else "",
                "datasets": kind[4],
                "export_format": rng.choice(("csv", "fhir_json", "fhir_ndjson")),
                "imaging_format": "dicom_json" if "imaging" in kind[4] else "",
                **_contact(i),
            }
        )
    return facilities_table(rows, workdir)


def _contact(i: int) -> dict[str, str]:
    """Every seventh facility gives no contact (as some registry rows do); drawn without the
    registry's random stream, so the facilities are the same as before contacts existed."""
    if i % 7 == 6:
        return {"contact_name": "", "contact_phone": "", "contact_email": ""}
    return {
        "contact_name": f"Cán bộ {i + 1}",
        "contact_phone": f"09{i + 1:08d}",
        "contact_email": f"canbo{i + 1}@example.vn",
    }


def synthetic_day(day: date, facilities: pa.Table, encounters: int, seed: int = 0) -> dict:
    """Partitioned lake tables for one service day: silver, bronze_files, reconciliation and
    quarantine. About 5% of the live facility datasets stay silent."""
    rng = random.Random(f"day-{seed}-{day}")
    registry = facilities.to_pylist()
    volume = {m[0]: m[3] for m in FACILITY_MIX}
    live = [f for f in registry if f["go_live_date"] and f["go_live_date"] <= day]
    sending = {(f["facility_code"], d) for f in live for d in f["datasets"] if rng.random() > 0.05}
    senders = [f for f in live if (f["facility_code"], "encounters") in sending]
    hospitals = [f["facility_code"] for f in live if f["facility_type"].endswith("hospital")]
    weights = [volume[f["facility_type"]] for f in senders]
    rows: dict[str, list[dict]] = {name: [] for name in _TABLES}
    for i in range(encounters if senders else 0):
        fac = rng.choices(senders, weights=weights)[0]
        _episode(rows, rng, day, fac, i, sending, hospitals)
    rows["bronze_files"], rows["reconciliation"], rows["quarantine"] = _deliveries(
        rng, day, sending, rows
    )
    # The marts refreshed the next morning and the morning after (late files reach the second).
    rows["marts_refreshed"] = [
        {"service_date": day, "refreshed_at": datetime.combine(day + timedelta(days=d), time(9)),
         "run_id": "synthetic"}
        for d in (1, 2)
    ]  # fmt: skip
    return {name: lake_table(name, table_rows) for name, table_rows in rows.items()}


_TABLES = (
    "encounters", "diagnoses", "prescriptions", "prescription_items", "referrals",
    "appointments", "imaging_studies", "services", "lab_results", "checkins",
    "health_book_entries",
)  # fmt: skip


def _episode(rows, rng, day, fac, i, sending, hospitals) -> None:
    code = fac["facility_code"]
    patient = rng.randrange(PATIENTS)
    person = {
        "facility_code": code,
        "service_date": day,
        "patient_key": f"{patient:064x}",
        "patient_key_type": "cccd" if rng.random() < 0.9 else "episode",
        "sex": rng.choice(("male", "female")),
        "birth_year": 2026 - patient % 90,
        "age_years": patient % 90,
        "ward_code": fac["ward_code"] if rng.random() < 0.8 else rng.choice(hanoi_wards()).code,
        "export_ts": datetime.combine(day + timedelta(days=1), time(2)),
        "source_file": f"{code}/{day}/encounters__x.csv",
        "record_no": i + 1,
        "source_format": "csv",
    }
    episode = f"E{i:07d}"
    start = datetime.combine(day, time(rng.randrange(7, 17), rng.randrange(60)), tzinfo=HANOI)
    codes = rng.sample(DIAGNOSES, rng.choice((1, 1, 2, 3)))
    rows["encounters"].append(
        person
        | {
            "encounter_id": episode,
            "encounter_type": rng.choice(_TYPES),
            "admitted_at": start,
            "discharged_at": start + timedelta(minutes=40),
            "primary_icd10": codes[0],
            "secondary_icd10": codes[1:],
        }
    )
    # The health book's outcome, from the episode number (no draw: the other tables stay as
    # they were): a citizen id → sent, 0–39 hours after discharge; every 97th opted out.
    sent = person["patient_key_type"] == "cccd" and i % 97 != 0
    rows["health_book_entries"].append({
        "service_date": day, "facility_code": code, "encounter_id": episode,
        "patient_key": person["patient_key"], "discharged_at": start + timedelta(minutes=40),
        "outcome": "sent" if sent else "opted_out" if i % 97 == 0 else "no_citizen_id",
        "first_sent_at": start + timedelta(minutes=40, hours=i % 40) if sent else None,
    })  # fmt: skip
    for seq, icd in enumerate(codes, start=1):
        rows["diagnoses"].append(
            person
            | {
                "encounter_id": episode,
                "icd10": icd,
                "icd10_chapter": _chapter(icd),
                "is_primary": seq == 1,
                "seq": seq,
            }
        )
    if (code, "prescriptions") in sending and rng.random() < 0.7:
        _prescription(rows, rng, person, episode, start)
    if (code, "referrals") in sending and rng.random() < 0.03 and hospitals:
        rows["referrals"].append(
            person
            | {
                "referral_id": f"R{i:07d}",
                "encounter_id": episode,
                "from_facility_code": code,
                "to_facility_code": rng.choice(hospitals),
                "referred_at": start,
            }
        )
    if (code, "appointments") in sending and rng.random() < 0.15:
        due = day + timedelta(days=rng.choice((3, 7, 14, 30)))
        rows["appointments"].append(
            person
            | {
                "appointment_id": f"A{i:07d}",
                "encounter_id": episode,
                "appointment_at": datetime.combine(due, time(8), tzinfo=HANOI),
                "appointment_date": due,
                "issued_date": day,
            }
        )
    if i % 5 == 0:  # XML dossier lines (XML3, XML4); no draw, so the other tables stay as they were
        line = {"line_id": f"{episode}-1", "encounter_id": episode, "line_no": 1}
        rows["services"].append(
            person | line | {"service_code": "18.0001.0001", "quantity": 1.0, "ordered_at": start}
        )
        rows["lab_results"].append(
            person | line | {"service_code": "22.0121.1369", "test_code": "WBC", "value": "7.5"}
        )
        rows["checkins"].append(
            person | {"encounter_id": episode, "encounter_type": "outpatient", "admitted_at": start}
        )
    if (code, "imaging_studies") in sending and rng.random() < 0.1:
        rows["imaging_studies"].append(
            person | {"study_uid": f"1.2.840.{i}", "modality": rng.choice(MODALITIES)}
        )


@cache
def _chapter(code: str) -> str | None:
    return icd10.chapter(code)


def _prescription(rows, rng, person, episode, start) -> None:
    listed = drugs()
    prescription = f"{person['facility_code']}{person['record_no']:07d}-c"
    picked = rng.sample(listed, rng.randrange(1, 5))
    rows["prescriptions"].append(
        person
        | {
            "prescription_code": prescription,
            "encounter_id": episode,
            "ordered_at": start,
            "n_items": len(picked),
        }
    )
    for line, drug in enumerate(picked, start=1):
        brand = drug.brand_names and rng.random() < 0.4
        rows["prescription_items"].append(
            person
            | {
                "line_id": f"{episode}-{line}",
                "prescription_code": prescription,
                "encounter_id": episode,
                "line_no": line,
                "drug_code": drug.drug_code,
                "drug_name": rng.choice(drug.brand_names) if brand else drug.generic_name,
                "atc_code": drug.atc_code,
                "route": drug.routes[0],
                "quantity": 10.0,
                "ordered_at": start,
            }
        )


def _deliveries(rng, day, sending, rows):
    counts: dict[tuple[str, str], int] = {}
    for dataset in ("encounters", "prescription_items", "referrals", "appointments"):
        for r in rows[dataset]:
            key = (r["facility_code"], "prescriptions" if dataset.startswith("presc") else dataset)
            counts[key] = counts.get(key, 0) + 1
    for r in rows["imaging_studies"]:
        key = (r["facility_code"], "imaging_studies")
        counts[key] = counts.get(key, 0) + 1
    files, reconciliation, quarantine = [], [], []
    for code, dataset in sorted(sending):
        accepted = counts.get((code, dataset), 0)
        late = rng.random() < 0.1
        export = datetime.combine(day + timedelta(days=1), time(0, 30)) + timedelta(
            minutes=rng.randrange(60 * 30 if late else 60 * 6)
        )
        path = f"{code}/{day}/{dataset}__{export:%Y%m%dT%H%M%S}.csv"
        bad = rng.choices((0, 1, 2), weights=(0.9, 0.07, 0.03))[0]
        files.append(
            {
                "service_date": day,
                "facility_code": code,
                "dataset": dataset,
                "source_file": path,
                "format": "csv",
                "export_ts": export,
                # Landed a minute after export, in silver three minutes later (no draw: the
                # random sequence, and so every other synthetic figure, stays as it was).
                "arrived_at": export + timedelta(minutes=1),
                "silver_at": export + timedelta(minutes=4),
                "status": "ok",
                "n_records": accepted + bad,
                # Some encounters deliveries carry dossier tables kept in bronze (XML7 discharge
                # papers), for mart_received_unused_daily; chosen by code, not drawn.
                "kept_tables": (
                    [{"table_name": "XML7", "records": max(1, accepted // 10)}]
                    if dataset == "encounters" and int(code) % 7 == 0
                    else None
                ),
            }
        )
        for n in range(bad):
            rule = rng.choice(RECORD_RULES)
            quarantine.append(
                {
                    "service_date": day,
                    "facility_code": code,
                    "dataset": dataset,
                    "source_file": path,
                    "export_ts": export,
                    "record_no": accepted + n + 1,
                    "rule_ids": [rule],
                    "categories": [rule.split(".")[0]],
                    "severity": "error",
                    "reason": f"{path}: breaks {rule}",
                    "payload": "{}",
                }
            )
        reconciliation.append(
            {
                "service_date": day,
                "facility_code": code,
                "dataset": dataset,
                "files": 1,
                "files_failed": 0,
                "delivered": accepted + bad,
                "accepted": accepted,
                "quarantined": bad,
                "superseded": 0,
            }
        )
    return files, reconciliation, quarantine
