"""The facility registry the Department keeps (`registry/facilities.csv`), read as a typed table.

The contact columns (whom to call about the facility's deliveries: its own staff, a business
contact, never a patient) are optional: a registry from before they existed loads with them
empty, and a blank cell reads as null.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

REGISTRY_SCHEMA = {
    "facility_code": pl.Utf8,
    "name": pl.Utf8,
    "facility_type": pl.Utf8,
    "ownership": pl.Utf8,
    "level": pl.Utf8,
    "ward_code": pl.Utf8,
    "ward_name": pl.Utf8,
    "opened_date": pl.Utf8,
    "go_live_date": pl.Utf8,
    "datasets": pl.Utf8,
    "export_format": pl.Utf8,
    "imaging_format": pl.Utf8,
}
CONTACT_COLUMNS = ("contact_name", "contact_phone", "contact_email")


def load_registry(path: Path) -> pl.DataFrame:
    """Typed registry: dates as Date (go_live_date null = never connected), datasets as a list."""
    if not path.exists():
        raise FileNotFoundError(
            f"facility registry not found at {path}; run `hhl simulate` or place the "
            "Department's registry there"
        )
    raw = pl.read_csv(
        path,
        schema_overrides=REGISTRY_SCHEMA | dict.fromkeys(CONTACT_COLUMNS, pl.Utf8),
        encoding="utf8",
    )
    missing = sorted(set(REGISTRY_SCHEMA) - set(raw.columns))
    if missing:
        raise ValueError(f"{path}: registry lacks columns {missing}")
    raw = raw.with_columns(
        pl.lit(None, pl.Utf8).alias(c) for c in CONTACT_COLUMNS if c not in raw.columns
    )
    return raw.select(
        pl.col("facility_code").str.strip_chars(),
        "name",
        "facility_type",
        "ownership",
        "level",
        pl.col("ward_code").str.zfill(5),
        "ward_name",
        pl.col("opened_date").str.to_date("%Y-%m-%d", strict=True),
        pl.col("go_live_date").str.to_date("%Y-%m-%d", strict=True),
        pl.col("datasets")
        .fill_null("")
        .str.split(";")
        .list.eval(pl.element().filter(pl.element() != "")),
        "export_format",
        pl.col("imaging_format").fill_null(""),
        *(_blank_as_null(c) for c in CONTACT_COLUMNS),
    )


def _blank_as_null(name: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    return pl.when(value != "").then(value).alias(name)


def registry_codes(registry: pl.DataFrame) -> frozenset[str]:
    return frozenset(registry["facility_code"].to_list())
