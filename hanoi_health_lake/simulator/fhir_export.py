"""FHIR R4 exports: one Bundle per dataset file, or bulk NDJSON with one resource type per file.

Bundle: the dataset's resources and the Patients they reference (fullUrl urn:uuid), of the
facility's bundle type; `record_no` is the 1-based entry index. NDJSON: encounters come as
Patient, Encounter and Condition files; the other datasets as one file of their resource type;
`record_no` is the line. A day without records sends an empty Bundle, or no NDJSON file at all.
"""

from __future__ import annotations

from hanoi_health_lake.simulator.fault_values import FaultContext
from hanoi_health_lake.simulator.faults_fhir import apply_record_fault
from hanoi_health_lake.simulator.fhir_resources import Builder, Unit
from hanoi_health_lake.simulator.files import OutFile, RecordSlot, damage, dumps, file_name

RESOURCE_TYPE = {
    "encounters": "Encounter",
    "prescriptions": "MedicationRequest",
    "referrals": "ServiceRequest",
    "appointments": "Appointment",
}


def _units(builder: Builder, dataset: str, records: list, ndjson: bool) -> list[Unit]:
    if dataset == "encounters":
        return [builder.encounter(r) for r in records]
    if dataset == "prescriptions":
        return [builder.medication_request(r, contained=ndjson) for r in records]
    if dataset == "referrals":
        return [builder.service_request(r) for r in records]
    return [builder.appointment(r) for r in records]


def _slot(record_no: int, locator: str, unit: Unit, fault: str | None) -> RecordSlot:
    return RecordSlot(record_no, locator, unit.resource["identifier"][0]["value"], fault)


def export_fhir(
    dataset: str, records: list, builder: Builder, export_ts, plan, ctx: FaultContext
) -> list[OutFile]:
    """The files of one FHIR delivery; `builder` is shared by a facility-day's datasets."""
    ndjson = not builder.bundle
    fmt = "fhir_ndjson" if ndjson else "fhir_json"
    units = _units(builder, dataset, records, ndjson)
    if ndjson and not units:
        return []
    file_fault = plan.file_fault(fmt)
    faults = {} if file_fault else plan.record_faults(fmt, dataset, len(units))
    for i, kind in faults.items():
        apply_record_fault(kind, dataset, units, i, plan.partners.get(i), records[i], builder, ctx)
    if ndjson:
        files = _ndjson(dataset, units, builder, export_ts, faults)
    else:
        files = [_bundle(dataset, units, builder, export_ts, faults)]
    if file_fault:
        # Only the file holding the counted records is damaged; Patient and Condition files
        # beside it stay readable, as they would when one upload of several fails.
        files = [damage(f, file_fault, ctx.rnd) if f.counted else f for f in files]
    return files


def _bundle(dataset, units, builder: Builder, export_ts, faults) -> OutFile:
    transaction = builder.fac.bundle_type == "transaction"
    entries: list[dict] = []
    slots = []
    emitted: set[str] = set()

    def add(resource: dict) -> int:
        entry = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        if transaction:
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
        entries.append(entry)
        return len(entries)

    for i, unit in enumerate(units):
        if unit.patient and unit.patient["id"] not in emitted:
            emitted.add(unit.patient["id"])
            add(unit.patient)
        res = unit.resource
        k = add(res)
        slots.append(_slot(k, f"entry {k} ({res['resourceType']}/{res['id']})", unit,
                           faults.get(i)))  # fmt: skip
        for condition in unit.conditions:
            add(condition)
    bundle = {
        "resourceType": "Bundle",
        "id": builder.rid("Bundle", f"{dataset}/{export_ts.isoformat()}"),
        "type": builder.fac.bundle_type,
        "timestamp": builder.time(export_ts),
    }
    if entries:
        bundle["entry"] = entries
    data = dumps(bundle).encode("utf-8")
    return OutFile(file_name(dataset, export_ts, "json"), data, "fhir_json", slots)


def _ndjson(dataset, units, builder: Builder, export_ts, faults) -> list[OutFile]:
    rtype = RESOURCE_TYPE[dataset]
    lines = []
    slots = []
    for i, unit in enumerate(units):
        line = dumps(unit.resource)
        if faults.get(i) == "malformed_record":
            line = line[: len(line) // 2]
        lines.append(line)
        slots.append(_slot(i + 1, f"line {i + 1}", unit, faults.get(i)))
    files = [
        OutFile(
            file_name(dataset, export_ts, "ndjson", rtype),
            _join(lines),
            "fhir_ndjson",
            slots,
        )
    ]
    if dataset == "encounters":
        # Every person's shared Patient goes out, even when their only record got its own
        # Patient: the day's MedicationRequests point at the shared one.
        patients = {p["id"]: p for p in builder.shared_patients()}
        for unit in units:
            patients.setdefault(unit.patient["id"], unit.patient)
        conditions = [c for unit in units for c in unit.conditions]
        files.insert(0, _aux(dataset, export_ts, "Patient", list(patients.values())))
        files.append(_aux(dataset, export_ts, "Condition", conditions))
    return files


def _aux(dataset: str, export_ts, rtype: str, resources: list[dict]) -> OutFile:
    data = _join([dumps(r) for r in resources])
    return OutFile(file_name(dataset, export_ts, "ndjson", rtype), data, "fhir_ndjson",
                   counted=False)  # fmt: skip


def _join(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
