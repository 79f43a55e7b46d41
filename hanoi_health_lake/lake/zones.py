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
    "reconciliation": "audit",
}

# Zones that still hold identifiers as delivered: owner-only on disk (lake/restricted.py).
RESTRICTED_ZONES = frozenset({"bronze", "quarantine"})

# Tables the ingest does not write day by day, by zone: `marts_refreshed` (lake/freshness.py),
# one row each time the marts were refreshed for a service day, read by mart_freshness_daily.
FRESHNESS_TABLES = {"marts_refreshed": "audit"}
