"""Hospitals that deliver QĐ 130 XML dossiers (`hoso__<export_ts>.xml`) instead of CSV or FHIR.

`--xml-share` picks the share of hospitals that do (public ones first, then private ones, by
code); their registry `export_format` becomes `qd130_xml`. A facility-day's encounters, drug lines,
referrals and appointments travel in one dossier: one HOSO per episode, its tables tied by MA_LK,
rows written exactly as the CSV export writes them (csv_export), so formats, codes and the record
faults injected into rows are the CSV's. The dossier is signed with the facility's simulator test
key (simulator/test_keys.py). Imaging keeps its own DICOM delivery.

A correction is a later dossier that re-sends the changed episodes whole (their records supersede
the first copies); a duplicate is the same bytes under a later export time. Ground truth is
written per dataset from the same slots as the bytes.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, datetime

from hanoi_health_lake.faults import RULE_FOR_KIND
from hanoi_health_lake.simulator import xml_export
from hanoi_health_lake.simulator.checkins import CHECKINS
from hanoi_health_lake.simulator.corrections import corrected
from hanoi_health_lake.simulator.csv_export import rows
from hanoi_health_lake.simulator.delivery import Version, sla
from hanoi_health_lake.simulator.fault_plan import FaultPlan
from hanoi_health_lake.simulator.fault_values import FaultContext
from hanoi_health_lake.simulator.faults_csv import ID_COLUMNS, apply_record_fault
from hanoi_health_lake.simulator.faults_xml import (
    ATTACK_FAULTS,
    TREE_FAULTS,
    cut_off,
    damage_tree,
    tamper,
    with_attack,
)
from hanoi_health_lake.simulator.files import OutFile, RecordSlot, damage
from hanoi_health_lake.simulator.ground_truth import Truth, group_truth
from hanoi_health_lake.simulator.registry import HOSPITAL_TYPES, Facility
from hanoi_health_lake.simulator.test_keys import Identity
from hanoi_health_lake.simulator.timefmt import qd_date, qd_time
from hanoi_health_lake.simulator.xml_signing import sign_dossier

XML_FORMAT = "qd130_xml"
DOSSIER_DATASET = "hoso"  # the dataset a whole-dossier verdict is filed under
# Dossier tables in the order an episode lists them, and the dataset each carries.
TABLES = (("encounters", "XML1"), ("prescriptions", "XML2"), ("referrals", "XML13"),
          ("appointments", "XML14"))  # fmt: skip
XML_DATASETS = tuple(dataset for dataset, _ in TABLES)
_ROW_TABLES = ("XML2",)  # tables with several rows per episode (the rest: the root is the row)
KEPT_TABLE = "XML7"  # the discharge paper of inpatient episodes: received, not yet used


# By default (the facility profiles), every public hospital sends XML dossiers, as their HIS does
# for the insurance gateway, and so do most private hospitals: of the private hospitals by code,
# the first of every three keeps the CSV or FHIR export its profile rotation gave it.
PRIVATE_KEEPS_OWN_EVERY = 3
# Public hospitals' certificates are registered since phase 1: a failed signature quarantines
# their dossier. Private hospitals follow the Department's default (report).
STRICT_POLICY = "quarantine"
# Signature faults are injected only where the policy quarantines the dossier, so each is one
# file-level verdict in quarantine like the other whole-file faults (under `report` the records
# go on and the verdict stays on bronze_files; tests/unit/test_xml_signature.py covers that).
SIGNATURE_FAULTS = ("xml_signature_missing", "xml_signature_tampered")


def xml_senders_by_profile(registry: list[Facility]) -> set[str]:
    private = sorted(
        f.code for f in registry if f.facility_type in HOSPITAL_TYPES and f.ownership == "private"
    )
    keeps_own = set(private[::PRIVATE_KEEPS_OWN_EVERY])
    return {
        f.code for f in registry if f.facility_type in HOSPITAL_TYPES and f.code not in keeps_own
    }


def with_xml_share(registry: list[Facility], share: float | None) -> list[Facility]:
    """The registry with its XML dossier senders: by profile when `share` is None, else `share`
    of its hospitals (public hospitals first, then private ones, each group by code; 0: none).
    A sender also sends check-ins (simulator/checkins.py): `checkins` joins its datasets."""
    if share is None:
        chosen = xml_senders_by_profile(registry)
    else:
        if not 0 <= share <= 1:
            raise ValueError("xml_share must be between 0 and 1")
        hospitals = sorted(
            (f for f in registry if f.facility_type in HOSPITAL_TYPES),
            key=lambda f: (f.ownership == "private", f.code),
        )
        chosen = {f.code for f in hospitals[: round(share * len(hospitals))]}
    return [
        replace(
            f,
            export_format=XML_FORMAT,
            datasets=(*f.datasets, CHECKINS),
            signature_policy=STRICT_POLICY if f.ownership != "private" else "",
        )
        if f.code in chosen
        else f
        for f in registry
    ]


def _stamp(ts: datetime) -> str:
    return ts.strftime("%Y%m%dT%H%M%S")


def _discharge_paper(records: dict[str, list], parts, tables) -> dict[str, str] | None:
    """The discharge paper (XML7, giấy ra viện) of an inpatient episode: a table the lake keeps
    in bronze and shows as received, not yet used."""
    e = next((records["encounters"][i] for d, _, i in parts if d == "encounters"), None)
    if e is None or e.setting != "inpatient":
        return None
    ma_lk = tables["XML1"][0]["MA_LK"] or e.ma_lk
    return {
        "MA_LK": ma_lk,
        "SO_LUU_TRU": f"RV{e.ma_lk[-8:]}",
        "MA_YTE": e.patient_no,
        "MA_KHOA_RV": e.department,
        "NGAY_VAO": qd_time(e.admitted),
        "NGAY_RA": qd_time(e.discharged),
        "CHAN_DOAN_RV": e.primary.name_vi,
        "PP_DIEUTRI": "Điều trị nội khoa",
        "MA_BS": e.doctor,
        "NGAY_CT": qd_date(e.discharged.date()),
    }


def _episodes(records: dict[str, list]) -> dict[str, list[tuple[str, str, int]]]:
    """MA_LK → (dataset, table, index in its dataset's list), episodes in the order they first
    appear (encounters first), tables in dossier order."""
    out: dict[str, list[tuple[str, str, int]]] = {}
    for dataset, table in TABLES:
        for i, record in enumerate(records.get(dataset, ())):
            ma_lk = record.ma_lk if dataset == "encounters" else record.episode.ma_lk
            out.setdefault(ma_lk, []).append((dataset, table, i))
    for ma_lk, parts in out.items():
        single = [t for _, t, _ in parts if t not in _ROW_TABLES]
        if len(single) != len(set(single)):
            raise ValueError(f"episode {ma_lk} has two rows of a one-row table: {single}")
    return out


def export_dossier(
    records: dict[str, list],
    fac: Facility,
    export_ts: datetime,
    plan: FaultPlan,
    ctx: FaultContext,
    identity: Identity | None,
) -> tuple[OutFile, dict[str, list[RecordSlot]]]:
    """The dossier file and, per dataset, the slots of the records it counts."""
    strict = identity is not None and fac.signature_policy == STRICT_POLICY
    file_fault = plan.file_fault(XML_FORMAT, exclude=() if strict else SIGNATURE_FAULTS)
    table_rows: dict[str, list[dict[str, str]]] = {}
    faults: dict[str, dict[int, str]] = {}
    for dataset, table in TABLES:
        if dataset not in records:
            continue
        table_rows[dataset] = rows(dataset, records[dataset], fac)
        if file_fault:  # the file is rejected whole: its rows carry no fault of their own
            faults[dataset] = {}
            continue
        faults[dataset] = plan.record_faults(XML_FORMAT, dataset, len(table_rows[dataset]))
        for i, kind in faults[dataset].items():
            apply_record_fault(kind, table, table_rows[dataset], i, plan.partners.get(i), ctx)
    slots: dict[str, list[RecordSlot]] = {dataset: [] for dataset in table_rows}
    episodes = []
    record_no = 0
    for number, parts in enumerate(_episodes(records).values(), start=1):
        tables: dict[str, list[dict[str, str]]] = {}
        for dataset, table, i in parts:
            row = table_rows[dataset][i]
            tables.setdefault(table, []).append(row)
            record_no += 1
            line = f" row {len(tables[table])}" if table in _ROW_TABLES else ""
            record_id = "-".join(row[c] for c in ID_COLUMNS[table])
            slots[dataset].append(
                RecordSlot(
                    record_no, f"episode {number} {table}{line}", record_id, faults[dataset].get(i)
                )
            )
        for row in tables.get("XML1", ()):  # XML1 STT numbers the episodes of the file
            row["STT"] = str(number)
        paper = _discharge_paper(records, parts, tables)
        if paper:  # kept in bronze, not counted: it still takes a place in the file's order
            tables[KEPT_TABLE] = [paper]
            record_no += 1
        episodes.append(list(tables.items()))
    root = xml_export.dossier(fac.code, export_ts.strftime("%Y%m%d"), episodes)
    if file_fault in TREE_FAULTS:
        file_fault = damage_tree(file_fault, root, ctx)
    if identity is not None and file_fault != "xml_signature_missing":
        root = sign_dossier(root, identity.key_pem, identity.cert_pem)
    if file_fault == "xml_signature_tampered":
        tamper(root, ctx)
    name = f"{DOSSIER_DATASET}__{_stamp(export_ts)}.xml"
    f = OutFile(name, xml_export.to_bytes(root), XML_FORMAT)
    if not file_fault:
        return f, slots
    if file_fault == "xml_malformed_envelope":
        f = replace(f, data=cut_off(f.data, ctx.rnd))
    elif file_fault in ATTACK_FAULTS:
        f = replace(f, data=with_attack(f.data, file_fault))
    elif file_fault not in (*TREE_FAULTS, *SIGNATURE_FAULTS):
        f = damage(f, file_fault, ctx.rnd)  # empty_file, unsafe_path
    return replace(f, fault=file_fault), {dataset: [] for dataset in slots}


def _correction(records: dict[str, list], rnd) -> dict[str, list]:
    """The changed episodes of the day, each whole (its drug lines, letters), with the change."""
    episodes = records.get("encounters")
    if not episodes:
        return {d: corrected(d, r, rnd) for d, r in records.items()}
    changed = [new for old, new in zip(episodes, corrected("encounters", episodes, rnd),
                                       strict=True) if new is not old]  # fmt: skip
    ids = {e.ma_lk for e in changed}
    out = {"encounters": changed}
    for dataset, items in records.items():
        if dataset != "encounters":
            out[dataset] = [r for r in items if r.episode.ma_lk in ids]
    return out


def deliver_dossiers(
    fac: Facility,
    day: date,
    data,
    versions: list[Version],
    folder: tuple[str, str],  # (absolute, relative to landing)
    rnd,
    ctx: FaultContext,
    identity: Identity | None,
    fault_rate: float,
    truth: Truth,
) -> None:
    """Write a facility-day's dossier versions and their ground truth."""
    folder_abs, folder_rel = folder
    records = {d: data.records(d) for d in XML_DATASETS if d in fac.datasets}
    # Faults only where a delivery is final, so the ground truth stays unambiguous.
    plan = FaultPlan(fault_rate, rnd, enabled=len(versions) == 1)
    landed: list[tuple[datetime, OutFile, dict[str, list[RecordSlot]]]] = []
    for v in versions:
        if v.kind == "duplicate":
            first_ts, first, slots = landed[0]
            f = replace(first, name=first.name.replace(_stamp(first_ts), _stamp(v.export_ts), 1))
        else:
            content = records if v.kind == "original" else _correction(records, rnd)
            f, slots = export_dossier(content, fac, v.export_ts, plan, ctx, identity)
        os.makedirs(folder_abs, exist_ok=True)
        with open(os.path.join(folder_abs, f.name), "wb") as fh:
            fh.write(f.data)
        landed.append((v.export_ts, f, slots))
        truth.stats[(XML_FORMAT, "files")] += 1
        truth.stats[(XML_FORMAT, "records")] += sum(len(s) for s in slots.values())
    for _, f, _ in landed:
        if f.fault:
            path = f"{folder_rel}/{f.name}"
            truth.faults.append((f.fault, RULE_FOR_KIND[f.fault], "file", path, "", "", "",
                                 DOSSIER_DATASET, fac.code, day.isoformat()))  # fmt: skip
    first = versions[0].export_ts
    on_time = first <= sla(day)
    for dataset, items in records.items():
        per_dataset = [
            (
                ts,
                folder_rel,
                [replace(f, records=slots.get(dataset, []), fault=None, counted=not f.fault)],
            )
            for ts, f, slots in landed
        ]
        group_truth(truth, (fac.code, dataset, day.isoformat()), per_dataset)
        truth.deliveries.append((
            fac.code, dataset, day.isoformat(), len(items), len(items), _stamp(first),
            int(on_time), "" if on_time else "late",
        ))  # fmt: skip
