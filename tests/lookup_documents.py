"""Health-book documents shaped as the feed contract says (docs/health-book.md), for the
loader's unit tests: one citizen-day, its version, its facility, its diagnosis."""

from __future__ import annotations

import uuid

CCCD = "urn:vn:moh:sid:cccd"
FACILITY = "urn:vn:moh:sid:ma-cskcb"


def _uuid(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '/'.join(parts))}"


def document(
    cccd: str,
    day: str,
    version: int,
    facility: str,
    *,
    icd10: str = "J06",
    withdrawn: bool = False,
    with_patient: bool = True,
) -> dict:
    patient = _uuid("patient", cccd)
    encounter = _uuid("encounter", cccd, day, facility)
    condition = _uuid("condition", cccd, day, facility)
    composition = {
        "resourceType": "Composition",
        "status": "entered-in-error" if withdrawn else "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": "60591-5"}]},
        "subject": {"reference": patient},
        "date": f"{day}T23:00:00+07:00",
        "author": [{"display": "Sở Y tế Hà Nội"}],
        "title": "Sổ sức khỏe điện tử",
    }
    entries = [{"fullUrl": _uuid("composition", cccd, day), "resource": composition}]
    if with_patient:
        entries.append(
            {
                "fullUrl": patient,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": CCCD, "value": cccd}],
                    "name": [{"text": "Nguyễn Văn An"}],
                    "gender": "male",
                    "birthDate": "1990-01-01",
                },
            }
        )
    if not withdrawn:
        entries += [
            {
                "fullUrl": encounter,
                "resource": {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "class": {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "AMB",
                    },
                    "subject": {"reference": patient},
                    "period": {"start": f"{day}T08:00:00+07:00"},
                    "serviceProvider": {"identifier": {"system": FACILITY, "value": facility}},
                },
            },
            {
                "fullUrl": condition,
                "resource": {
                    "resourceType": "Condition",
                    "subject": {"reference": patient},
                    "encounter": {"reference": encounter},
                    "code": {
                        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": icd10}]
                    },
                    "recordedDate": day,
                    "meta": {"source": f"{FACILITY}|{facility}"},
                },
            },
        ]
    return {
        "resourceType": "Bundle",
        "type": "document",
        "identifier": {
            "system": "urn:vn:hanoi:health-book:document",
            "value": uuid.uuid5(uuid.NAMESPACE_URL, f"doc/{cccd}/{day}").hex,
        },
        "meta": {"versionId": str(version)},
        "timestamp": f"{day}T23:30:00+07:00",
        "entry": entries,
    }
