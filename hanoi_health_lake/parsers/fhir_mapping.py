"""FHIR R4 resources → canonical record fields (records.py), one function per counted type.

Identifiers are taken by system (formats/fhir_conventions.py) and, lacking those, from what any
valid resource carries (resource id, first identifier, names), so that any R4 input maps to
whatever fields it has; missing required fields are for the contracts to quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hanoi_health_lake.formats import fhir_conventions as fc
from hanoi_health_lake.parsers import rejection as r
from hanoi_health_lake.parsers import values
from hanoi_health_lake.parsers.fhir_refs import (
    Resource,
    ResourceIndex,
    code,
    coded_values,
    codings,
    concept_text,
    dicts,
    first_identifier,
    identifier,
    local_key,
    logical_identifier,
    reference_id,
    text,
)
from hanoi_health_lake.records import (
    DATASET_FIELDS,
    LANDING_FOLDER,
    PERSON_FIELDS,
    RECORD_ID_FIELD,
    RecordError,
)
from hanoi_health_lake.reference.icd10 import normalise

# The resource type that is one counted record of each dataset (docs/landing-formats.md §2).
COUNTED_TYPE = {
    "encounters": "Encounter",
    "prescriptions": "MedicationRequest",
    "referrals": "ServiceRequest",
    "appointments": "Appointment",
    "imaging_studies": "ImagingStudy",
}
# SNOMED "patient referral" and "patient referral to specialist".
REFERRAL_CATEGORIES = frozenset({fc.SNOMED_PATIENT_REFERRAL, "103696004"})
# The element a mapper reads facility_code from (when it is there): verdicts name it.
_FACILITY_ELEMENT = {
    "encounters": "Encounter.serviceProvider",
    "prescriptions": "MedicationRequest.encounter → Encounter.serviceProvider",
    "referrals": "ServiceRequest.requester",
    "appointments": "Appointment.participant.actor (Organization)",
    "imaging_studies": "ImagingStudy.encounter → Encounter.serviceProvider",
}
_GENDERS = frozenset({"male", "female", "other", "unknown"})
TRANSPORT_LABELS = frozenset({"phương tiện vận chuyển", "transport"})


@dataclass
class Context:
    """What mapping one resource needs: the delivery's index and a place for value errors."""

    index: ResourceIndex
    facility_code: str  # from the landing path: who delivered the file
    errors: list[RecordError] = field(default_factory=list)
    facility_source: str | None = None  # the element facility_code was read from

    def _parsed(self, parse: Any, value: Any, fld: str, element: str) -> Any:
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.errors.append(RecordError(r.DATE_FORMAT, fld, f"{element}: {exc}"))
            return None

    def when(self, value: Any, fld: str, element: str) -> datetime | None:
        return self._parsed(values.fhir_datetime, value, fld, element)

    def day(self, value: Any, fld: str, element: str) -> date | None:
        return self._parsed(values.fhir_date, value, fld, element)

    def number(self, value: Any, fld: str, element: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        self.errors.append(RecordError(r.NUMBER_FORMAT, fld, f"{element}: {value!r} not a number"))
        return None


def is_referral(service_request: Resource) -> bool:
    """A ServiceRequest counts as a referral letter unless its category says it is something else.

    The HL7 examples include lab and imaging orders; a vendor that omits the category entirely
    still delivered it in a referrals file, so it is counted (and checked) rather than hidden.
    """
    categories = dicts(service_request.get("category"))
    if not categories:
        return True
    for concept in categories:
        if any(c.get("code") in REFERRAL_CATEGORIES for c in codings(concept)):
            return True
        label = (concept_text(concept) or "").lower()
        if "referral" in label or "chuyển tuyến" in label:
            return True
    return False


def map_resource(resource: Resource, dataset: str, ctx: Context, full_url: str | None) -> dict:
    fields: dict[str, Any] = dict.fromkeys(PERSON_FIELDS + DATASET_FIELDS[dataset])
    for list_field in ("secondary_icd10", "followup_dates"):
        if list_field in fields:
            fields[list_field] = []
    _MAPPERS[dataset](resource, ctx, fields, full_url)
    id_field = RECORD_ID_FIELD[dataset]
    if fields[id_field] is None and full_url:
        fields[id_field] = full_url  # a Bundle entry with neither identifier nor id
    if fields.get("facility_code"):
        ctx.facility_source = _FACILITY_ELEMENT[dataset]
    else:
        fields["facility_code"], ctx.facility_source = ctx.facility_code, LANDING_FOLDER
    return fields


# --- shared pieces ---


def _is_icd10(system: Any) -> bool:
    s = system.lower() if isinstance(system, str) else ""
    return s == fc.CS_ICD10 or (("icd-10" in s or "icd10" in s) and "pcs" not in s)


def icd_codes(concept: Any) -> list[str]:
    return [
        c
        for c in (
            normalise(text(x.get("code"))) for x in codings(concept) if _is_icd10(x.get("system"))
        )
        if c
    ]


def _condition_icd(condition: Resource | None) -> str | None:
    codes = icd_codes((condition or {}).get("code"))
    return codes[0] if codes else None


def _set_diagnoses(fields: dict, codes: list[str | None]) -> None:
    """The first diagnosis is the primary one even when it lacks an ICD-10 code: promoting the
    next would hide a missing primary diagnosis."""
    if not codes:
        return
    fields["primary_icd10"] = codes[0]
    if "secondary_icd10" in fields:
        rest = (c for c in codes[1:] if c and c != codes[0])
        fields["secondary_icd10"] = list(dict.fromkeys(rest))


def _reason_codes(resource: Resource, ctx: Context) -> list[str]:
    codes = [c for concept in dicts(resource.get("reasonCode")) for c in icd_codes(concept)]
    for ref in dicts(resource.get("reasonReference")):
        codes.append(_condition_icd(ctx.index.resolve(ref, resource)))
    return [c for c in codes if c]


# What a logical reference (identifier only, no type) points at, judged by its system.
_SYSTEM_TYPE = {
    fc.SID_CITIZEN_ID: "Patient",
    fc.SID_PATIENT_LOCAL: "Patient",
    fc.SID_INSURANCE: "Patient",
    fc.SID_FACILITY: "Organization",
    fc.SID_PRACTITIONER: "Practitioner",
    fc.SID_EPISODE: "Encounter",
}


def _target_type(ref: Any, resolved: Resource | None) -> str | None:
    if resolved is not None:
        return resolved.get("resourceType")
    if isinstance(ref, dict):
        if isinstance(ref.get("type"), str):
            return ref["type"]
        if isinstance(ref.get("reference"), str) and (key := local_key(ref["reference"])):
            return key.split("/")[0]
        ident = ref.get("identifier")
        if isinstance(ident, dict):
            return _SYSTEM_TYPE.get(ident.get("system"))
    return None


def _facility(ref: Any, ctx: Context, container: Resource) -> str | None:
    org = ctx.index.resolve(ref, container)
    if org is not None and org.get("resourceType") == "Organization":
        return identifier(org, fc.SID_FACILITY) or first_identifier(org) or text(org.get("name"))
    return logical_identifier(ref, fc.SID_FACILITY)


def _person_id(ref: Any, ctx: Context, container: Resource, system: str) -> str | None:
    target = ctx.index.resolve(ref, container)
    if target is not None:
        return identifier(target, system) or first_identifier(target) or text(target.get("id"))
    return logical_identifier(ref) or reference_id(ref)


def _encounter(ref: Any, ctx: Context, container: Resource) -> tuple[str | None, Resource | None]:
    enc = ctx.index.resolve(ref, container)
    if enc is not None and enc.get("resourceType") == "Encounter":
        return identifier(enc, fc.SID_EPISODE) or text(enc.get("id")), enc
    return logical_identifier(ref, fc.SID_EPISODE) or logical_identifier(ref) or reference_id(
        ref
    ), None


def _record_id(resource: Resource, system: str) -> str | None:
    return identifier(resource, system) or text(resource.get("id")) or first_identifier(resource)


def _period_fields(enc: Resource | None, ctx: Context, fields: dict) -> None:
    period = (enc or {}).get("period")
    if isinstance(period, dict):
        fields["admitted_at"] = ctx.when(period.get("start"), "admitted_at", "period.start")
        fields["discharged_at"] = ctx.when(period.get("end"), "discharged_at", "period.end")


def _human_name(names: Any) -> str | None:
    candidates = dicts(names)
    for use in ("official", "usual", None):
        for name in candidates:
            if use is not None and name.get("use") != use:
                continue
            if text(name.get("text")):
                return text(name["text"])
            # Vietnamese order: family name first, then the given names.
            parts = [text(name.get("family"))] + [text(g) for g in name.get("given") or []]
            joined = " ".join(p for p in parts if p)
            if joined:
                return joined
    return None


def _person(ref: Any, ctx: Context, container: Resource, fields: dict) -> None:
    patient = ctx.index.resolve(ref, container)
    if patient is None or patient.get("resourceType") != "Patient":
        fields["citizen_id"] = logical_identifier(ref, fc.SID_CITIZEN_ID)
        fields["patient_local_id"] = logical_identifier(ref, fc.SID_PATIENT_LOCAL) or reference_id(
            ref
        )
        return
    # Every drug line of a visit names the same Patient: it is read once per delivery.
    known = ctx.index.people.get(id(patient))
    if known is None or known[0] is not patient:
        reading = Context(index=ctx.index, facility_code=ctx.facility_code)
        known = (patient, _patient(patient, reading), reading.errors)
        ctx.index.people[id(patient)] = known
    _, person, errors = known
    fields.update(person)
    ctx.errors.extend(errors)


def _patient(patient: Resource, ctx: Context) -> dict[str, Any]:
    """The person fields a Patient resource gives (only those it sets)."""
    fields: dict[str, Any] = {}
    fields["citizen_id"] = identifier(patient, fc.SID_CITIZEN_ID)
    fields["insurance_number"] = identifier(patient, fc.SID_INSURANCE)
    fields["patient_local_id"] = identifier(patient, fc.SID_PATIENT_LOCAL) or next(
        (
            text(i.get("value"))
            for i in dicts(patient.get("identifier"))
            if i.get("system") not in (fc.SID_CITIZEN_ID, fc.SID_INSURANCE) and text(i.get("value"))
        ),
        text(patient.get("id")),
    )
    fields["full_name"] = _human_name(patient.get("name"))
    gender = patient.get("gender")
    fields["sex"] = gender if gender in _GENDERS else None
    birth = patient.get("birthDate")
    fields["birth_date"] = ctx.day(birth, "birth_date", "Patient.birthDate")
    if fields["birth_date"] is not None:
        fields["birth_year"] = fields["birth_date"].year
    phones = [t for t in dicts(patient.get("telecom")) if t.get("system") == "phone"]
    phones.sort(key=lambda t: t.get("rank") if isinstance(t.get("rank"), int) else 1 << 30)
    fields["phone"] = next((text(t.get("value")) for t in phones if text(t.get("value"))), None)
    addresses = dicts(patient.get("address"))
    if addresses:
        address = addresses[0]
        lines = [text(line) for line in address.get("line") or [] if text(line)]
        fields["address_line"] = ", ".join(lines) if lines else text(address.get("text"))
        for ext in dicts(address.get("extension")):
            if ext.get("url") == fc.EXT_WARD_CODE:
                fields["ward_code"] = text(ext.get("valueCode")) or text(ext.get("valueString"))
    return fields


# --- one mapper per counted resource type ---


def _map_encounter(enc: Resource, ctx: Context, fields: dict, full_url: str | None) -> None:
    fields["encounter_id"] = _record_id(enc, fc.SID_EPISODE)
    fields["facility_code"] = _facility(enc.get("serviceProvider"), ctx, enc)
    _person(enc.get("subject"), ctx, enc, fields)
    klass = code(enc.get("class"))
    if klass:
        fields["encounter_type"] = fc.ACT_CODE_TYPE.get(klass.upper(), klass.lower())
    _period_fields(enc, ctx, fields)
    ranked: list[tuple[int, int, str | None]] = []
    linked: list[Resource] = []
    for i, diag in enumerate(dicts(enc.get("diagnosis"))):
        cond = ctx.index.resolve(diag.get("condition"), enc)
        rank = diag.get("rank") if isinstance(diag.get("rank"), int) else 1 << 30
        ranked.append((rank, i, _condition_icd(cond)))
        if cond is not None:
            linked.append(cond)
    extra = [
        _condition_icd(c)
        for c in ctx.index.conditions_of(enc, full_url)
        if not any(c is seen for seen in linked)
    ]
    _set_diagnoses(fields, [c for _, _, c in sorted(ranked)] + extra)
    hosp = enc.get("hospitalization") if isinstance(enc.get("hospitalization"), dict) else {}
    fields["referred_from"] = _facility(hosp.get("origin"), ctx, enc)
    fields["referred_to"] = _facility(hosp.get("destination"), ctx, enc)
    coded = coded_values(enc)
    fields["discharge_type"] = coded.get(fc.CS_DISCHARGE_TYPE)
    fields["treatment_result"] = coded.get(fc.CS_TREATMENT_RESULT)


def _map_medication_request(req: Resource, ctx: Context, fields: dict, _: str | None) -> None:
    line_id = _record_id(req, fc.SID_PRESCRIPTION_LINE)
    fields["line_id"] = line_id
    suffix = line_id.rsplit("-", 1)[-1] if line_id and "-" in line_id else ""
    fields["line_no"] = int(suffix) if suffix.isascii() and suffix.isdigit() else None
    group = req.get("groupIdentifier")
    fields["prescription_code"] = text(group.get("value")) if isinstance(group, dict) else None
    fields["encounter_id"], enc = _encounter(req.get("encounter"), ctx, req)
    if enc is not None:
        fields["facility_code"] = _facility(enc.get("serviceProvider"), ctx, enc)
    _person(req.get("subject"), ctx, req, fields)
    concept = req.get("medicationCodeableConcept")
    medication = None
    if not isinstance(concept, dict):
        medication = ctx.index.resolve(req.get("medicationReference"), req)
        concept = (medication or {}).get("code")
    # Lacking our drug-code system, any other coding will do, but never the ATC code: that is
    # a different field, and taking it would hide a missing drug code.
    fields["drug_code"] = code(concept, fc.SID_DRUG) or next(
        (text(c.get("code")) for c in codings(concept) if c.get("system") != fc.CS_ATC), None
    )
    fields["atc_code"] = code(concept, fc.CS_ATC)
    ref = req.get("medicationReference")
    fields["drug_name"] = concept_text(concept) or (
        text(ref.get("display")) if isinstance(ref, dict) else None
    )
    for ingredient in dicts((medication or {}).get("ingredient")):
        numerator = (ingredient.get("strength") or {}).get("numerator")
        if isinstance(numerator, dict) and numerator.get("value") is not None:
            unit = text(numerator.get("unit")) or text(numerator.get("code")) or ""
            fields["strength"] = f"{numerator['value']} {unit}".strip()
            break
    dosage = next(iter(dicts(req.get("dosageInstruction"))), {})
    route = dosage.get("route")
    fields["route"] = code(route, fc.CS_ROUTE) or concept_text(route) or code(route)
    fields["dosage"] = text(dosage.get("text"))
    dispense = req.get("dispenseRequest") if isinstance(req.get("dispenseRequest"), dict) else {}
    quantity = dispense.get("quantity") if isinstance(dispense.get("quantity"), dict) else {}
    fields["quantity"] = ctx.number(
        quantity.get("value"), "quantity", "dispenseRequest.quantity.value"
    )
    fields["unit"] = text(quantity.get("unit")) or text(quantity.get("code"))
    fields["doctor_id"] = _person_id(req.get("requester"), ctx, req, fc.SID_PRACTITIONER)
    fields["ordered_at"] = ctx.when(req.get("authoredOn"), "ordered_at", "authoredOn")


def _map_service_request(req: Resource, ctx: Context, fields: dict, _: str | None) -> None:
    fields["referral_id"] = _record_id(req, fc.SID_REFERRAL)
    fields["encounter_id"], enc = _encounter(req.get("encounter"), ctx, req)
    _period_fields(enc, ctx, fields)
    _person(req.get("subject"), ctx, req, fields)
    # Lacking a requester, facility_code stays empty here and map_resource takes the folder's.
    fields["facility_code"] = _facility(req.get("requester"), ctx, req)
    fields["from_facility_code"] = fields["facility_code"] or ctx.facility_code
    performers = dicts(req.get("performer"))
    fields["to_facility_code"] = _facility(performers[0], ctx, req) if performers else None
    authored = ctx.when(req.get("authoredOn"), "discharged_at", "authoredOn")
    fields["discharged_at"] = authored or fields["discharged_at"]
    _set_diagnoses(fields, _reason_codes(req, ctx))
    coded = coded_values(req)
    fields["discharge_type"] = coded.get(fc.CS_DISCHARGE_TYPE)
    fields["referral_reason"] = coded.get(fc.CS_REFERRAL_REASON)
    fields["doctor_id"] = coded.get(fc.SID_PRACTITIONER)
    # R4 has no element for the transport (PHUONGTIEN_VC); vendors write it as a labelled note.
    for note in dicts(req.get("note")):
        label, _, value = (text(note.get("text")) or "").partition(":")
        if label.strip().lower() in TRANSPORT_LABELS and value.strip():
            fields["transport"] = value.strip()


def _map_appointment(appt: Resource, ctx: Context, fields: dict, _: str | None) -> None:
    fields["appointment_id"] = _record_id(appt, fc.SID_APPOINTMENT)
    fields["appointment_at"] = ctx.when(appt.get("start"), "appointment_at", "start")
    created = ctx.when(appt.get("created"), "issued_date", "created")
    fields["issued_date"] = created.date() if created else None
    for participant in dicts(appt.get("participant")):
        actor = participant.get("actor")
        kind = _target_type(actor, ctx.index.resolve(actor, appt))
        if kind == "Patient" and fields["citizen_id"] is None and fields["full_name"] is None:
            _person(actor, ctx, appt, fields)
        elif kind == "Organization" and fields["facility_code"] is None:
            fields["facility_code"] = _facility(actor, ctx, appt)
        elif kind == "Practitioner" and fields["doctor_id"] is None:
            fields["doctor_id"] = _person_id(actor, ctx, appt, fc.SID_PRACTITIONER)
    for info in dicts(appt.get("supportingInformation")):
        if _target_type(info, ctx.index.resolve(info, appt)) == "Encounter":
            fields["encounter_id"], enc = _encounter(info, ctx, appt)
            _period_fields(enc, ctx, fields)
            break
    _set_diagnoses(fields, _reason_codes(appt, ctx))


def _uid(value: str | None) -> str | None:
    return value[8:] if value and value.startswith("urn:oid:") else value


def _map_imaging_study(study: Resource, ctx: Context, fields: dict, _: str | None) -> None:
    fields["study_uid"] = _uid(identifier(study, "urn:dicom:uid")) or text(study.get("id"))
    for ident in dicts(study.get("identifier")):
        if code(ident.get("type")) == "ACSN" and text(ident.get("value")):
            fields["accession_number"] = text(ident["value"])
    _person(study.get("subject"), ctx, study, fields)
    _, enc = _encounter(study.get("encounter"), ctx, study)
    if enc is not None:
        fields["facility_code"] = _facility(enc.get("serviceProvider"), ctx, enc)
    series = dicts(study.get("series"))
    modalities = [code(m) for m in dicts(study.get("modality"))] + [
        code(s.get("modality")) for s in series
    ]
    fields["modality"] = next((m for m in modalities if m), None)
    fields["study_at"] = ctx.when(study.get("started"), "study_at", "started")
    body_sites = [s.get("bodySite") for s in series if isinstance(s.get("bodySite"), dict)]
    fields["body_part"] = next(
        (concept_text(b) or code(b) for b in body_sites if concept_text(b) or code(b)), None
    )
    procedures = dicts(study.get("procedureCode"))
    fields["description"] = (
        text(study.get("description"))
        or (concept_text(procedures[0]) if procedures else None)
        or next((text(s.get("description")) for s in series if text(s.get("description"))), None)
    )
    count = study.get("numberOfInstances")
    if not isinstance(count, int):
        counts = [s.get("numberOfInstances") for s in series]
        count = sum(counts) if counts and all(isinstance(c, int) for c in counts) else None
    fields["number_of_instances"] = count
    instances = [i for s in series for i in dicts(s.get("instance"))]
    fields["sop_class_uid"] = next(
        (_uid(code(i.get("sopClass"))) for i in instances if code(i.get("sopClass"))), None
    )


_MAPPERS = {
    "encounters": _map_encounter,
    "prescriptions": _map_medication_request,
    "referrals": _map_service_request,
    "appointments": _map_appointment,
    "imaging_studies": _map_imaging_study,
}
