"""No citizen id, name, phone, insurance number or street address reaches silver."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from tests.identifiers import delivered_identifiers
from tests.integration.lake_helpers import SILVER, read


def _identifiers(home: Path) -> set[str]:
    return delivered_identifiers(read(home, "bronze_records"))


def test_no_personal_identifier_in_any_silver_string_column(ingested_home: Path):
    identifiers = _identifiers(ingested_home)
    citizen_ids = {v for v in identifiers if re.fullmatch(r"\d{12}", v)}
    assert len(citizen_ids) > 50 and len(identifiers) > 200
    for table in SILVER:
        frame = read(ingested_home, table)
        for column, dtype in frame.schema.items():
            if dtype == pl.Utf8:
                values = set(frame[column].drop_nulls().unique())
            elif dtype == pl.List(pl.Utf8):
                values = set(frame[column].explode().drop_nulls().unique())
            else:
                continue
            leaked = values & identifiers
            assert not leaked, (table, column, sorted(leaked)[:5])
            embedded = [
                v
                for v in values
                if re.search(r"(?<!\d)\d{12}(?!\d)", v) and any(c in v for c in citizen_ids)
            ]
            assert not embedded, (table, column, embedded[:5])
