"""FHIR R4 resources for the simulator's records, as plain dicts (json.dumps is the fast path).

Identifier systems and codings follow formats/fhir_conventions.py and docs/landing-formats.md §4.
Resource ids are UUIDs fixed by (seed, facility, resource type, record id), so a Patient keeps its
id across days and the NDJSON Encounter file and a later MedicationRequest file agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from hanoi_health_lake.formats import fhir_conventions as fc
from hanoi_health_lake.reference.drugs import ROUTE_NAMES_VI
from hanoi_health_lake.simulator.care_records import (
    Appointment,
    DrugLine,
    Episode,
    Referral,
)
from hanoi_health_lake.simulator.population import Person
from hanoi_health_lake.simulator.rand import UuidMaker
from hanoi_health_lake.simulator.registry import Facility
from hanoi_health_lake.simulator.timefmt import fhir_time

_CLASS = {
    "outpatient": ("AMB", "ambulatory"),
    "inpatient": ("IMP", "inpatient encounter"),
    "day_inpatient": ("SS", "short stay"),
    "emergency": ("EMER", "emergency"),
}
_CONDITION_CATEGORY = {
    "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
        "code": "encounter-diagnosis",
    }]
}  # fmt: skip
_CONDITION_CLINICAL = {
    "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active",
    }]
}  # fmt: skip
_REFERRAL_CATEGORY = {
    "coding": [{"system": fc.CS_SNOMED, "code": fc.SNOMED_PATIENT_REFERRAL,
                "display": "Patient referral"}]
}  # fmt: skip


@dataclass
class Unit:
    """One counted record as FHIR: its resource, the Patient it points to, its Conditions."""

    record_id: str
    resource: dict
    patient: dict | None = None
    conditions: list[dict] = field(default_factory=list)


def _ident(system: str, value: str) -> dict:
    return {"system": system, "value": value}


def _icd_concept(code: str, text: str) -> dict:
    return {"coding": [{"system": fc.CS_ICD10, "code": code}], "text": text}


class Builder:
    """Builds one facility-day's resources. Pieces that repeat (a person's Patient, a drug's
    coding, a reference to an encounter) are built once and shared between resources; fault
    writers therefore replace such objects and never edit them in place."""

    def __init__(self, seed: int, fac: Facility, bundle: bool):
        self.fac = fac
        self.bundle = bundle
        self.provider = {"identifier": _ident(fc.SID_FACILITY, fac.code), "display": fac.name}
        self._patients: dict[int, dict] = {}
        self._uuids = UuidMaker(seed, fac.code)
        self._encounter_refs: dict[str, dict] = {}
        self._drug_parts: dict[tuple[str, str], tuple[dict, list, dict]] = {}
        self._requesters: dict[str, dict] = {}

    def rid(self, rtype: str, key: str) -> str:
        return self._uuids.make(f"{rtype}\x1f{key}")

    def _head(self, rtype: str, record_id: str, system: str) -> dict:
        """resourceType, id and the identifier that carries the record id."""
        return {
            "resourceType": rtype,
            "id": self.rid(rtype, record_id),
            "identifier": [_ident(system, record_id)],
        }

    def ref(self, rtype: str, rid: str) -> str:
        return f"urn:uuid:{rid}" if self.bundle else f"{rtype}/{rid}"

    def time(self, dt) -> str:
        return fhir_time(dt, self.fac.fhir_utc)

    def patient(self, e: Episode) -> dict:
        p = e.person
        if p.index not in self._patients:
            self._patients[p.index] = self._patient(p, e.patient_no)
        return self._patients[p.index]

    def shared_patients(self) -> list[dict]:
        return list(self._patients.values())

    def _patient(self, p: Person, patient_no: str) -> dict:
        identifiers = [_ident(fc.SID_CITIZEN_ID, p.citizen_id)]
        if p.insurance:
            identifiers.append(_ident(fc.SID_INSURANCE, p.insurance))
        identifiers.append(_ident(fc.SID_PATIENT_LOCAL, patient_no))
        res = {
            "resourceType": "Patient",
            "id": self.rid("Patient", str(p.index)),
            "identifier": identifiers,
            "name": [
                {
                    "use": "official",
                    "text": p.full_name,
                    "family": p.family,
                    "given": [p.middle, p.given],
                }
            ],
            "gender": p.sex,
            "birthDate": p.birth_date.isoformat() if p.birth_day_known else str(p.birth_date.year),
            "address": [
                {
                    "use": "home",
                    "extension": [{"url": fc.EXT_WARD_CODE, "valueCode": p.ward.code}],
                    "line": [p.address_line],
                    "text": f"{p.address_line}, {p.ward.name}, Thành phố Hà Nội",
                    "city": "Hà Nội",
                    "country": "VN",
                }
            ],
        }
        if p.phone:
            res["telecom"] = [{"system": "phone", "value": p.phone, "use": "mobile"}]
        return res

    def _subject(self, patient: dict, citizen_id: str) -> dict:
        return {
            "reference": self.ref("Patient", patient["id"]),
            "identifier": _ident(fc.SID_CITIZEN_ID, citizen_id),
        }

    def _encounter_ref(self, e: Episode) -> dict:
        ref = self._encounter_refs.get(e.ma_lk)
        if ref is None:
            ref = {"type": "Encounter", "identifier": _ident(fc.SID_EPISODE, e.ma_lk)}
            if not self.bundle:  # in a Bundle the Encounter is no entry: only the identifier
                ref["reference"] = f"Encounter/{self.rid('Encounter', e.ma_lk)}"
            self._encounter_refs[e.ma_lk] = ref
        return ref

    def _drug(self, use, route: str) -> tuple[dict, list, dict]:
        """(coded concept, contained Medication list, route concept) of a drug."""
        key = (use.drug.drug_code, route)
        if key not in self._drug_parts:
            concept = {
                "coding": [
                    {"system": fc.SID_DRUG, "code": use.drug.drug_code},
                    {"system": fc.CS_ATC, "code": use.drug.atc_code},
                ],
                "text": f"{use.drug.generic_name} {use.strength}",
            }
            contained = [{"resourceType": "Medication", "id": "med", "code": concept}]
            label = ROUTE_NAMES_VI[route]
            route_concept = {
                "coding": [{"system": fc.CS_ROUTE, "code": route, "display": label}],
                "text": label,
            }
            self._drug_parts[key] = (concept, contained, route_concept)
        return self._drug_parts[key]

    def _requester(self, doctor: str) -> dict:
        if doctor not in self._requesters:
            self._requesters[doctor] = {"identifier": _ident(fc.SID_PRACTITIONER, doctor)}
        return self._requesters[doctor]

    def encounter(self, e: Episode) -> Unit:
        patient = self.patient(e)
        enc_id = self.rid("Encounter", e.ma_lk)
        code, display = _CLASS[e.setting]
        conditions = []
        diagnosis = []
        for rank, icd in enumerate((e.primary.code, *e.secondary), start=1):
            cond_id = self.rid("Condition", f"{e.ma_lk}/{rank}")
            text = e.primary.name_vi if rank == 1 else icd
            conditions.append({
                "resourceType": "Condition",
                "id": cond_id,
                "clinicalStatus": _CONDITION_CLINICAL,
                "category": [_CONDITION_CATEGORY],
                "code": _icd_concept(icd, text),
                "subject": {"reference": self.ref("Patient", patient["id"])},
                "encounter": {"reference": self.ref("Encounter", enc_id)},
            })  # fmt: skip
            diagnosis.append(
                {"condition": {"reference": self.ref("Condition", cond_id)}, "rank": rank}
            )
        hospitalization: dict = {
            "dischargeDisposition": {
                "coding": [{"system": fc.CS_DISCHARGE_TYPE, "code": e.discharge_type}]
            }
        }
        if e.referred_from:
            hospitalization["origin"] = {"identifier": _ident(fc.SID_FACILITY, e.referred_from)}
        if e.referred_to:
            hospitalization["destination"] = {"identifier": _ident(fc.SID_FACILITY, e.referred_to)}
        resource = {
            **self._head("Encounter", e.ma_lk, fc.SID_EPISODE),
            "status": "finished",
            "class": {"system": fc.CS_ACT_CODE, "code": code, "display": display},
            "subject": {"reference": self.ref("Patient", patient["id"])},
            "period": {"start": self.time(e.admitted), "end": self.time(e.discharged)},
            "diagnosis": diagnosis,
            "hospitalization": hospitalization,
            "serviceProvider": dict(self.provider),
        }
        return Unit(e.ma_lk, resource, patient, conditions)

    def medication_request(self, d: DrugLine, contained: bool) -> Unit:
        e = d.episode
        patient = self.patient(e)
        use = d.line.use
        concept, medication, route = self._drug(use, d.line.route)
        quantity = d.line.quantity
        resource = {
            **self._head("MedicationRequest", d.record_id, fc.SID_PRESCRIPTION_LINE),
            "groupIdentifier": _ident(fc.SID_EPRESCRIPTION, d.prescription_code),
            "status": "active",
            "intent": "order",
            "subject": self._subject(patient, e.person.citizen_id),
            "encounter": self._encounter_ref(e),
            "authoredOn": self.time(d.ordered_at),
            "requester": self._requester(e.doctor),
            "dosageInstruction": [{"sequence": 1, "text": d.line.dosage, "route": route}],
            "dispenseRequest": {"quantity": {
                "value": int(quantity) if quantity == int(quantity) else quantity,
                "unit": use.unit,
            }},
        }  # fmt: skip
        if contained:
            resource["contained"] = medication
            resource["medicationReference"] = {"reference": "#med"}
        else:
            resource["medicationCodeableConcept"] = concept
        return Unit(d.record_id, resource, patient)

    def service_request(self, r: Referral) -> Unit:
        e = r.episode
        patient = self.patient(e)
        resource = {
            **self._head("ServiceRequest", r.number, fc.SID_REFERRAL),
            "status": "active",
            "intent": "order",
            "category": [_REFERRAL_CATEGORY],
            "subject": self._subject(patient, e.person.citizen_id),
            "encounter": self._encounter_ref(e),
            "authoredOn": self.time(e.discharged),
            "requester": {"identifier": _ident(fc.SID_FACILITY, self.fac.code)},
            "performer": [{"identifier": _ident(fc.SID_FACILITY, r.to_code)}],
            "reasonCode": [
                _icd_concept(e.primary.code, e.primary.name_vi),
                {"coding": [{"system": fc.CS_REFERRAL_REASON, "code": r.reason}]},
            ],
            "note": [{"text": f"Phương tiện vận chuyển: {r.transport}"}],
        }
        return Unit(r.number, resource, patient)

    def appointment(self, a: Appointment) -> Unit:
        e = a.episode
        patient = self.patient(e)
        resource = {
            **self._head("Appointment", a.number, fc.SID_APPOINTMENT),
            "status": "booked",
            "description": "Giấy hẹn khám lại",
            "reasonCode": [_icd_concept(e.primary.code, e.primary.name_vi)],
            "start": self.time(a.at),
            "end": self.time(a.at + timedelta(minutes=30)),
            "created": a.issued.isoformat(),
            "supportingInformation": [self._encounter_ref(e)],
            "participant": [
                {"actor": self._subject(patient, e.person.citizen_id), "status": "accepted"},
                {"actor": dict(self.provider), "status": "accepted"},
                {"actor": self._requester(e.doctor), "status": "accepted"},
            ],
        }  # fmt: skip
        return Unit(a.number, resource, patient)
