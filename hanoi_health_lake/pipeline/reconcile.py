"""Nothing lost: per facility and dataset, delivered = accepted + quarantined + superseded."""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa

from hanoi_health_lake.lake.catalog import schema

RECONCILIATION_SCHEMA = schema("reconciliation")  # declared in lake/catalog.py


def reconciliation(
    service_date: date,
    bronze_files: pa.Table,
    outcomes: pl.DataFrame,
    run_id: str,
) -> pa.Table:
    """`bronze_files`: the day's file rows; `outcomes`: one row per counted record with
    facility_code, dataset and outcome (accepted | quarantined | superseded)."""
    file_counts = (
        pl.from_arrow(bronze_files.select(["facility_code", "dataset", "status"]))
        .select(
            pl.col("facility_code").cast(pl.Utf8),
            pl.col("dataset").cast(pl.Utf8).fill_null("unknown"),
            failed=pl.col("status") == "error",
        )
        .group_by("facility_code", "dataset")
        .agg(files=pl.len().cast(pl.Int64), files_failed=pl.col("failed").sum().cast(pl.Int64))
    )
    record_counts = outcomes.group_by("facility_code", "dataset").agg(
        delivered=pl.len().cast(pl.Int64),
        accepted=(pl.col("outcome") == "accepted").sum().cast(pl.Int64),
        quarantined=(pl.col("outcome") == "quarantined").sum().cast(pl.Int64),
        superseded=(pl.col("outcome") == "superseded").sum().cast(pl.Int64),
    )
    counts = ("files", "files_failed", "delivered", "accepted", "quarantined", "superseded")
    joined = (
        file_counts.join(record_counts, on=["facility_code", "dataset"], how="full", coalesce=True)
        .with_columns(pl.col(c).fill_null(0) for c in counts)
        .with_columns(service_date=pl.lit(service_date), run_id=pl.lit(run_id))
        .sort("facility_code", "dataset")
    )
    return joined.select(RECONCILIATION_SCHEMA.names).to_arrow().cast(RECONCILIATION_SCHEMA)
