"""Arrow schemas of the health book's lake tables (zones: lake/zones.py HEALTH_BOOK_TABLE_ZONES)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from hanoi_health_lake.lake.zones import HEALTH_BOOK_TABLE_ZONES

UTC_AT = pa.timestamp("us", tz="UTC")

# The identifying fields held, each encrypted on its own (cipher.py). Sex and ward are in silver.
IDENTITY_FIELDS = (
    "citizen_id", "full_name", "birth_date", "insurance_number", "phone", "address_line",
)  # fmt: skip

SCHEMAS: dict[str, pa.Schema] = {
    # restricted: one row per accepted encounter of a person with a usable citizen id.
    "identities": pa.schema(
        [
            ("service_date", pa.date32()),
            ("patient_key", pa.string()),
            ("facility_code", pa.string()),
            ("encounter_id", pa.string()),
            ("admitted_at", pa.timestamp("us", tz="Asia/Ho_Chi_Minh")),
            ("key_id", pa.string()),  # which identity key encrypted the row
            *((f"{name}_enc", pa.binary()) for name in IDENTITY_FIELDS),
            ("run_id", pa.string()),
        ]
    ),
    # restricted: every version of every document ever issued for the day, with the citizen id
    # it went to, encrypted (a withdrawal must reach the same citizen when the records are gone).
    "health_book_documents": pa.schema(
        [
            ("service_date", pa.date32()),
            ("document_id", pa.string()),
            ("patient_key", pa.string()),
            ("key_id", pa.string()),
            ("citizen_id_enc", pa.binary()),
            ("version", pa.int32()),
            ("status", pa.string()),  # final | entered-in-error
            ("content_sha256", pa.string()),
            ("encounters", pa.int32()),
            ("entries", pa.int32()),
            ("issued_at", UTC_AT),
            ("run_id", pa.string()),
        ]
    ),
    # One row per accepted encounter of the day: sent to the book, or why not.
    "health_book_entries": pa.schema(
        [
            ("service_date", pa.date32()),
            ("facility_code", pa.string()),
            ("encounter_id", pa.string()),
            ("patient_key", pa.string()),
            ("discharged_at", pa.timestamp("us", tz="Asia/Ho_Chi_Minh")),
            # sent | no_citizen_id | opted_out | withheld_category
            ("outcome", pa.string()),
            ("document_id", pa.string()),
            ("first_sent_at", UTC_AT),  # the first version that carried the encounter
            ("run_id", pa.string()),
        ]
    ),
    # The audit of decryptions: one row per read of the identity table.
    "identity_decryptions": pa.schema(
        [
            ("service_date", pa.date32()),
            ("decrypted_at", UTC_AT),
            ("run_id", pa.string()),
            ("purpose", pa.string()),
            ("reader", pa.string()),
            ("key_id", pa.string()),
            ("identities_read", pa.int64()),
        ]
    ),
}


def table_path(lake_root: Path, name: str) -> Path:
    return Path(lake_root) / HEALTH_BOOK_TABLE_ZONES[name] / name
