"""Quarantine rows: every rejected record and every file that could not be read, with the rules
they broke and a reason a data engineer can act on (it names the file and the record)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from hanoi_health_lake.lake.catalog import schema

QUARANTINE_SCHEMA = schema("quarantine")  # declared in lake/catalog.py


def rule_category(rule_id: str) -> str:
    """Kahn category of a rule id: its prefix (conformance, completeness, plausibility, …)."""
    return rule_id.split(".", 1)[0]


def file_rows(bronze_files: pa.Table, run_id: str) -> pa.Table:
    """One row per file that could not be read, from the day's `bronze_files` rows."""
    failed = pl.from_arrow(bronze_files).filter(pl.col("status") == "error")
    rules = failed["error_rule"].fill_null("file.unreadable").to_list()
    frame = failed.select(
        "service_date",
        "facility_code",
        "dataset",
        "source_file",
        "export_ts",
        record_no=pl.lit(None, dtype=pl.Int64),
        locator=pl.lit("whole file"),
        record_id=pl.lit(None, dtype=pl.Utf8),
        rule_ids=pl.Series([[rule] for rule in rules], dtype=pl.List(pl.Utf8)),
        categories=pl.Series([[rule_category(rule)] for rule in rules], dtype=pl.List(pl.Utf8)),
        severity=pl.lit("error"),
        reason=pl.col("error_message").fill_null(pl.col("source_file") + pl.lit(": unreadable")),
        payload=pl.lit(None, dtype=pl.Utf8),
        run_id=pl.lit(run_id),
    )
    return frame.to_arrow().cast(QUARANTINE_SCHEMA)


def record_rows(dataset: str, rejected: pl.DataFrame, run_id: str) -> pa.Table:
    """`rejected` comes from `ValidationOutcome.rejected`: staged rows with rule_ids,
    categories, severity and reason."""
    frame = rejected.select(
        "service_date",
        pl.col("facility_folder").alias("facility_code"),
        pl.lit(dataset).alias("dataset"),
        "source_file",
        "export_ts",
        "record_no",
        "locator",
        "record_id",
        "rule_ids",
        "categories",
        "severity",
        "reason",
        "payload",
        pl.lit(run_id).alias("run_id"),
    )
    return frame.to_arrow().cast(QUARANTINE_SCHEMA)
