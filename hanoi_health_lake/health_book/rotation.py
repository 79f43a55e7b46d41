"""Rotating the identity key: every encrypted field re-encrypted under the new key, nothing lost.

Unlike the pseudonymisation key (`hhl rekey`, which re-ingests history), the identity key only
wraps stored values: each partition of the restricted tables is decrypted with the old key and
encrypted with the new one in one Delta commit per partition. Rows already under the new key are
left as they are, so a rotation that was stopped is finished by running it again. The rotation
reads every identity and is audited as such.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

from hanoi_health_lake.health_book.audit import record_decryption
from hanoi_health_lake.health_book.cipher import IdentityCipher
from hanoi_health_lake.health_book.tables import IDENTITY_FIELDS, SCHEMAS, table_path
from hanoi_health_lake.lake.delta_io import partitions, read_table, write_partition

READER = "hhl rekey-identities"
# Restricted table → its encrypted columns (field name = column minus `_enc`).
ENCRYPTED = {
    "identities": tuple(f"{name}_enc" for name in IDENTITY_FIELDS),
    "health_book_documents": ("citizen_id_enc",),
}


def _rewrap(table: pa.Table, columns: tuple[str, ...], old: IdentityCipher, new: IdentityCipher):
    keys = table["patient_key"].to_pylist()
    key_ids = table["key_id"].to_pylist()
    out = table
    for column in columns:
        field = column.removesuffix("_enc")
        values = [
            blob if kid == new.key_id else new.encrypt(k, field, old.decrypt(k, field, blob))
            for k, kid, blob in zip(keys, key_ids, table[column].to_pylist(), strict=True)
        ]
        out = out.set_column(
            out.schema.get_field_index(column), column, pa.array(values, pa.binary())
        )
    index = out.schema.get_field_index("key_id")
    return out.set_column(index, "key_id", pa.array([new.key_id] * out.num_rows, pa.string()))


def rotate(lake_root: Path, old_key: bytes, new_key: bytes, run_id: str) -> dict[str, int]:
    """Re-encrypt every row of the restricted tables from `old_key` to `new_key`; rows per
    table."""
    old, new = IdentityCipher(old_key), IdentityCipher(new_key)
    if old.key_id == new.key_id:
        raise ValueError("the new identity key is the old one")
    done: dict[str, int] = {}
    for name, columns in ENCRYPTED.items():
        path = table_path(lake_root, name)
        done[name] = 0
        for day in partitions(path):
            table = read_table(path, [day]).cast(SCHEMAS[name])
            if table.num_rows == 0 or set(table["key_id"].to_pylist()) == {new.key_id}:
                continue
            record_decryption(lake_root, service_date=day, run_id=run_id, reader=READER,
                              purpose="identity key rotation", key_id=old.key_id,
                              identities_read=table.num_rows)  # fmt: skip
            write_partition(path, _rewrap(table, columns, old, new), day, run_id=run_id)
            done[name] += table.num_rows
            print(f"[rekey-identities] {name} {day}: {table.num_rows} rows", file=sys.stderr)
    return done
