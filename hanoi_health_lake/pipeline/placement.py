"""Folder and content must agree: a file counts for the facility and the day it was filed under
only when its records say the same.

The landing folder is where supersession, reconciliation and coverage look for a facility-day.
A file left in another facility's folder (or in a folder no registered facility owns), or copied
into another day's folder, would otherwise be counted where it does not belong, and twice when
its owner also sent it. Each case is a whole-file verdict naming the file and both values:

- `file.facility_unregistered`: the folder's facility code is not in the registry.
- `file.facility_mismatch`: the records name a registered facility other than the folder's (all
  records that name one agree on it — a file of another facility, not a stray record; a stray
  record is `conformance.facility_matches_folder`).
- `file.service_date_mismatch`: none of the records falls on the folder's day, by the date that
  places a record on its service day (`SERVICE_DAY_FIELD`). One record on the day is enough, so
  an inpatient's drug line ordered the day before does not reject its day's file.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from hanoi_health_lake.records import ParsedFile

FACILITY_UNREGISTERED = "file.facility_unregistered"
FACILITY_MISMATCH = "file.facility_mismatch"
SERVICE_DATE_MISMATCH = "file.service_date_mismatch"

# The record date that decides its service day (docs/landing-formats.md §1: an episode belongs to
# the day it ended; a letter to the day it was written; a study to the day it was made).
SERVICE_DAY_FIELD = {
    "encounters": "discharged_at",
    "prescriptions": "ordered_at",
    "referrals": "discharged_at",
    "appointments": "issued_date",
    "imaging_studies": "study_at",
    "checkins": "admitted_at",  # care started that day
}
_FHIR_FACILITY = {
    "encounters": "Encounter.serviceProvider",
    "prescriptions": "MedicationRequest's encounter",
    "referrals": "ServiceRequest.requester",
    "appointments": "Appointment.participant (Organization)",
    "imaging_studies": "ImagingStudy",
    "checkins": "MA_CSKCB",
}


def facility_field(fmt: str, dataset: str) -> str:
    """Where a record of this format names its facility, for a reader of the reason."""
    if fmt == "csv":
        return "MA_CSKCB"
    if fmt in ("dicom", "dicom_json"):
        return "InstitutionCodeSequence"
    return _FHIR_FACILITY.get(dataset, "the record")


def placement_fault(
    parsed: ParsedFile,
    dataset: str | None,
    folder_facility: str,
    folder_day: date,
    registry_codes: frozenset[str] | None,
) -> tuple[str, str] | None:
    """(rule id, reason) when the file does not belong where it was filed, else None."""
    if parsed.status != "ok" or not parsed.records or dataset is None:
        return None
    path = parsed.path
    named = Counter(
        code for record in parsed.records if (code := record.fields.get("facility_code"))
    )
    inside = ", ".join(code for code, _ in named.most_common(3)) or "none"
    where = facility_field(parsed.format, dataset)
    if registry_codes and folder_facility not in registry_codes:
        return FACILITY_UNREGISTERED, (
            f"{path}: the folder {folder_facility!r} is not a registered facility "
            f"(the records name {inside} in {where}); deliver into your own facility's folder"
        )
    others = set(named) - {folder_facility}
    if registry_codes and len(named) == 1 and others and next(iter(others)) in registry_codes:
        return FACILITY_MISMATCH, (
            f"{path}: the records name facility {inside} in {where}, but the file is in the "
            f"folder of facility {folder_facility}; it belongs in {inside}'s folder"
        )
    # An XML dossier (dataset `hoso`) holds records of several datasets: each by its own field.
    days = Counter(
        _day(record.fields.get(SERVICE_DAY_FIELD.get(record.dataset, "")))
        for record in parsed.records
    )
    days.pop(None, None)
    if days and folder_day not in days:
        found = ", ".join(f"{n} on {d.isoformat()}" for d, n in sorted(days.items())[:3])
        by = SERVICE_DAY_FIELD.get(dataset, "its records' service-day fields")
        return SERVICE_DATE_MISMATCH, (
            f"{path}: filed under service day {folder_day.isoformat()}, but no record falls on "
            f"it by {by} (records: {found}); a file belongs in "
            "the folder of the day its care happened"
        )
    return None


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
