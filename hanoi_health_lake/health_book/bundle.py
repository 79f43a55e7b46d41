"""One citizen's health-book document for one service day: a FHIR R4 Bundle of type `document`.

entry[0] is the Composition, entry[1] the Patient, then the organisations cited, then the
clinical resources in a fixed order. Every id is derived from the document id and the record's
own key, so the same inputs give the same bytes (docs/health-book.md). The version and issue
time are set last (`finish`), after the content hash that decides whether a version is new.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import orjson

from hanoi_health_lake.formats.fhir_conventions import (
    CS_ACT_CODE,
    CS_ATC,
    CS_DISCHARGE_TYPE,
    CS_ICD10,
    CS_ROUTE,
    CS_SNOMED,
    CS_TREATMENT_RESULT,
    EXT_WARD_CODE,
    SID_APPOINTMENT,
    SID_CITIZEN_ID,
    SID_DRUG,
    SID_EPISODE,
    SID_FACILITY,
    SID_INSURANCE,
    SID_PRESCRIPTION_LINE,
    SID_REFERRAL,
    SNOMED_PATIENT_REFERRAL,
)

SID_DOCUMENT = "urn:vn:hanoi:health-book:document"
SID_LAB_LINE = "urn:vn:moh:sid:dong-xml4"  # MA_LK + "-" + STT of a QĐ 130 XML4 line
CS_LOINC = "http://loinc.org"
CS_UCUM = "http://unitsofmeasure.org"
CS_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CS_CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CS_DICOM = "http://dicom.nema.org/resources/ontology/DCM"
CS_LAB_TEST = "urn:vn:moh:cs:ma-chi-so"
ENCOUNTER_DIAGNOSIS = {
    "system": CS_CONDITION_CATEGORY,
    "code": "encounter-diagnosis",
}  # MA_CHI_SO of QĐ 130 XML4
DEPARTMENT = ("SYT-HN", "Sở Y tế Hà Nội")  # the author of every document
ENTERED_IN_ERROR = "entered-in-error"
_CLASS = {
    "outpatient": ("AMB", "ambulatory"),
    "inpatient": ("IMP", "inpatient encounter"),
    "day_inpatient": ("SS", "short stay"),
    "emergency": ("EMER", "emergency"),
}
# Composition sections, in order: (key, LOINC code, title).
SECTIONS = (
    ("encounters", "46240-8", "Lượt khám chữa bệnh"),
    ("conditions", "11450-4", "Chẩn đoán"),
    ("medications", "10160-0", "Thuốc"),
    ("referrals", "57133-1", "Giấy chuyển tuyến"),
    ("appointments", "18776-5", "Hẹn khám lại"),
    ("imaging", "18748-4", "Chẩn đoán hình ảnh"),
    ("vital_signs", "8716-3", "Chỉ số sinh tồn"),
    ("results", "30954-2", "Kết quả cận lâm sàng"),
)


@dataclass
class DayRecords:
    """One citizen's accepted records of the day (silver rows as dicts), none withheld."""

    encounters: list[dict] = field(default_factory=list)
    diagnoses: list[dict] = field(default_factory=list)
    prescription_items: list[dict] = field(default_factory=list)
    referrals: list[dict] = field(default_factory=list)
    appointments: list[dict] = field(default_factory=list)
    imaging_studies: list[dict] = field(default_factory=list)
    lab_results: list[dict] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(vars(self).values())


def document_id(pseudonym_digest: str) -> str:
    """A UUID from a keyed hash of (patient_key, day): stable, and naming nobody."""
    return _uuid4(bytes.fromhex(pseudonym_digest))


def _uuid4(digest: bytes) -> str:
    """`str(uuid.UUID(bytes=digest[:16], version=4))` without the UUID object (hot path)."""
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _uuid(doc_id: str, kind: str, local: str) -> str:
    return "urn:uuid:" + _uuid4(hashlib.sha256(f"{doc_id}|{kind}|{local}".encode()).digest())


