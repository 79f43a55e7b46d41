"""No citizen id, name, phone, insurance number or street address reaches silver."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

from tests.integration.lake_helpers import SILVER, read

CSV_PII = ("SO_CCCD", "HO_TEN", "DIEN_THOAI", "MA_THE_BHYT", "DIA_CHI", "MA_BN")


def _walk_strings(value, out: set[str]) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _walk_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _walk_strings(v, out)
    elif isinstance(value, str):
        out.add(value)


def _identifiers(home: Path) -> set[str]:
    """Every personal value delivered, read back from bronze payloads as delivered."""
    found: set[str] = set()
    bronze = read(home, "bronze_records")
    for payload, resource in bronze.select("payload", "resource_type").iter_rows():
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            continue
        if resource == "Patient":
            for key in ("identifier", "name", "telecom", "address"):
                _walk_strings(data.get(key), found)
        elif isinstance(data, dict):
            found.update(str(data[c]) for c in CSV_PII if data.get(c))
    # Codes and short tokens (system URIs, "home", "VN") are not identifiers of a person.
    return {v for v in found if len(v) >= 6 and not v.startswith(("urn:", "http"))}


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
