"""The restricted identity table: who each pseudonymous patient_key is, encrypted field by field.

Written from the day's accepted encounters while the ingest still holds them as delivered (the
only moment identities exist in memory anyway), for persons with a usable citizen id only: the
health book addresses citizens by CCCD, so nobody else's identity is kept. Read back only through
`read_identities`, which audits the read (audit.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable

from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.health_book.audit import record_decryption
from hanoi_health_lake.health_book.cipher import IdentityCipher
from hanoi_health_lake.health_book.tables import IDENTITY_FIELDS, SCHEMAS, table_path
from hanoi_health_lake.lake.delta_io import table_exists, write_partition

TABLE = "identities"


def plain_identities(
    accepted_encounters: pl.DataFrame, pseudonymizer: Pseudonymizer
) -> pl.DataFrame:
    """Per accepted encounter of a person keyed by citizen id: the identity as delivered (memory
    only, never written in the clear)."""
    keys = pseudonymizer.patient_keys(accepted_encounters, "encounter_id")
    birth = pl.coalesce(pl.col("birth_date").cast(pl.Utf8), pl.col("birth_year").cast(pl.Utf8))
    return (
        pl.concat([accepted_encounters, keys], how="horizontal")
        .filter(pl.col("patient_key_type") == "cccd")
        .select(
            "facility_code",
            "encounter_id",
            "patient_key",
            "admitted_at",
            pl.col("citizen_id").str.replace_all(r"\D", "").alias("citizen_id"),
            pl.col("full_name").str.strip_chars().alias("full_name"),
            birth.alias("birth_date"),
            pl.col("insurance_number").str.replace_all(r"\s", "").alias("insurance_number"),
            pl.col("phone").str.strip_chars().alias("phone"),
            pl.col("address_line").str.strip_chars().alias("address_line"),
        )
    )


def encrypt_identities(
    plain: pl.DataFrame, cipher: IdentityCipher, service_date: date, run_id: str
) -> pa.Table:
    keys = plain["patient_key"].to_list()
    columns = {
        f"{name}_enc": [
            cipher.encrypt(k, name, v) for k, v in zip(keys, plain[name].to_list(), strict=True)
        ]
        for name in IDENTITY_FIELDS
    }
    n = plain.height
    return pa.table(
        {
            "service_date": [service_date] * n,
            "patient_key": keys,
            "facility_code": plain["facility_code"].to_list(),
            "encounter_id": plain["encounter_id"].to_list(),
            "admitted_at": plain["admitted_at"].to_arrow(),
            "key_id": [cipher.key_id] * n,
            **columns,
            "run_id": [run_id] * n,
        },
        schema=SCHEMAS[TABLE],
    )


def write_identities(lake_root: Path, table: pa.Table, service_date: date, run_id: str) -> int:
    return write_partition(table_path(lake_root, TABLE), table, service_date, run_id=run_id)


def decrypt_rows(table: pa.Table, cipher: IdentityCipher) -> pl.DataFrame:
    """The identity fields in the clear, beside patient_key and service_date (no audit: callers
    inside this package audit, see read_identities and rotation.py)."""
    keys = table["patient_key"].to_pylist()
    plain = {
        name: [
            cipher.decrypt(k, name, blob)
            for k, blob in zip(keys, table[f"{name}_enc"].to_pylist(), strict=True)
        ]
        for name in IDENTITY_FIELDS
    }
    return pl.DataFrame(
        {
            "service_date": table["service_date"].to_pylist(),
            "patient_key": keys,
            "admitted_at": pl.from_arrow(table["admitted_at"]),
            **plain,
        },
        schema_overrides={name: pl.Utf8 for name in IDENTITY_FIELDS},
    )


def read_identities(
    lake_root: Path,
    patient_keys: list[str],
    cipher: IdentityCipher,
    *,
    service_date: date,
    run_id: str,
    purpose: str,
    reader: str,
) -> pl.DataFrame:
    """The latest identity held for each of `patient_keys` (one row each), decrypted; the read
    is audited before anything is decrypted."""
    path = table_path(lake_root, TABLE)
    wanted = sorted(set(patient_keys))
    if not wanted or not table_exists(path):
        record_decryption(lake_root, service_date=service_date, run_id=run_id, purpose=purpose,
                          reader=reader, key_id=cipher.key_id, identities_read=0)  # fmt: skip
        return decrypt_rows(SCHEMAS[TABLE].empty_table(), cipher)
    dataset = DeltaTable(str(path)).to_pyarrow_dataset()
    rows = dataset.to_table(
        filter=(ds.field("patient_key").isin(pa.array(wanted)))
        & (ds.field("service_date") <= pa.scalar(service_date, pa.date32()))
    )
    # The newest row per person: the identity as last delivered on or before the day.
    latest = (
        pl.from_arrow(rows.select(["patient_key", "service_date", "admitted_at"]))
        .with_row_index("_row")
        .sort("patient_key", "service_date", "admitted_at", "_row")
        .unique("patient_key", keep="last")
        .sort("patient_key")
    )
    chosen = rows.take(pa.array(latest["_row"].to_numpy()))
    record_decryption(lake_root, service_date=service_date, run_id=run_id, purpose=purpose,
                      reader=reader, key_id=cipher.key_id,
                      identities_read=chosen.num_rows)  # fmt: skip
    return decrypt_rows(chosen, cipher)
