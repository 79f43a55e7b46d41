"""Which zone of the lake each ingested table lives in (docs/lake-tables.md)."""

TABLE_ZONES = {
    "bronze_files": "bronze",
    "bronze_records": "bronze",
    "quarantine": "quarantine",
    "encounters": "silver",
    "diagnoses": "silver",
    "prescriptions": "silver",
    "prescription_items": "silver",
    "referrals": "silver",
    "appointments": "silver",
    "imaging_studies": "silver",
    "services": "silver",
    "lab_results": "silver",
    "checkins": "silver",
    "reconciliation": "audit",
}

# Zones that still hold identifiers as delivered: owner-only on disk (lake/restricted.py).
RESTRICTED_ZONES = frozenset({"bronze", "quarantine"})
