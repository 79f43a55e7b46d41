"""Independent checks of simulated records: one per fault kind, written from the standards, not
from the simulator. Each returns True (fine), False (the problem is there) or None (cannot tell,
because a value it needs is missing or unreadable)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from hanoi_health_lake.formats import fhir_conventions as fc
from hanoi_health_lake.formats.qd130 import TABLE_REQUIRED
from hanoi_health_lake.reference.icd10 import is_accepted

# Fault kind → the check that must fail for it.
CHECK_FOR_KIND = {
    "malformed_record": "parses",
    "bad_date_format": "date_format",
    "birth_after_visit": "birth_before_visit",
    "discharge_before_admission": "discharge_after_admission",
    "invalid_icd10": "icd10",
    "citizen_id_mismatch": "citizen_id",
    "duplicate_record_id": "unique_id",
    "negative_quantity": "quantity",
    "unknown_facility_code": "facility",
    "unknown_referral_target": "referral_target",
    "missing_required_field": "required",
}
LOCAL = timezone(timedelta(hours=7))


def citizen_id_agrees(cid: str, female: bool, birth_year: int) -> bool:
    """STANDARDS.md §2: digit 4 is the century and sex, digits 5–6 the birth year."""
    if not re.fullmatch(r"\d{12}", cid):
        return False
    century = 1900 + 100 * (int(cid[3]) // 2)
    return int(cid[3]) % 2 == int(female) and century + int(cid[4:6]) == birth_year


# --- QĐ 130 CSV --------------------------------------------------------------------------------

_TIME, _DATE, _BIRTH = "time", "date", "birth"
CSV_DATES = {
    "XML1": {"NGAY_VAO": _TIME, "NGAY_RA": _TIME, "NGAY_VAO_NOI_TRU": _TIME, "NGAY_SINH": _BIRTH,
             "NGAY_TAI_KHAM": _DATE},
    "XML2": {"NGAY_YL": _TIME},
    "XML13": {"NGAY_VAO": _TIME, "NGAY_RA": _TIME, "NGAY_SINH": _BIRTH},
    "XML14": {"NGAY_VAO": _TIME, "NGAY_RA": _TIME, "NGAY_HEN_KL": _TIME, "NGAY_SINH": _BIRTH,
              "NGAY_CT": _DATE},
}  # fmt: skip


def qd_value(value: str, kind: str) -> datetime | date | None:
    try:
        if kind == _TIME and re.fullmatch(r"\d{12}", value):
            return datetime.strptime(value, "%Y%m%d%H%M")
        if kind in (_DATE, _BIRTH) and re.fullmatch(r"\d{8}", value):
            if kind == _BIRTH and value[4:] == "0000":  # day and month unknown
                return date(int(value[:4]), 1, 1)
            return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None
    return None


def _day(v: datetime | date | None) -> date | None:
    return v.date() if isinstance(v, datetime) else v


def csv_checks(table: str, row: dict[str, str], registry: set[str]) -> dict[str, bool | None]:
    dates = {c: qd_value(row[c], k) for c, k in CSV_DATES[table].items() if row.get(c)}
    checks: dict[str, bool | None] = {
        "date_format": all(v is not None for v in dates.values()),
        "required": all(row[c] for c in TABLE_REQUIRED[table]),
    }
    born, admitted, discharged = dates.get("NGAY_SINH"), dates.get("NGAY_VAO"), dates.get("NGAY_RA")
    if "NGAY_SINH" in CSV_DATES[table]:
        checks["birth_before_visit"] = (born <= _day(admitted)) if born and admitted else None
    if "NGAY_RA" in CSV_DATES[table]:
        checks["discharge_after_admission"] = (
            discharged >= admitted if admitted and discharged else None
        )
    if "MA_BENH_CHINH" in row:
        codes = [row["MA_BENH_CHINH"]] + [c for c in row.get("MA_BENH_KT", "").split(";") if c]
        checks["icd10"] = all(is_accepted(c) for c in codes) if row["MA_BENH_CHINH"] else None
    if table == "XML1":
        sex = row["GIOI_TINH"]
        checks["citizen_id"] = (
            citizen_id_agrees(row["SO_CCCD"], sex == "2", born.year)
            if row["SO_CCCD"] and sex in ("1", "2") and born else None
        )  # fmt: skip
    if table == "XML2":
        try:
            checks["quantity"] = float(row["SO_LUONG"]) > 0 if row["SO_LUONG"] else None
        except ValueError:
            checks["quantity"] = None
    if "MA_CSKCB" in row:
        checks["facility"] = row["MA_CSKCB"] in registry if row["MA_CSKCB"] else None
    if table in ("XML1", "XML13"):
        targets = [row["MA_NOI_DEN"], row["MA_NOI_DI"]]
        checks["referral_target"] = all(t in registry for t in targets if t) if (
            table == "XML1" or row["MA_NOI_DEN"]) else None  # fmt: skip
    return checks


# --- FHIR --------------------------------------------------------------------------------------


def fhir_datetime(value: str | None) -> datetime | date | None:
    """A FHIR date or dateTime; None when absent or not a real calendar value."""
    if value is None:
        return None
    try:
        if re.fullmatch(r"\d{4}", value):
            return date(int(value), 1, 1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", value):
            return datetime.fromisoformat(value)
    except ValueError:
        return None
    return None


def _local_day(v: datetime | date) -> date:
    return v.astimezone(LOCAL).date() if isinstance(v, datetime) else v


def _icd_codes(concepts: list[dict]) -> list[str]:
    return [
        c["code"] for cc in concepts for c in cc.get("coding", []) if c["system"] == fc.CS_ICD10
    ]


def _ident(ref: dict | None, system: str) -> str | None:
    ident = (ref or {}).get("identifier")
    return ident["value"] if ident and ident.get("system") == system else None


def _patient_ident(patient: dict | None, system: str) -> str | None:
    return next((i["value"] for i in (patient or {}).get("identifier", [])
                 if i["system"] == system), None)  # fmt: skip


def fhir_checks(rec, registry: set[str]) -> dict[str, bool | None]:
    res = rec.resource
    if res is None:
        return {"parses": False}
    rtype = res["resourceType"]
    checks: dict[str, bool | None] = {"parses": True}
    if rtype == "Encounter":
        _encounter_checks(rec, registry, checks)
    elif rtype == "MedicationRequest":
        ordered = res.get("authoredOn")
        checks["date_format"] = fhir_datetime(ordered) is not None if ordered else True
        quantity = res.get("dispenseRequest", {}).get("quantity", {}).get("value")
        checks["quantity"] = quantity > 0 if quantity is not None else None
        concept = res.get("medicationCodeableConcept") or (res.get("contained") or [{}])[0].get(
            "code", {})  # fmt: skip
        drug_codes = [c for c in concept.get("coding", []) if c["system"] == fc.SID_DRUG]
        checks["required"] = bool(
            quantity is not None and ordered and _ident(res.get("encounter"), fc.SID_EPISODE)
            and drug_codes and concept.get("text")
        )  # fmt: skip
    elif rtype == "ServiceRequest":
        codes = _icd_codes(res.get("reasonCode", []))
        checks["icd10"] = all(is_accepted(c) for c in codes) if codes else None
        targets = [_ident(p, fc.SID_FACILITY) for p in res.get("performer", [])]
        checks["referral_target"] = all(t in registry for t in targets) if targets else None
        checks["facility"] = _ident(res.get("requester"), fc.SID_FACILITY) in registry
        checks["required"] = bool(
            targets and codes and _ident(res.get("encounter"), fc.SID_EPISODE)
        )
    elif rtype == "Appointment":
        values = [res.get(k) for k in ("start", "end", "created") if res.get(k)]
        checks["date_format"] = all(fhir_datetime(v) is not None for v in values)
        codes = _icd_codes(res.get("reasonCode", []))
        checks["icd10"] = all(is_accepted(c) for c in codes) if codes else None
        orgs = [_ident(p["actor"], fc.SID_FACILITY) for p in res["participant"]]
        checks["facility"] = all(o in registry for o in orgs if o)
        checks["required"] = bool(
            res.get("start") and res.get("created") and res.get("supportingInformation")
        )
    return checks


def _encounter_checks(rec, registry: set[str], checks: dict) -> None:
    res, patient = rec.resource, rec.patient or {}
    period = res.get("period", {})
    start, end = fhir_datetime(period.get("start")), fhir_datetime(period.get("end"))
    born = fhir_datetime(patient.get("birthDate"))
    present = [v for v in (period.get("start"), period.get("end"), patient.get("birthDate")) if v]
    checks["date_format"] = all(fhir_datetime(v) is not None for v in present)
    checks["birth_before_visit"] = born <= _local_day(start) if born and start else None
    checks["discharge_after_admission"] = end >= start if start and end else None
    codes = [c for cond in rec.conditions for c in _icd_codes([cond.get("code", {})])]
    checks["icd10"] = all(is_accepted(c) for c in codes) if codes else None
    cid = _patient_ident(patient, fc.SID_CITIZEN_ID)
    gender = patient.get("gender")
    checks["citizen_id"] = (
        citizen_id_agrees(cid, gender == "female", born.year) if cid and gender and born else None
    )
    provider = _ident(res.get("serviceProvider"), fc.SID_FACILITY)
    checks["facility"] = provider in registry if provider else None
    hosp = res.get("hospitalization", {})
    ends = [_ident(hosp.get(k), fc.SID_FACILITY) for k in ("origin", "destination") if k in hosp]
    checks["referral_target"] = all(e in registry for e in ends)
    primary = rec.conditions[0] if rec.conditions else {}
    checks["required"] = bool(
        period.get("start") and period.get("end") and res.get("class") and provider
        and patient.get("birthDate")
        and patient.get("gender") and cid and _icd_codes([primary.get("code", {})])
    )  # fmt: skip


def duplicated_ids(ids: list[str | None]) -> set[str]:
    return {i for i, n in Counter(i for i in ids if i is not None).items() if n > 1}
