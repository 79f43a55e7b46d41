"""No record counts twice: every silver table holds at most one row per natural key and
facility-day.

Supersession, the cross-file rule, folder checks and the DICOM roll-up each close one way a
record could be counted twice; this check reads back what was written, so the next way in fails
the day's run instead of reaching the marts. It reads the Delta table itself, not the frames in
memory, so a writer that appends instead of replacing is caught as well.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from hanoi_health_lake.lake.delta_io import read_table, table_exists

DUPLICATE_KEY_CHECK = "unique_key_per_facility_day"
FACILITY_DAY = ("service_date", "facility_code")
# The natural key of each silver table within one facility-day (docs/lake-tables.md).
SILVER_KEYS: dict[str, tuple[str, ...]] = {
    "encounters": ("encounter_id",),
    "diagnoses": ("encounter_id", "icd10"),
    "prescriptions": ("prescription_code", "encounter_id"),
    "prescription_items": ("line_id",),
    "referrals": ("referral_id",),
    "appointments": ("appointment_id",),
    "imaging_studies": ("study_uid",),
    "services": ("line_id",),
    "lab_results": ("line_id",),
    "checkins": ("encounter_id",),
}
_SHOWN = 20


def duplicate_keys(table: str, table_path: str | Path, service_date: date) -> pl.DataFrame:
    """Keys of `table` held more than once in the `service_date` partition, with their count."""
    key = [*FACILITY_DAY, *SILVER_KEYS[table]]
    if not table_exists(table_path):
        return pl.DataFrame(
            schema={name: pl.Utf8 for name in key}
            | {"rows": pl.UInt32, "source_files": pl.List(pl.Utf8)}
        )
    rows = pl.from_arrow(read_table(table_path, [service_date], [*key, "source_file"]))
    return (
        rows.group_by(key)
        .agg(
            pl.len().alias("rows"),
            pl.col("source_file").unique(maintain_order=True).head(3).alias("source_files"),
        )
        .filter(pl.col("rows") > 1)
        .sort(key, nulls_last=True)
    )


def duplicate_key_check(
    table: str, table_path: str | Path, service_date: date
) -> dg.AssetCheckResult:
    duplicates = duplicate_keys(table, table_path, service_date)
    key = ", ".join(SILVER_KEYS[table])
    # One example per key and file, so alerts name the facility and the landing files.
    shown = (
        duplicates.explode("source_files")
        .rename({"source_files": "source_file"})
        .head(_SHOWN)
        .with_columns(pl.col(pl.Date).cast(pl.Utf8))
        .to_dicts()
    )
    return dg.AssetCheckResult(
        asset_key=table,
        check_name=DUPLICATE_KEY_CHECK,
        passed=duplicates.height == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"at most one row per facility, service day and {key}: "
            f"{duplicates.height} key(s) held more than once on {service_date.isoformat()}"
        ),
        metadata={
            "key": list(SILVER_KEYS[table]),
            "duplicate_keys": duplicates.height,
            "extra_rows": int(duplicates["rows"].sum() - duplicates.height)
            if duplicates.height
            else 0,
            "examples": shown,
        },
    )
