"""Corrections win: of several deliveries of the same record, the latest export is kept.

The natural key is (landing facility, record id) within one service day and dataset. Versions from
an earlier export are superseded, not rejected; copies inside one delivery are left for the
uniqueness rule, since nothing says which of them the facility meant.
"""

from __future__ import annotations

import polars as pl

KEY = ("facility_folder", "record_id")


def mark_superseded(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `is_superseded`: a later export of the same key exists."""
    latest = pl.col("export_ts").max().over(KEY)
    return frame.with_columns(
        is_superseded=(
            pl.col("record_id").is_not_null() & (pl.col("export_ts") < latest)
        ).fill_null(False)
    )
