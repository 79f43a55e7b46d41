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

# The health book's tables (health_book/), written by its own assets, not by the day's ingest:
# `identities` holds each identifying field encrypted (health_book/cipher.py), and
# `health_book_documents` the encrypted citizen id each document went to (to withdraw it later);
# the others carry pseudonymous keys only, and the warehouse may read them.
HEALTH_BOOK_TABLE_ZONES = {
    "identities": "restricted",
    "health_book_documents": "restricted",
    "health_book_entries": "health_book",
    "identity_decryptions": "audit",
}

# Zones that hold identifiers (as delivered, or encrypted): owner-only on disk
# (lake/restricted.py), never copied to a warehouse (sqlmodels/publish.py).
RESTRICTED_ZONES = frozenset({"bronze", "quarantine", "restricted"})
