"""Record-level faults in FHIR deliveries, put into the counted resource or its own Patient.

A fault that lives on the Patient (birth date, sex, citizen id) first gives the record a Patient
of its own, so other records of the same person in the file stay clean. Nested objects may be
shared between resources, so every change replaces an object rather than editing it in place.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from hanoi_health_lake.formats import fhir_conventions as fc
from hanoi_health_lake.simulator.fault_values import (
    FaultContext,
    citizen_id_for,
    fhir_bad_time,
    later_birth_date,
    mismatched_citizen_id,
)
from hanoi_health_lake.simulator.fhir_resources import Builder, Unit

# Canonical field (records.REQUIRED_FIELDS) → how to take it out of the FHIR record. Record ids
# are left alone (the fault is found by them); facility_code and patient_local_id are too, as a
# parser falls back on the folder and the Patient id for them.
_REMOVABLE = {
    "encounters": ("admitted_at", "discharged_at", "birth_date", "sex", "citizen_id",
                   "primary_icd10"),
    "prescriptions": ("quantity", "ordered_at", "encounter_id", "drug_code", "drug_name"),
    "referrals": ("to_facility_code", "primary_icd10", "encounter_id"),
    "appointments": ("appointment_at", "issued_date", "encounter_id"),
}  # fmt: skip
_TIME_ELEMENTS = {
    "encounters": (("period", "start"), ("period", "end")),
    "prescriptions": ((None, "authoredOn"),),
    "appointments": ((None, "start"), (None, "created")),
}


def own_patient(unit: Unit, builder: Builder) -> dict:
    """Give the unit a Patient copy with its own id and point the record at it."""
    patient = copy.deepcopy(unit.patient)
    assert patient is not None
    patient["id"] = builder.rid("Patient", f"own/{unit.record_id}")
    ref = builder.ref("Patient", patient["id"])
    res = unit.resource
    res["subject"] = {**res["subject"], "reference": ref}
    unit.conditions = [{**c, "subject": {"reference": ref}} for c in unit.conditions]
    unit.patient = patient
    return patient


def _identifier_value(patient: dict, system: str) -> str:
    return next(i["value"] for i in patient["identifier"] if i["system"] == system)


def _set_identifier(patient: dict, system: str, value: str | None) -> None:
    others = [i for i in patient["identifier"] if i["system"] != system]
    patient["identifier"] = ([{"system": system, "value": value}] if value else []) + others


def _set_primary_code(unit: Unit, dataset: str, code: str | None) -> None:
    if dataset == "encounters":
        primary = unit.conditions[0]
        unit.conditions[0] = {k: v for k, v in primary.items() if k != "code"}
        if code:
            unit.conditions[0]["code"] = {"coding": [{"system": fc.CS_ICD10, "code": code}]}
        return
    reasons = unit.resource["reasonCode"][1:]
    if code:
        reasons = [{"coding": [{"system": fc.CS_ICD10, "code": code}]}, *reasons]
    unit.resource["reasonCode"] = reasons


def apply_record_fault(
    kind: str,
    dataset: str,
    units: list[Unit],
    i: int,
    partner: int | None,
    record,
    builder: Builder,
    ctx: FaultContext,
) -> None:
    unit = units[i]
    res = unit.resource
    rnd = ctx.rnd
    if kind == "bad_date_format":
        parent, key = rnd.choice(_TIME_ELEMENTS[dataset])
        if parent:
            res[parent] = {**res[parent], key: fhir_bad_time(res[parent][key], rnd)}
        else:
            res[key] = fhir_bad_time(res[key], rnd)
    elif kind == "birth_after_visit":
        patient = own_patient(unit, builder)
        born = later_birth_date(record.admitted.date(), rnd)
        patient["birthDate"] = born.isoformat()
        cid = _identifier_value(patient, fc.SID_CITIZEN_ID)
        female = patient["gender"] == "female"
        _set_identifier(patient, fc.SID_CITIZEN_ID, citizen_id_for(cid, female, born.year))
    elif kind == "discharge_before_admission":
        admitted = record.discharged + timedelta(minutes=rnd.randint(10, 180))
        res["period"] = {**res["period"], "start": builder.time(admitted)}
    elif kind == "invalid_icd10":
        _set_primary_code(unit, dataset, ctx.invalid_icd10())
    elif kind == "citizen_id_mismatch":
        patient = own_patient(unit, builder)
        cid = _identifier_value(patient, fc.SID_CITIZEN_ID)
        _set_identifier(patient, fc.SID_CITIZEN_ID, mismatched_citizen_id(cid, rnd))
    elif kind == "duplicate_record_id":
        if partner is not None:
            res["identifier"] = [dict(units[partner].resource["identifier"][0])]
    elif kind == "negative_quantity":
        quantity = res["dispenseRequest"]["quantity"]
        value = -quantity["value"] if rnd.random() < 0.7 else 0
        res["dispenseRequest"] = {"quantity": {**quantity, "value": value}}
    elif kind == "unknown_facility_code":
        res["serviceProvider"] = {
            "identifier": {"system": fc.SID_FACILITY, "value": ctx.unregistered_code()}
        }
    elif kind == "unknown_referral_target":
        res["performer"] = [
            {"identifier": {"system": fc.SID_FACILITY, "value": ctx.unregistered_code()}}
        ]
    elif kind == "missing_required_field":
        _remove(rnd.choice(_REMOVABLE[dataset]), dataset, unit, builder)
    elif kind != "malformed_record":  # malformed_record breaks the serialised line instead
        raise ValueError(f"{kind} is not a FHIR record fault")


def _remove(field: str, dataset: str, unit: Unit, builder: Builder) -> None:
    res = unit.resource
    if field in ("admitted_at", "discharged_at"):
        key = "start" if field == "admitted_at" else "end"
        res["period"] = {k: v for k, v in res["period"].items() if k != key}
    elif field in ("birth_date", "sex"):
        patient = own_patient(unit, builder)
        del patient["birthDate" if field == "birth_date" else "gender"]
    elif field == "citizen_id":
        _set_identifier(own_patient(unit, builder), fc.SID_CITIZEN_ID, None)
    elif field == "primary_icd10":
        _set_primary_code(unit, dataset, None)
    elif field == "quantity":
        del res["dispenseRequest"]
    elif field == "ordered_at":
        del res["authoredOn"]
    elif field == "encounter_id":
        del res["supportingInformation" if dataset == "appointments" else "encounter"]
    elif field in ("drug_code", "drug_name"):
        holder = res["contained"][0] if "contained" in res else res
        key = "code" if "contained" in res else "medicationCodeableConcept"
        concept = holder[key]
        if field == "drug_code":
            coding = [c for c in concept["coding"] if c["system"] != fc.SID_DRUG]
            new = {**concept, "coding": coding}
        else:
            new = {k: v for k, v in concept.items() if k != "text"}
        if "contained" in res:
            res["contained"] = [{**holder, "code": new}]
        else:
            res[key] = new
    elif field == "to_facility_code":
        del res["performer"]
    elif field == "appointment_at":
        del res["start"], res["end"]
    elif field == "issued_date":
        del res["created"]