def _at(value: datetime | date | str | None) -> str | None:
    """ISO 8601 text; the feed hands over text already (formatted by Polars, feed._iso)."""
    if value is None or type(value) is str:
        return value
    return value.isoformat()


def _coding(system: str, code: str | None, display: str | None = None) -> dict:
    out = {"system": system}
    if code is not None and code != "":
        out["code"] = code
    if display:
        out["display"] = display
    return out


def _clean(value: dict) -> dict:
    """`value` without None, "" and empty lists and objects (FHIR forbids empty elements): one
    level only, so every nested element is built without empties in the first place."""
    return {k: v for k, v in value.items() if v is not None and v != "" and v != [] and v != {}}


def _listed(*items: dict | None) -> list[dict] | None:
    """The items that are not None or empty, or None when none is left."""
    kept = [x for x in items if x]
    return kept or None


def _source(facility: str) -> dict:
    return {"source": f"{SID_FACILITY}:{facility}"}


class _Builder:
    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        self.entries: list[dict] = []
        self.sections: dict[str, list[str]] = {key: [] for key, _, _ in SECTIONS}
        self.orgs: dict[str, str] = {}
        self.encounter_urls: dict[tuple[str, str], str] = {}

    def add(self, kind: str, local: str, resource: dict, section: str | None = None) -> str:
        url = _uuid(self.doc_id, kind, local)
        resource = {"resourceType": kind, "id": url.rsplit(":", 1)[1], **resource}
        self.entries.append({"fullUrl": url, "resource": _clean(resource)})
        if section:
            self.sections[section].append(url)
        return url

    def add_record(self, kind: str, section: str, facility: str, local: str, resource: dict) -> str:
        """Add the resource made from one of `facility`'s records to `section`: its id is local
        to the facility (`<facility>/<local>`), its meta names the facility as the source."""
        return self.add(
            kind, f"{facility}/{local}", {"meta": _source(facility), **resource}, section
        )

    def organization(self, code: str, name: str | None = None) -> str:
        if code not in self.orgs:
            self.orgs[code] = self.add(
                "Organization",
                code,
                {"identifier": [_clean({"system": SID_FACILITY, "value": code})], "name": name},
            )
        return self.orgs[code]


def _patient(identity: dict, person: dict) -> dict:
    identifiers = [{"system": SID_CITIZEN_ID, "value": identity["citizen_id"]}]
    if identity.get("insurance_number"):
        identifiers.append({"system": SID_INSURANCE, "value": identity["insurance_number"]})
    address = None
    if identity.get("address_line") or person.get("ward_code"):
        address = [_clean({
            "use": "home",
            "text": identity.get("address_line"),
            "city": "Hà Nội",
            "country": "VN",
            "extension": [{"url": EXT_WARD_CODE, "valueCode": person.get("ward_code")}]
            if person.get("ward_code") else None,
        })]  # fmt: skip
    return {
        "identifier": identifiers,
        "name": [{"text": identity.get("full_name")}] if identity.get("full_name") else None,
        "gender": person.get("sex") if person.get("sex") in ("male", "female", "other") else
        "unknown",
        "birthDate": identity.get("birth_date"),
        "telecom": [{"system": "phone", "value": identity["phone"], "use": "mobile"}]
        if identity.get("phone") else None,
        "address": address,
    }  # fmt: skip


def _icd(code: str | None) -> dict | None:
    return {"coding": [_coding(CS_ICD10, code)]} if code else None


