"""The audit trail: one row per request, allowed or refused, and its FHIR AuditEvent form.

Who (facility, client), whom (citizen_hash — never the CCCD), what (action, method, path without
its query, which may hold a CCCD), why (consent or the break-glass reason), when, the result.
A break-glass look-up is written with review_status 'pending' for the Department to review.
"""

from __future__ import annotations

from dataclasses import dataclass

AUDIT_COLUMNS = (
    "request_id",
    "facility_code",
    "client_id",
    "citizen_hash",
    "action",
    "method",
    "path",
    "reason_kind",
    "reason_text",
    "status",
    "outcome",
    "detail",
    "break_glass",
    "review_status",
)
MAX_REASON_CHARS = 500


@dataclass
class AuditRecord:
    request_id: str
    action: str
    method: str
    path: str
    status: int = 0
    facility_code: str | None = None
    client_id: str | None = None
    citizen_hash: str | None = None
    reason_kind: str | None = None  # consent | break-glass
    reason_text: str | None = None
    detail: str | None = None
    break_glass: bool = False

    @property
    def outcome(self) -> str:
        return "allowed" if self.status < 400 else "refused"

    def row(self) -> tuple:
        return (
            self.request_id,
            self.facility_code,
            self.client_id,
            self.citizen_hash,
            self.action,
            self.method,
            self.path,
            self.reason_kind,
            (self.reason_text or None) and self.reason_text[:MAX_REASON_CHARS],
            self.status,
            self.outcome,
            self.detail,
            self.break_glass,
            "pending" if self.break_glass else None,
        )


def write(conn, record: AuditRecord) -> None:
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO lookup.audit ({', '.join(AUDIT_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(AUDIT_COLUMNS))})",
            record.row(),
        )
    conn.commit()


ACTIONS = {  # action → (restful-interaction code, AuditEvent.action)
    "token": ("operation", "E"),
    "metadata": ("capabilities", "R"),
    "patient-search": ("search-type", "E"),
    "everything": ("operation", "R"),
    "consent": ("create", "C"),
    "audit-search": ("search-type", "E"),
    "other": ("operation", "E"),
}


def audit_event(row: dict, patient_id: str | None) -> dict:
    """One audit row as a FHIR R4 AuditEvent."""
    subtype, action = ACTIONS.get(row["action"], ACTIONS["other"])
    status = int(row["status"])
    agent = {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "code": "IRCP",
                    "display": "information recipient",
                }
            ]
        },
        "requestor": True,
    }
    if row.get("facility_code"):
        agent["who"] = {
            "identifier": {"system": "urn:vn:moh:sid:ma-cskcb", "value": row["facility_code"]}
        }
    if row.get("client_id"):
        agent["altId"] = row["client_id"]
    if row.get("reason_kind"):
        code = "BTG" if row["reason_kind"] == "break-glass" else "TREAT"
        agent["purposeOfUse"] = [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": code}
                ],
                **({"text": row["reason_text"]} if row.get("reason_text") else {}),
            }
        ]
    event = {
        "resourceType": "AuditEvent",
        "id": f"lookup-{row['audit_id']}",
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation",
        },
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": subtype}],
        "action": action,
        "recorded": row["recorded_at"].isoformat(),
        "outcome": "0" if status < 400 else ("4" if status < 500 else "8"),
        "outcomeDesc": f"HTTP {status}" + (f": {row['detail']}" if row.get("detail") else ""),
        "agent": [agent],
        "source": {
            "site": "Hanoi health-book look-up API",
            "observer": {"display": "hhl lookup API"},
        },
    }
    if row.get("break_glass"):
        event["meta"] = {
            "security": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                    "code": "BTG",
                    "display": "break the glass",
                }
            ],
            "tag": [
                {"system": "urn:vn:hanoi:hhl:review", "code": row.get("review_status") or "pending"}
            ],
        }
    entity = {
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"}
    }
    if patient_id:
        entity["what"] = {"reference": f"Patient/{patient_id}"}
    entity["description"] = f"{row['method']} {row['path']}"
    event["entity"] = [entity]
    return event
