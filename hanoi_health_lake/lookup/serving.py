"""One day of the health-book outbox into the serving store (the Dagster asset and `hhl api
load` both call `load_day`), read with the health book's own reader."""

from __future__ import annotations

from pathlib import Path

from hanoi_health_lake.health_book.outbox import MANIFEST, day_dir, read_documents
from hanoi_health_lake.lookup.citizen_hash import CitizenHasher
from hanoi_health_lake.lookup.loader import LoadCounts, load_documents
from hanoi_health_lake.lookup.settings import dsn, lookup_key
from hanoi_health_lake.lookup.store import connect


def outbox_day_exists(home: Path, day: str) -> bool:
    return (day_dir(Path(home), day) / MANIFEST).is_file()


def load_into(conn, home: Path, day: str, hasher: CitizenHasher) -> LoadCounts:
    return load_documents(conn, read_documents(home, day), hasher, day)


def load_day(
    home: Path, day: str, *, dsn_value: str | None = None, key: bytes | None = None
) -> LoadCounts:
    conn = connect(dsn_value or dsn())
    try:
        return load_into(conn, home, day, CitizenHasher(key or lookup_key()))
    finally:
        conn.close()