def build(doc_id: str, identity: dict, person: dict, day: DayRecords) -> dict:
    """The Bundle without its version and times (see `finish`); `person` holds the silver
    person facts (sex, ward_code) of the citizen's latest encounter."""
    b = _Builder(doc_id)
    composition: dict = {}
    b.entries.append(composition)  # entry[0], filled in below
    patient_url = b.add("Patient", "patient", _patient(identity, person))
    subject = {"reference": patient_url}
    author = b.organization(*DEPARTMENT)
    for enc in day.encounters:
        facility, enc_id = enc["facility_code"], enc["encounter_id"]
        org = b.organization(facility)
        klass = _CLASS.get(enc["encounter_type"] or "", ("AMB", "ambulatory"))
        codes = [
            d
            for d in day.diagnoses
            if (d["facility_code"], d["encounter_id"]) == (facility, enc_id)
        ]
        condition_urls = [
            b.add_record("Condition", "conditions", facility, f"{enc_id}/{d['icd10']}", {
                "verificationStatus": {"coding": [_coding(
                    "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"
                )]},
                "category": [{"coding": [ENCOUNTER_DIAGNOSIS]}],
                "code": _icd(d["icd10"]),
                "subject": subject,
                "encounter": {"reference": _uuid(doc_id, "Encounter", f"{facility}/{enc_id}")},
                "recordedDate": _at(d["admitted_at"]),
            })
            for d in sorted(codes, key=lambda d: d["seq"])
        ]  # fmt: skip
        url = b.add_record("Encounter", "encounters", facility, enc_id, {
            "identifier": [_clean({"system": SID_EPISODE, "value": enc_id,
                                   "assigner": {"reference": org}})],
            "status": "finished",
            "class": _coding(CS_ACT_CODE, klass[0], klass[1]),
            "subject": subject,
            "period": _clean({"start": _at(enc["admitted_at"]),
                              "end": _at(enc["discharged_at"])}),
            "reasonCode": _listed(_icd(enc["primary_icd10"])),
            "diagnosis": [
                {"condition": {"reference": c}, "rank": i}
                for i, c in enumerate(condition_urls, start=1)
            ],
            "hospitalization": {
                "dischargeDisposition": {"coding": [_coding(CS_DISCHARGE_TYPE,
                                                            enc["discharge_type"])]}
            } if enc["discharge_type"] else None,
            "extension": [{"url": CS_TREATMENT_RESULT, "valueCode": enc["treatment_result"]}]
            if enc["treatment_result"] else None,
            "serviceProvider": {"reference": org},
        })  # fmt: skip
        b.encounter_urls[(facility, enc_id)] = url
        if enc.get("weight_kg"):
            b.add_record("Observation", "vital_signs", facility, f"{enc_id}/weight", {
                "status": "final",
                "category": [{"coding": [_coding(CS_OBSERVATION_CATEGORY, "vital-signs")]}],
                "code": {"coding": [_coding(CS_LOINC, "29463-7", "Body weight")]},
                "subject": subject,
                "encounter": {"reference": url},
                "effectiveDateTime": _at(enc["admitted_at"]),
                "valueQuantity": {"value": _number(enc["weight_kg"]), "unit": "kg",
                                  "system": CS_UCUM, "code": "kg"},
            })  # fmt: skip
    for line in day.prescription_items:
        facility = line["facility_code"]
        b.add_record("MedicationRequest", "medications", facility, line["line_id"], {
            "identifier": [_clean({"system": SID_PRESCRIPTION_LINE,
                                   "value": line["line_id"]})],
            "status": "completed",
            "intent": "order",
            "medicationCodeableConcept": _clean({
                "coding": [_coding(SID_DRUG, line["drug_code"], line["drug_name"]),
                           *([_coding(CS_ATC, line["atc_code"])] if line["atc_code"] else [])],
                "text": line["drug_name"],
            }),
            "subject": subject,
            "encounter": _encounter_ref(b, facility, line["encounter_id"]),
            "authoredOn": _at(line["ordered_at"]),
            "dosageInstruction": _listed(_clean({
                "text": line["dosage"],
                "route": {"coding": [_coding(CS_ROUTE, line["route"])]}
                if line["route"] else None,
            })),
            "dispenseRequest": {"quantity": _clean({"value": _number(line["quantity"]),
                                                    "unit": line["unit"]})}
            if line["quantity"] is not None else None,
        })  # fmt: skip
    for ref in day.referrals:
        facility = ref["facility_code"]
        target = ref["to_facility_code"]
        b.add_record("ServiceRequest", "referrals", facility, ref["referral_id"], {
            "identifier": [_clean({"system": SID_REFERRAL, "value": ref["referral_id"]})],
            "status": "completed",
            "intent": "order",
            "category": [{"coding": [_coding(CS_SNOMED, SNOMED_PATIENT_REFERRAL,
                                             "Patient referral")]}],
            "subject": subject,
            "encounter": _encounter_ref(b, facility, ref["encounter_id"]),
            "authoredOn": _at(ref["referred_at"]),
            "requester": {"reference": b.organization(facility)},
            "performer": [{"reference": b.organization(target)}] if target else None,
            "reasonCode": _listed(_icd(ref["primary_icd10"]),
                                  {"text": ref["referral_reason"]}
                                  if ref["referral_reason"] else None),
        })  # fmt: skip
    for appt in day.appointments:
        facility = appt["facility_code"]
        start = appt["appointment_at"]
        enc_ref = _encounter_ref(b, facility, appt["encounter_id"])
        b.add_record("Appointment", "appointments", facility, appt["appointment_id"], {
            "identifier": [_clean({"system": SID_APPOINTMENT,
                                   "value": appt["appointment_id"]})],
            "status": "booked" if start else "proposed",
            "description": "Hẹn khám lại",
            "reasonCode": _listed(_icd(appt["primary_icd10"])),
            "start": _at(start),
            "end": _at(start),
            "requestedPeriod": None if start else
            _listed(_clean({"start": _at(appt["appointment_date"])})),
            "created": _at(appt["issued_date"]),
            "supportingInformation": [enc_ref] if enc_ref else None,
            "participant": [
                {"actor": subject, "status": "accepted"},
                {"actor": {"reference": b.organization(facility)}, "status": "accepted"},
            ],
        })  # fmt: skip
    for study in day.imaging_studies:
        facility = study["facility_code"]
        b.add_record("ImagingStudy", "imaging", facility, study["study_uid"], {
            "identifier": [{"system": "urn:dicom:uid",
                            "value": f"urn:oid:{study['study_uid']}"}],
            "status": "available",
            "modality": [_coding(CS_DICOM, study["modality"])] if study["modality"] else None,
            "subject": subject,
            "started": _at(study["study_at"]),
            "numberOfInstances": study["number_of_instances"],
            "description": study["description"],
        })  # fmt: skip
    for lab in day.lab_results:
        facility = lab["facility_code"]
        b.add_record("Observation", "results", facility, lab["line_id"], {
            "identifier": [_clean({"system": SID_LAB_LINE, "value": lab["line_id"]})],
            "status": "final",
            "category": [{"coding": [_coding(CS_OBSERVATION_CATEGORY, "laboratory")]}],
            "code": _clean({"coding": [_coding(CS_LAB_TEST,
                                               lab["test_code"] or lab["service_code"],
                                               lab["test_name"])], "text": lab["test_name"]}),
            "subject": subject,
            "encounter": _encounter_ref(b, facility, lab["encounter_id"]),
            "effectiveDateTime": _at(lab["result_at"]),
            "valueString": lab["value"] if lab["value"] is None else
            f"{lab['value']} {lab['unit'] or ''}".strip(),
            "conclusion": None,
            "note": [{"text": lab["conclusion"]}] if lab["conclusion"] else None,
        })  # fmt: skip
    composition.update(_composition(doc_id, subject, author, b.sections, withdrawn=False))
    return _bundle(doc_id, b.entries)


