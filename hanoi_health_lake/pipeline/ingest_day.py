"""One service day from landing files to the tables that hold it, in memory, ready to write.

Order matters for the invariants: superseded versions are set aside before validation (a
correction is judged on its own), validation sees each dataset once per day, and the
encounters of the day resolve the patient of CSV drug lines, referral and appointment letters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa

from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.conform.silver import conform, encounter_lookup
from hanoi_health_lake.conform.silver_schemas import SILVER_SCHEMAS
from hanoi_health_lake.conform.staging import staged_frame
from hanoi_health_lake.contracts.context import ValidationContext
from hanoi_health_lake.contracts.validate import RuleResult, validate
from hanoi_health_lake.pipeline import bronze, quarantine
from hanoi_health_lake.pipeline.parse_day import DeliveredFile, parse_day
from hanoi_health_lake.pipeline.reconcile import reconciliation
from hanoi_health_lake.pipeline.supersede import mark_superseded
from hanoi_health_lake.records import DATASETS

SILVER_TABLES = tuple(SILVER_SCHEMAS)
# Datasets whose CSV layout names the encounter but not the patient.
BORROWS_PATIENT = ("prescriptions", "referrals", "appointments")
OUTCOME_SCHEMA = {"facility_code": pl.Utf8, "dataset": pl.Utf8, "outcome": pl.Utf8}


@dataclass
class DayIngest:
    service_date: date
    tables: dict[str, pa.Table]  # every table's rows for this day, by table name
    rules: dict[str, dict[str, RuleResult]] = field(default_factory=dict)  # dataset → rule → result
    gx_success: dict[str, bool] = field(default_factory=dict)
    suites: dict[str, str] = field(default_factory=dict)


def ingest_day(
    landing_root: Path,
    service_date: date,
    *,
    registry_codes: frozenset[str],
    key: bytes,
    run_id: str,
    progress: Callable[[int, int], None] | None = None,
) -> DayIngest:
    files = parse_day(landing_root, service_date, registry_codes, progress)
    pseudonymizer = Pseudonymizer(key)
    ctx = ValidationContext(registry_codes=registry_codes)
    day = DayIngest(service_date, {})
    quarantined = [quarantine.file_rows(service_date, files, run_id)]
    silver_parts: dict[str, list[pa.Table]] = {name: [] for name in SILVER_TABLES}
    outcomes: list[pl.DataFrame] = []
    lookup = None

    for dataset in DATASETS:  # encounters first: the others borrow its patients
        items = [
            (f.parsed, record)
            for f in files
            if f.dataset == dataset and f.parsed.status == "ok"
            for record in f.parsed.records
        ]
        staged = mark_superseded(staged_frame(dataset, items, service_date=service_date))
        current = staged.filter(~pl.col("is_superseded"))
        outcome = validate(dataset, current, ctx)
        day.rules[dataset] = outcome.rules
        day.gx_success[dataset] = outcome.success
        day.suites[dataset] = outcome.suite_name
        accepted = outcome.accepted(current)
        rejected = outcome.rejected(current)
        if dataset == "encounters":
            # Quarantined encounters still name their patient; a drug line of a rejected
            # encounter is judged on its own and keeps its patient.
            lookup = encounter_lookup(current, pseudonymizer)
        if rejected.height:
            quarantined.append(quarantine.record_rows(dataset, rejected, run_id))
        borrowed = lookup if dataset in BORROWS_PATIENT else None
        for table, rows in conform(
            dataset, accepted, pseudonymizer, borrowed, run_id=run_id
        ).items():
            silver_parts[table].append(rows)
        outcomes.append(
            staged.select(
                pl.col("facility_folder").alias("facility_code"),
                pl.lit(dataset).alias("dataset"),
                pl.when(pl.col("is_superseded"))
                .then(pl.lit("superseded"))
                .when(pl.Series(values=_rejected_flags(staged, outcome.rejected_mask)))
                .then(pl.lit("quarantined"))
                .otherwise(pl.lit("accepted"))
                .alias("outcome"),
            )
        )

    day.tables["bronze_files"] = bronze.bronze_files(service_date, files, run_id)
    day.tables["bronze_records"] = bronze.bronze_records(service_date, files, run_id)
    day.tables["quarantine"] = pa.concat_tables(quarantined)
    for table, parts in silver_parts.items():
        day.tables[table] = (
            pa.concat_tables(parts) if parts else SILVER_SCHEMAS[table].empty_table()
        )
    all_outcomes = pl.concat(outcomes) if outcomes else pl.DataFrame(schema=OUTCOME_SCHEMA)
    day.tables["reconciliation"] = reconciliation(service_date, files, all_outcomes, run_id)
    return day


def _rejected_flags(staged: pl.DataFrame, rejected_current: pl.Series) -> list[bool]:
    """Spread the validation verdicts of the current rows back over all staged rows."""
    flags = iter(rejected_current.to_list())
    return [False if sup else next(flags) for sup in staged["is_superseded"].to_list()]


__all__ = ["DayIngest", "DeliveredFile", "ingest_day"]
