"""One service day from landing files to the tables that hold it, in memory, ready to write.

Order matters for the invariants: superseded versions are set aside before validation (a
correction is judged on its own), validation sees each dataset once per day, and the
encounters of the day resolve the patient of CSV drug lines, referral and appointment letters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.conform.silver import conform, encounter_lookup
from hanoi_health_lake.conform.silver_schemas import SILVER_SCHEMAS
from hanoi_health_lake.contracts import gx_suite
from hanoi_health_lake.contracts.context import ValidationContext
from hanoi_health_lake.contracts.model import contract_for
from hanoi_health_lake.contracts.validate import RuleResult, validate
from hanoi_health_lake.pipeline import quarantine
from hanoi_health_lake.pipeline.parse_day import BRONZE_ROW, DeliveredFile, parse_day
from hanoi_health_lake.pipeline.reconcile import reconciliation
from hanoi_health_lake.pipeline.supersede import mark_superseded
from hanoi_health_lake.records import DATASETS

SILVER_TABLES = tuple(SILVER_SCHEMAS)
# Datasets whose CSV layout names the encounter but not the patient.
BORROWS_PATIENT = ("prescriptions", "referrals", "appointments", "services", "lab_results")
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
    # Great Expectations takes seconds to import and set up: done while the files are parsed.
    warm_up = threading.Thread(
        target=gx_suite.warm_up,
        args=([contract_for(dataset) for dataset in DATASETS],),
        name="hhl-gx-warm-up",
        daemon=True,
    )
    warm_up.start()
    try:
        parsed = parse_day(landing_root, service_date, registry_codes, progress, run_id=run_id)
    finally:
        warm_up.join()
    pseudonymizer = Pseudonymizer(key)
    ctx = ValidationContext(registry_codes=registry_codes)
    day = DayIngest(service_date, {})
    payloads = parsed.bronze_records.column("payload")
    quarantined = [quarantine.file_rows(parsed.bronze_files, run_id)]
    silver_parts: dict[str, list[pa.Table]] = {name: [] for name in SILVER_TABLES}
    outcomes: list[pl.DataFrame] = []
    lookup = None

    for dataset in DATASETS:  # encounters first: the others borrow its patients
        staged = mark_superseded(parsed.staged.pop(dataset))
        current = staged.filter(~pl.col("is_superseded"))
        judged = current.drop(BRONZE_ROW)
        outcome = validate(dataset, judged, ctx)
        day.rules[dataset] = outcome.rules
        day.gx_success[dataset] = outcome.success
        day.suites[dataset] = outcome.suite_name
        accepted = outcome.accepted(judged)
        rejected = outcome.rejected(current)  # keeps BRONZE_ROW
        if dataset == "encounters":
            # Quarantined encounters still name their patient; a drug line of a rejected
            # encounter is judged on its own and keeps its patient.
            lookup = encounter_lookup(judged, pseudonymizer)
        if rejected.height:
            # Payloads live in bronze_records only; the few rejected ones are fetched back.
            rejected = rejected.with_columns(
                payload=pl.from_arrow(_take(payloads, rejected[BRONZE_ROW].to_numpy()))
            )
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
                .when(_rejected_flags(staged, outcome.rejected_mask))
                .then(pl.lit("quarantined"))
                .otherwise(pl.lit("accepted"))
                .alias("outcome"),
            )
        )
        del staged, current, judged, accepted, rejected, outcome

    day.tables["bronze_files"] = parsed.bronze_files
    day.tables["bronze_records"] = parsed.bronze_records
    day.tables["quarantine"] = pa.concat_tables(quarantined)
    for table, parts in silver_parts.items():
        day.tables[table] = (
            pa.concat_tables(parts) if parts else SILVER_SCHEMAS[table].empty_table()
        )
    all_outcomes = pl.concat(outcomes) if outcomes else pl.DataFrame(schema=OUTCOME_SCHEMA)
    day.tables["reconciliation"] = reconciliation(
        service_date, parsed.bronze_files, all_outcomes, run_id
    )
    return day


def _take(column: pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """`column.take(rows)` chunk by chunk: a take across chunks would first copy the whole
    column (the day's payloads) into one array."""
    bounds = np.cumsum([0, *(len(chunk) for chunk in column.chunks)])
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    cuts = np.searchsorted(ordered, bounds)
    pieces = [
        chunk.take(pa.array(ordered[lo:hi] - start))
        for chunk, start, lo, hi in zip(column.chunks, bounds, cuts, cuts[1:], strict=False)
        if hi > lo
    ]
    taken = pa.concat_arrays(pieces) if pieces else pa.array([], column.type)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return taken.take(pa.array(inverse))


def _rejected_flags(staged: pl.DataFrame, rejected_current: pl.Series) -> pl.Series:
    """Spread the validation verdicts of the current rows back over all staged rows."""
    superseded = staged["is_superseded"].to_numpy()
    flags = np.zeros(staged.height, dtype=bool)
    flags[~superseded] = rejected_current.to_numpy()
    return pl.Series("is_rejected", flags)


__all__ = ["DayIngest", "DeliveredFile", "ingest_day"]