def _encounter_ref(b: _Builder, facility: str, enc_id: str | None) -> dict | None:
    """The reference to the record's encounter when that encounter is in the document (an
    encounter of another day, or withheld, is not cited)."""
    url = b.encounter_urls.get((facility, enc_id))
    return {"reference": url} if url else None


def _composition(doc_id: str, subject: dict, author: str, sections: dict, *, withdrawn: bool):
    return {
        "fullUrl": _uuid(doc_id, "Composition", "composition"),
        "resource": _clean({
            "resourceType": "Composition",
            "id": _uuid(doc_id, "Composition", "composition").rsplit(":", 1)[1],
            "identifier": {"system": SID_DOCUMENT, "value": doc_id},
            "status": ENTERED_IN_ERROR if withdrawn else "final",
            "type": {"coding": [_coding(CS_LOINC, "34133-9", "Summary of episode note")]},
            "subject": subject,
            "author": [{"reference": author}],
            "title": "Sổ sức khỏe điện tử",
            "section": [
                {"title": title, "code": {"coding": [_coding(CS_LOINC, code)]},
                 "entry": [{"reference": url} for url in sections[key]]}
                for key, code, title in SECTIONS if sections[key]
            ],
        }),
    }  # fmt: skip


def build_withdrawal(doc_id: str, citizen_id: str) -> dict:
    """The re-issue that withdraws a document: Composition `entered-in-error`, the Patient by
    citizen id alone, no clinical entry."""
    b = _Builder(doc_id)
    composition: dict = {}
    b.entries.append(composition)
    patient_url = b.add(
        "Patient", "patient", {"identifier": [{"system": SID_CITIZEN_ID, "value": citizen_id}]}
    )
    author = b.organization(*DEPARTMENT)
    composition.update(
        _composition(doc_id, {"reference": patient_url}, author, b.sections, withdrawn=True)
    )
    return _bundle(doc_id, b.entries)


