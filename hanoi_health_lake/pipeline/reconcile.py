"""Nothing lost: per facility and dataset, delivered = accepted + quarantined + superseded."""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa

from hanoi_health_lake.pipeline.parse_day import DeliveredFile

RECONCILIATION_SCHEMA = pa.schema(
    [
        ("service_date", pa.date32()),
        ("facility_code", pa.string()),
        ("dataset", pa.string()),
        ("files", pa.int64()),
        ("files_failed", pa.int64()),
        ("delivered", pa.int64()),
        ("accepted", pa.int64()),
        ("quarantined", pa.int64()),
        ("superseded", pa.int64()),
        ("run_id", pa.string()),
    ]
)


def reconciliation(
    service_date: date,
    files: list[DeliveredFile],
    outcomes: pl.DataFrame,
    run_id: str,
) -> pa.Table:
    """`outcomes`: one row per counted record with facility_code, dataset and outcome
    (accepted | quarantined | superseded)."""
    file_counts = (
        pl.DataFrame(
            {
                "facility_code": [f.facility_code for f in files],
                "dataset": [f.dataset or "unknown" for f in files],
                "failed": [f.parsed.status == "error" for f in files],
            },
            schema={"facility_code": pl.Utf8, "dataset": pl.Utf8, "failed": pl.Boolean},
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
