"""From one health-book document Bundle to the rows of the serving store.

A document (HEALTH_BOOK_FEED contract, docs/health-book.md) is a FHIR `document` Bundle for one
citizen and service day: entry[0] the Composition, a Patient, the clinical entries. The API
serves each clinical resource on its own, so references between entries (`urn:uuid:` fullUrls)
become `Type/id`, the subject becomes `Patient/<the API's patient id>`, and each resource gets
the document's versionId and timestamp as its meta.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.lookup.citizen_hash import CCCD_SYSTEM, CitizenHasher, is_cccd

DOCUMENT_SYSTEM = "urn:vn:hanoi:health-book:document"
FACILITY_SYSTEM = "urn:vn:moh:sid:ma-cskcb"
CLINICAL_TYPES = (
    "Encounter",
    "Condition",
    "MedicationRequest",
    "ServiceRequest",
    "Appointment",
    "ImagingStudy",
    "Observation",
)
# the clinical time each kind is ordered by, first present wins ("newest first")
TIME_FIELDS = {
    "Encounter": ("period.start", "period.end"),
    "Condition": ("recordedDate", "onsetDateTime", "onsetPeriod.start"),
    "MedicationRequest": ("authoredOn",),
    "ServiceRequest": ("authoredOn", "occurrenceDateTime"),
    "Appointment": ("start", "created"),
    "ImagingStudy": ("started",),
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "issued"),
}
WITHDRAWN_STATUS = "entered-in-error"
_HANOI = ZoneInfo(TIMEZONE)


class DocumentError(ValueError):
    """A Bundle that is not a health-book document the loader can place."""


@dataclass(frozen=True)
class Served:
    """One clinical resource as the store keeps it: its JSON as served and what a look-up
    filters and orders on."""

    kind: str
    id: str
    facility_code: str | None
    occurred_at: datetime | None
    text: str


@dataclass
class Document:
    document_id: str
    version_id: int
    issued_at: datetime
    status: str
    service_date: str
    cccd: str | None
    patient: dict | None
    resources: list[Served]

    @property
    def withdrawn(self) -> bool:
        return self.status == WITHDRAWN_STATUS


def parse_time(value: str | None) -> datetime | None:
    """A FHIR date or dateTime as an aware datetime (a bare date is midnight in Hanoi)."""
    if not value or not isinstance(value, str):
        return None
    try:
        if len(value) <= 10:
            parts = [int(p) for p in value.split("-")] + [1, 1]
            return datetime(parts[0], parts[1], parts[2], tzinfo=_HANOI)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_HANOI)


def _get(resource: dict, dotted: str) -> Any:
    value: Any = resource
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def clinical_time(resource: dict) -> datetime | None:
    for dotted in TIME_FIELDS.get(resource.get("resourceType", ""), ()):
        found = parse_time(_get(resource, dotted))
        if found:
            return found
    return None


def facility_code(resource: dict) -> str | None:
    """The facility that recorded the resource: meta.source (`…ma-cskcb:<code>`), else an
    identifier of system ma-cskcb anywhere in it (its own, the service provider's)."""
    source = _get(resource, "meta.source")
    if isinstance(source, str) and source:
        for separator in ("|", "#", "/", ":"):
            source = source.rsplit(separator, 1)[-1]
        if source:
            return source
    stack: list[Any] = [resource]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("system") == FACILITY_SYSTEM and item.get("value"):
                return str(item["value"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _cccd(patient: dict | None) -> str | None:
    for identifier in (patient or {}).get("identifier") or []:
        if identifier.get("system") == CCCD_SYSTEM and is_cccd(str(identifier.get("value"))):
            return str(identifier["value"])
    return None


_REFERENCE = re.compile(r'"reference":"(urn:uuid:[0-9A-Za-z.-]+)"')


def served_json(resource: dict, targets: dict[str, Any]) -> str:
    """The resource as served, in compact JSON: references to other entries, by fullUrl,
    become what `targets` says — `Type/id` for a served resource, a logical reference
    (identifier and name) for an Organization. Done on the text: one pass, no tree walk."""
    text = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))

    def replace(match: re.Match) -> str:
        target = targets.get(match.group(1))
        if target is None:
            return match.group(0)
        if isinstance(target, dict):
            return json.dumps(target, ensure_ascii=False, separators=(",", ":"))[1:-1]
        return f'"reference":"{target}"'

    return _REFERENCE.sub(replace, text)


def _organization_reference(organization: dict) -> dict:
    identifiers = organization.get("identifier") or []
    out: dict[str, Any] = {"type": "Organization"}
    if identifiers:
        out["identifier"] = identifiers[0]
    if organization.get("name"):
        out["display"] = organization["name"]
    return out


def read_document(bundle: dict, hasher: CitizenHasher, service_date: str | None = None) -> Document:
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "document":
        raise DocumentError("not a document Bundle")
    identifier = bundle.get("identifier") or {}
    if identifier.get("system") != DOCUMENT_SYSTEM or not identifier.get("value"):
        raise DocumentError("no health-book document identifier")
    try:
        version = int((bundle.get("meta") or {}).get("versionId"))
    except (TypeError, ValueError) as error:
        raise DocumentError("meta.versionId is not an integer") from error
    issued = parse_time(bundle.get("timestamp"))
    if issued is None:
        raise DocumentError("no Bundle.timestamp")
    entries = bundle.get("entry") or []
    if not entries or (entries[0].get("resource") or {}).get("resourceType") != "Composition":
        raise DocumentError("entry[0] is not a Composition")
    composition = entries[0]["resource"]
    patients = [e for e in entries if (e.get("resource") or {}).get("resourceType") == "Patient"]
    patient_entry = patients[0] if patients else None
    patient = patient_entry["resource"] if patient_entry else None
    cccd = _cccd(patient)
    patient_ref = f"Patient/{hasher.patient_id(cccd)}" if cccd else None
    targets: dict[str, Any] = {}
    clinical = []
    for entry in entries[1:]:
        resource = entry.get("resource") or {}
        kind = resource.get("resourceType")
        full_url = entry.get("fullUrl") or ""
        if kind == "Patient":
            if patient_ref and full_url:
                targets[full_url] = patient_ref
            continue
        if kind == "Organization":
            if full_url:
                targets[full_url] = _organization_reference(resource)
            continue
        if kind not in CLINICAL_TYPES:
            continue
        rid = resource.get("id") or full_url.rsplit(":", 1)[-1]
        if not rid:
            raise DocumentError(f"a {kind} entry without id or fullUrl")
        if full_url:
            targets[full_url] = f"{kind}/{rid}"
        clinical.append({**resource, "id": rid})
    meta = {"versionId": str(version), "lastUpdated": issued.isoformat()}
    resources = [
        Served(
            kind=r["resourceType"],
            id=r["id"],
            facility_code=facility_code(r),
            occurred_at=clinical_time(r),
            text=served_json({**r, "meta": {**(r.get("meta") or {}), **meta}}, targets),
        )
        for r in clinical
    ]
    service_date = service_date or _service_date(composition, issued)
    return Document(
        document_id=str(identifier["value"]),
        version_id=version,
        issued_at=issued,
        status=str(composition.get("status") or "final"),
        service_date=service_date,
        cccd=cccd,
        patient=patient,
        resources=resources,
    )


def _service_date(composition: dict, issued: datetime) -> str:
    """The citizen-day of the document: the Composition's event period, else its date."""
    events = composition.get("event") or [{}]
    for value in (_get(events[0], "period.start"), composition.get("date")):
        found = parse_time(value)
        if found:
            return found.astimezone(_HANOI).date().isoformat()
    return issued.astimezone(_HANOI).date().isoformat()


def served_patient(patient: dict, patient_id: str, issued: datetime, version: int) -> dict:
    """The Patient as the API returns it: its id is the API's patient id, references none."""
    return {
        **{k: v for k, v in patient.items() if k not in ("id", "meta", "link")},
        "id": patient_id,
        "meta": {"versionId": str(version), "lastUpdated": issued.isoformat()},
    }