def _bundle(doc_id: str, entries: list[dict]) -> dict:
    return {
        "resourceType": "Bundle",
        "id": doc_id,
        "identifier": {"system": SID_DOCUMENT, "value": doc_id},
        "type": "document",
        "entry": entries,
    }


ISSUED_AT = "@@issued-at@@"  # stands for the issue time until the version is known
_ISSUED_AT = ISSUED_AT.encode()
_HEAD = '{"resourceType":"Bundle","id":"'


def serialise(bundle: dict) -> tuple[bytes, str]:
    """The Bundle as one JSON line (UTF-8) with the issue time still a placeholder, and the hash
    of that line: what decides whether a version is new (`finish` then sets version and times).
    Bytes, not str: half the memory for Vietnamese text, and no encode before hashing/writing."""
    bundle["entry"][0]["resource"]["date"] = ISSUED_AT
    data = dumps_utf8(bundle)
    return data, hashlib.sha256(data).hexdigest()


def finish(data: bytes, version: int, issued_at: datetime) -> bytes:
    """Version and times put in: `meta` after `id`, `timestamp` last, Composition.date."""
    at = issued_at.astimezone(UTC).isoformat().replace("+00:00", "Z").encode()
    id_end = data.index(b'"', len(_HEAD)) + 1
    meta = b',"meta":{"versionId":"%d","lastUpdated":"%s"}' % (version, at)
    body = data[id_end:-1].replace(_ISSUED_AT, at)
    return b'%s%s%s,"timestamp":"%s"}' % (data[:id_end], meta, body, at)


def dumps_utf8(bundle: dict) -> bytes:
    """`dumps(bundle).encode("utf-8")`, without the detour through str when orjson writes it."""
    try:
        return orjson.dumps(bundle)
    except TypeError:
        return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dumps(bundle: dict) -> str:
    """Compact JSON, non-ASCII as is: orjson (several times faster), which writes the same bytes
    as `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` for everything a Bundle
    holds; what it would write differently (`_ReprFloat`) or refuses (lone surrogates, huge
    ints) raises TypeError there and goes through `json`, so the bytes never depend on which."""
    try:
        return orjson.dumps(bundle).decode("utf-8")
    except TypeError:
        return json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))


class _ReprFloat(float):
    """A float orjson writes unlike `json` (exponent below 1e-4: 1e-05 vs 0.00001; NaN and
    infinities): orjson refuses float subclasses, so its Bundle is written by `json`."""


def _number(value):
    if type(value) is float and not (value == 0.0 or 1e-4 <= abs(value) < 1e16):
        return _ReprFloat(value)
    return value
