"""One facility over the whole window: make each day, deliver it, write files and ground truth.

Everything here depends only on the world and the facility, so facilities can run in any order
and in any process and the output is the same.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from hanoi_health_lake.simulator.checkins import CHECKINS, deliver_checkins
from hanoi_health_lake.simulator.corrections import corrected
from hanoi_health_lake.simulator.csv_export import export_csv
from hanoi_health_lake.simulator.delivery import Silence, schedule, silences_for, sla
from hanoi_health_lake.simulator.dicom_export import export_dicom
from hanoi_health_lake.simulator.episodes import ExtraCases, FacilityState, generate_day
from hanoi_health_lake.simulator.fault_plan import FaultPlan
from hanoi_health_lake.simulator.fault_values import FaultContext
from hanoi_health_lake.simulator.fhir_export import export_fhir
from hanoi_health_lake.simulator.fhir_resources import Builder
from hanoi_health_lake.simulator.files import OutFile
from hanoi_health_lake.simulator.ground_truth import Truth, group_truth
from hanoi_health_lake.simulator.rand import rng
from hanoi_health_lake.simulator.registry import Facility
from hanoi_health_lake.simulator.test_keys import Identity
from hanoi_health_lake.simulator.world import World
from hanoi_health_lake.simulator.xml_delivery import XML_DATASETS, XML_FORMAT, deliver_dossiers


def dataset_format(fac: Facility, dataset: str) -> str:
    return fac.imaging_format if dataset == "imaging_studies" else fac.export_format


def export(
    fmt: str, dataset: str, records: list, fac: Facility, ts, plan, ctx, builder: Builder
) -> list[OutFile]:
    if fmt == "csv":
        return export_csv(dataset, records, fac, ts, plan, ctx)
    if fmt in ("fhir_json", "fhir_ndjson"):
        return export_fhir(dataset, records, builder, ts, plan, ctx)
    return export_dicom(records, fac, ts, plan, ctx, as_json=fmt == "dicom_json")


def _write(folder: str, files: list[OutFile]) -> None:
    if not os.path.isdir(folder):
        os.makedirs(folder)
    for f in files:
        with open(os.path.join(folder, f.name), "wb") as fh:
            fh.write(f.data)


def _stamp(ts) -> str:
    return ts.strftime("%Y%m%dT%H%M%S")


def run_facility(
    world: World,
    fac: Facility,
    extra: dict[tuple[str, date], tuple[ExtraCases, ...]],
    landing: Path,
    identity: Identity | None = None,
) -> Truth:
    """`identity` signs the XML dossiers of a facility that sends them."""
    truth = Truth()
    silences = silences_for(world, fac)
    truth.silences += [(s.facility_code, s.start.isoformat(), s.end.isoformat(), s.reason)
                       for s in silences]  # fmt: skip
    state = FacilityState()
    for day in world.dates:
        if fac.opened_date > day:
            continue
        data = generate_day(world, fac, day, state, extra.get((fac.code, day), ()))
        reason = _not_sending(fac, day, silences)
        if reason:
            for dataset in fac.datasets:
                n = len(data.records(dataset))
                truth.deliveries.append((fac.code, dataset, day.isoformat(), n, 0, "", 0, reason))
            continue
        _deliver_day(world, fac, day, data, landing, truth, identity)
    return truth


def _not_sending(fac: Facility, day: date, silences: list[Silence]) -> str:
    if not fac.is_live(day):
        return "never_connected"
    if any(s.covers(day) for s in silences):
        return "silent_stretch"
    return ""


def _deliver_day(
    world: World, fac: Facility, day: date, data, landing: Path, truth: Truth, identity
) -> None:
    folder_rel = f"{fac.code}/{day.isoformat()}"
    folder = os.path.join(landing, fac.code, day.isoformat())
    rnd = rng(world.seed, "faults", fac.code, day)
    ctx = FaultContext(rnd, world.unregistered, world.seed)
    builder = Builder(world.seed, fac, bundle=fac.export_format == "fhir_json")
    plan = schedule(world, fac, day)
    if CHECKINS in plan:  # sent as care starts, not on the day's export schedule
        del plan[CHECKINS]
        deliver_checkins(fac, day, data, (folder, folder_rel), truth)
    if fac.export_format == XML_FORMAT:
        # One dossier carries every XML dataset of the day, on the first dataset's schedule.
        dossier = [d for d in plan if d in XML_DATASETS]
        if dossier:
            deliver_dossiers(fac, day, data, plan[dossier[0]], (folder, folder_rel), rnd, ctx,
                             identity, world.fault_rate, truth)  # fmt: skip
        plan = {d: v for d, v in plan.items() if d not in XML_DATASETS}
    for dataset, versions in plan.items():
        records = data.records(dataset)
        fmt = dataset_format(fac, dataset)
        # Faults only where a delivery is final, so the ground truth stays unambiguous.
        plan = FaultPlan(world.fault_rate, rnd, enabled=len(versions) == 1)
        original: list[OutFile] = []
        landed = []
        for v in versions:
            if v.kind == "duplicate":
                stamp, new = _stamp(versions[0].export_ts), _stamp(v.export_ts)
                files = [replace(f, name=f.name.replace(stamp, new, 1)) for f in original]
            else:
                version_records = records if v.kind == "original" else corrected(
                    dataset, records, rnd)  # fmt: skip
                files = export(fmt, dataset, version_records, fac, v.export_ts, plan, ctx, builder)
            if v.kind == "original":
                original = files
            if files:
                _write(folder, files)
                landed.append((v.export_ts, folder_rel, files))
            truth.stats[(fmt, "files")] += len(files)
            truth.stats[(fmt, "records")] += len(records) if files else 0
        if landed:
            group_truth(truth, (fac.code, dataset, day.isoformat()), landed)
        first = versions[0].export_ts
        delivered = bool(original)
        on_time = delivered and first <= sla(day)
        truth.deliveries.append((
            fac.code, dataset, day.isoformat(), len(records), len(records) if delivered else 0,
            _stamp(first) if delivered else "", int(on_time),
            "late" if delivered and not on_time else "",
        ))  # fmt: skip
