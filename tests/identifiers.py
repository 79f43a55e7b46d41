"""The personal values a delivery carried, read back from bronze as delivered: what the privacy
tests and the fuzzer look for in silver and the warehouses."""

from __future__ import annotations

import json
from collections.abc import Iterable

import polars as pl

CSV_PII = ("SO_CCCD", "HO_TEN", "DIEN_THOAI", "MA_THE_BHYT", "DIA_CHI", "MA_BN")


def delivered_identifiers(bronze_records: pl.DataFrame, ignore: Iterable[str] = ()) -> set[str]:
    """Every personal value in the bronze payloads (Patient identifier, name, telecom, address;
    the QĐ 130 CSV identity columns), less codes and short tokens (system URIs, "home", "VN")
    and any value in `ignore`."""
    found: set[str] = set()
    for payload, resource in bronze_records.select("payload", "resource_type").iter_rows():
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if resource == "Patient":
            for key in ("identifier", "name", "telecom", "address"):
                _walk_strings(data.get(key), found)
        else:
            found.update(str(data[c]) for c in CSV_PII if data.get(c))
    skip = set(ignore)
    return {
        v for v in found if len(v) >= 6 and not v.startswith(("urn:", "http")) and v not in skip
    }


def _walk_strings(value, out: set[str]) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _walk_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _walk_strings(v, out)
    elif isinstance(value, str):
        out.add(value)
