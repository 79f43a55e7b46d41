"""Every decryption of identities leaves a row: when, which run, for what, how many, which day.

Appended (never overwritten) to the Delta table audit/identity_decryptions, before the decrypted
values are handed back: a read that cannot be audited does not happen.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from hanoi_health_lake.health_book.tables import SCHEMAS, table_path
from hanoi_health_lake.lake.locks import table_writer_lock

TABLE = "identity_decryptions"


def record_decryption(
    lake_root: Path,
    *,
    service_date: date,
    run_id: str,
    purpose: str,
    reader: str,
    key_id: str,
    identities_read: int,
) -> None:
    row = pa.table(
        {
            "service_date": [service_date],
            "decrypted_at": [datetime.now(UTC)],
            "run_id": [run_id],
            "purpose": [purpose],
            "reader": [reader],
            "key_id": [key_id],
            "identities_read": [identities_read],
        },
        schema=SCHEMAS[TABLE],
    )
    path = table_path(lake_root, TABLE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with table_writer_lock(str(path)):
        write_deltalake(str(path), row, mode="append")
