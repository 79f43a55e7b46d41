"""Corrections win: of several deliveries of the same record, the latest version is kept.

The natural key is (landing facility, record id) within one service day and dataset. Versions are
ordered by the file's `_version` (pipeline/versions.py: export time capped at arrival, then
arrival, then landing path), so exactly one file holds the current version of a key, even when
two files carry the same export time (two CSVs; a Bundle and an NDJSON of one export). Copies in
other files are superseded — a record counts once however many current files repeat it — and
not rejected: the facility meant the record, only its delivery was repeated. Copies inside the
winning file are left for the uniqueness rule, since nothing says which of them the facility
meant.
"""

from __future__ import annotations

import polars as pl

KEY = ("facility_folder", "record_id")
VERSION = "_version"  # parse_day.VERSION


def mark_superseded(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `is_superseded`: another file holds a later version of the same key."""
    version = (
        pl.col(VERSION)
        if VERSION in frame.columns
        else pl.concat_str(  # frames staged outside parse_day: export time, then path
            pl.col("export_ts").dt.strftime("%Y%m%dT%H%M%S%.f").fill_null(""),
            pl.col("source_file"),
            separator="|",
        )
    )
    frame = frame.with_columns(version.alias("_version_order"))
    latest = pl.col("_version_order").max().over(KEY)
    return frame.with_columns(
        is_superseded=(
            pl.col("record_id").is_not_null() & (pl.col("_version_order") < latest)
        ).fill_null(False)
    ).drop("_version_order")
