"""Quarantine rows: every rejected record and every file that could not be read, with the rules
they broke and a reason a data engineer can act on (it names the file and the record)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pyarrow as pa

from hanoi_health_lake.pipeline.parse_day import DeliveredFile

QUARANTINE_SCHEMA = pa.schema(
    [
        ("service_date", pa.date32()),
        ("facility_code", pa.string()),
        ("dataset", pa.string()),
        ("source_file", pa.string()),
        ("export_ts", pa.timestamp("us")),
        ("record_no", pa.int64()),
        ("locator", pa.string()),
        ("record_id", pa.string()),
        ("rule_ids", pa.list_(pa.string())),
        ("categories", pa.list_(pa.string())),
        ("severity", pa.string()),
        ("reason", pa.string()),
        ("payload", pa.string()),
        ("run_id", pa.string()),
    ]
)


def rule_category(rule_id: str) -> str:
    """Kahn category of a rule id: its prefix (conformance, completeness, plausibility, …)."""
    return rule_id.split(".", 1)[0]


def file_rows(service_date: date, files: list[DeliveredFile], run_id: str) -> pa.Table:
    failed = [f for f in files if f.parsed.status == "error"]
    rule = [f.parsed.error_rule or "file.unreadable" for f in failed]
    return pa.table(
        {
            "service_date": [service_date] * len(failed),
            "facility_code": [f.facility_code for f in failed],
            "dataset": [f.dataset for f in failed],
            "source_file": [f.parsed.path for f in failed],
            "export_ts": [f.name.export_ts if f.name else None for f in failed],
            "record_no": [None] * len(failed),
            "locator": ["whole file"] * len(failed),
            "record_id": [None] * len(failed),
            "rule_ids": [[r] for r in rule],
            "categories": [[rule_category(r)] for r in rule],
            "severity": ["error"] * len(failed),
            "reason": [f.parsed.error_message or f"{f.parsed.path}: unreadable" for f in failed],
            "payload": [None] * len(failed),
            "run_id": [run_id] * len(failed),
        },
        schema=QUARANTINE_SCHEMA,
    )


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
