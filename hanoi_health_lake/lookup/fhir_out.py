"""The FHIR R4 shapes the API answers with: OperationOutcome, searchset Bundles,
CapabilityStatement. Built as dicts (validated in the tests with fhir.resources' R4B model)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from starlette.responses import JSONResponse

from hanoi_health_lake.lookup.documents import CLINICAL_TYPES

FHIR_JSON = "application/fhir+json"
# HTTP status → the OperationOutcome issue code
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    413: "too-costly",
    415: "not-supported",
    429: "throttled",
    500: "exception",
    503: "transient",
}


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def operation_outcome(status: int, diagnostics: str, headers: dict | None = None) -> FhirResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": ISSUE_CODES.get(status, "processing"),
                "diagnostics": diagnostics,
            }
        ],
    }
    return FhirResponse(body, status_code=status, headers=headers)


def searchset(base: str, resources: list[dict], total: int | None, links: dict[str, str]) -> dict:
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": now_iso()},
        "type": "searchset",
        **({"total": total} if total is not None else {}),
        "link": [{"relation": rel, "url": url} for rel, url in links.items()],
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {
                    "mode": "match" if r["resourceType"] != "OperationOutcome" else "outcome"
                },
            }
            for r in resources
        ],
    }


def capability_statement(base: str, token_url: str) -> dict:
    everything = {
        "name": "everything",
        "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
        "documentation": (
            "The citizen's Encounters, Conditions, MedicationRequests, referral "
            "ServiceRequests, Appointments, ImagingStudies and Observations from every "
            "facility, newest first; _since (meta.lastUpdated) and _count (page size, "
            "at most 500). Needs the citizen's consent for the caller's facility or the "
            "header X-Break-Glass-Reason."
        ),
    }
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-04",
        "publisher": "Hanoi Department of Health",
        "kind": "instance",
        "implementation": {"description": "Health-book look-up API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": (
                        "SMART Backend Services: POST a client_credentials request with a "
                        f"signed client assertion (RS384/ES384) to {token_url}; use the "
                        "access token as a Bearer token. Scopes: system/*.read (facilities), "
                        "system/AuditEvent.read (supervision)."
                    ),
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": token_url}],
                        }
                    ],
                },
                "resource": [
                    {
                        "type": "Patient",
                        "interaction": [{"code": "search-type"}],
                        "searchParam": [
                            {
                                "name": "identifier",
                                "type": "token",
                                "documentation": "urn:vn:moh:sid:cccd|<12-digit CCCD> only",
                            }
                        ],
                        "operation": [everything],
                    },
                    {
                        "type": "Consent",
                        "interaction": [{"code": "create"}],
                        "documentation": (
                            'POST {"qr": "<the citizen\'s VNeID QR payload>"}: records the '
                            "citizen's consent for the caller's facility"
                        ),
                    },
                    {
                        "type": "AuditEvent",
                        "interaction": [{"code": "search-type"}],
                        "searchParam": [
                            {"name": "patient", "type": "reference"},
                            {"name": "date", "type": "date"},
                            {"name": "_count", "type": "number"},
                        ],
                        "documentation": "system/AuditEvent.read only: who looked at a book",
                    },
                    *[
                        {"type": kind, "documentation": "through Patient/$everything only"}
                        for kind in CLINICAL_TYPES
                    ],
                ],
            }
        ],
    }
