"""Corrections win: of several deliveries of the same record, the latest version is kept.

The natural key is (landing facility, record id) within one service day and dataset. Files are
ranked oldest first by `min(export_ts, arrived_at)`, then arrival, then landing path
(pipeline/versions.py), so exactly one file holds the current version of a key, even when two
files carry the same export time (two CSVs; a Bundle and an NDJSON of one export). Copies in
other files are superseded — a record counts once however many current files repeat it — and
not rejected: the facility meant the record, only its delivery was repeated, and reconciliation
counts it where corrections go. Copies inside the winning file are left for the uniqueness rule,
since nothing says which of them the facility meant.
"""

from __future__ import annotations

import polars as pl

from hanoi_health_lake.conform.columns import DATETIME

KEY = ("facility_folder", "record_id")
_RANK = "_file_rank"


def file_ranks(frame: pl.DataFrame, arrivals: pl.DataFrame | None = None) -> pl.DataFrame:
    """`source_file` → its rank among the versions in `frame` (0 oldest). `arrivals` holds
    `source_file, arrived_at` (bronze_files); without it, files rank by export time and path."""
    files = frame.select("source_file", "export_ts").unique("source_file")
    if arrivals is not None:
        files = files.join(
            arrivals.select("source_file", pl.col("arrived_at").cast(DATETIME)),
            on="source_file",
            how="left",
        )
    else:
        files = files.with_columns(arrived_at=pl.lit(None, dtype=DATETIME))
    version = pl.min_horizontal("export_ts", "arrived_at")  # nulls ignored
    return (
        files.sort(
            version, pl.col("arrived_at").fill_null(version), "source_file", nulls_last=False
        )
        .with_row_index(_RANK)
        .select("source_file", _RANK)
    )


def mark_superseded(frame: pl.DataFrame, arrivals: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add `is_superseded`: another file holds a later version of the same key."""
    if frame.is_empty() or not frame.select(pl.struct(KEY).is_duplicated().any()).item():
        # No key twice (most batches): nothing to rank, nothing superseded.
        return frame.with_columns(is_superseded=pl.lit(False))
    ranked = frame.join(
        file_ranks(frame, arrivals), on="source_file", how="left", maintain_order="left"
    )
    latest = pl.col(_RANK).max().over(KEY)
    return ranked.with_columns(
        is_superseded=(pl.col("record_id").is_not_null() & (pl.col(_RANK) < latest)).fill_null(
            False
        )
    ).drop(_RANK)
