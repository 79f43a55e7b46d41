"""One service day from landing files to the tables that hold it, in memory, ready to write.

Order matters for the invariants: superseded versions are set aside before validation (a
correction is judged on its own), validation sees each dataset once per day, and the
encounters of the day resolve the patient of CSV drug lines, referral and appointment letters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from hanoi_health_lake.arrow_take import take_column
from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.conform.silver import conform, encounter_lookup
from hanoi_health_lake.contracts import gx_suite
from hanoi_health_lake.contracts.audit_schedule import EVERY_TIME, AuditSchedule
from hanoi_health_lake.contracts.context import ValidationContext
from hanoi_health_lake.contracts.model import contract_for
from hanoi_health_lake.contracts.validate import RuleResult, audit_key, validate
from hanoi_health_lake.health_book.identities import plain_identities
from hanoi_health_lake.lake.catalog import SILVER_SCHEMAS
from hanoi_health_lake.parsers.landing_paths import (
    discover_facility,
    display_path,
    named_dataset,
)
from hanoi_health_lake.pipeline import judge_scope, quarantine
from hanoi_health_lake.pipeline.delivered import DeliveredFile
from hanoi_health_lake.pipeline.parse_day import BRONZE_ROW, parse_day
from hanoi_health_lake.pipeline.reconcile import reconciliation
from hanoi_health_lake.pipeline.supersede import mark_superseded
from hanoi_health_lake.records import DATASETS

log = logging.getLogger(__name__)

SILVER_TABLES = tuple(SILVER_SCHEMAS)
INTERNAL_ERROR = "file.internal_error"  # a file our own code failed on: set aside, day goes on
# Datasets whose CSV layout names the encounter but not the patient.
BORROWS_PATIENT = ("prescriptions", "referrals", "appointments", "services", "lab_results")
OUTCOME_SCHEMA = {"facility_code": pl.Utf8, "dataset": pl.Utf8, "outcome": pl.Utf8}


@dataclass
class DayIngest:
    service_date: date
    tables: dict[str, pa.Table]  # every table's rows for this day, by table name
    rules: dict[str, dict[str, RuleResult]] = field(default_factory=dict)  # dataset → rule → result
    suite_success: dict[str, bool] = field(default_factory=dict)
    suites: dict[str, str] = field(default_factory=dict)
    files_parsed: int = 0  # files parsed now (the rest of the files came from the parse cache)
    # An arrival batch's: per facility, the datasets judged (the rest keep their rows in the
    # lake, pipeline/judge_scope.py); None: every dataset of every facility was judged.
    scope: judge_scope.Scope | None = None
    records_judged: int = 0  # staged records validated and conformed
    # An arrival batch's slices (facility_code) whose new files alone were read, to be added to
    # the rows the lake holds (realtime/append_slices.py); the other slices were read whole.
    appended: frozenset[str] = frozenset()
    # An arrival batch's slices (facility_code) read without the files of some datasets, whose
    # rows the lake keeps (realtime/append_slices.py: a hospital's check-ins): dataset names.
    unread: dict[str, frozenset[str]] = field(default_factory=dict)
    # Who each accepted encounter with a usable citizen id is about, in the clear: memory only,
    # encrypted into the restricted zone by the ingest asset (health_book/identities.py).
    identities: pl.DataFrame | None = None


def ingest_day(
    landing_root: Path,
    service_date: date,
    *,
    registry_codes: frozenset[str],
    key: bytes,
    run_id: str,
    progress: Callable[[int, int], None] | None = None,
    facilities: Collection[str] | None = None,
    audits: AuditSchedule = EVERY_TIME,
    cache_lake: Path | None = None,
    workers: int | None = None,
    changed: Collection[str] | None = None,
    appended: Mapping[str, list[str]] | None = None,
    unread: Mapping[str, frozenset[str]] | None = None,
) -> DayIngest:
    """Every file landed for `service_date`, or with `facilities` (landing folder names) only
    theirs: an arrival batch's (service day, facility) slices. Nothing in the day's judging
    crosses facilities (supersession, reconciliation and the patient lookup are keyed by the
    landing folder), so a slice's rows are exactly the rows a whole-day run gives it.
    `cache_lake` and `workers` go to `parse_day` (the arrival path: its parse cache, one
    process). `changed` (landing paths: an arrival batch's arrivals) narrows the judging to the
    datasets those files can change (pipeline/judge_scope.py); the quarantine and
    reconciliation rows of the others are then left out, for the writer to keep. `appended`
    (facility folder → landing paths, among `facilities`): of those slices, read only these
    files, whose rows the writer adds to the slice's (realtime/append_slices.py). `unread`
    (facility folder → dataset names, among `facilities`, with `changed`): those datasets'
    files of the slice are not read; none of `changed` may be among them."""
    # Great Expectations takes seconds to import and set up: done while the files are parsed,
    # for the suites whose audit is due (`audits`: every one, but on the arrival path).
    contracts = [contract_for(dataset) for dataset in DATASETS]
    warm_up = threading.Thread(
        target=gx_suite.warm_up,
        args=([c for c in contracts if audits.due(audit_key(c))],),
        name="hhl-gx-warm-up",
        daemon=True,
    )
    warm_up.start()
    try:
        relpaths = None
        if facilities is not None:
            chosen, skipped = appended or {}, unread or {}
            relpaths = [
                relpath
                for facility in sorted(set(facilities))
                for relpath in (
                    chosen[facility]
                    if facility in chosen
                    else discover_facility(landing_root, service_date, facility)
                )
                if facility not in skipped or named_dataset(relpath) not in skipped[facility]
            ]
        parsed = parse_day(
            landing_root, service_date, registry_codes, progress, run_id=run_id,
            relpaths=relpaths, cache_lake=cache_lake, workers=workers,
        )  # fmt: skip
    finally:
        warm_up.join()
    pseudonymizer = Pseudonymizer(key)
    ctx = ValidationContext(registry_codes=registry_codes, audits=audits)
    day = DayIngest(service_date, {}, files_parsed=parsed.files_parsed)
    day.appended = frozenset(display_path(folder) for folder in appended or {})
    day.unread = {display_path(folder): names for folder, names in (unread or {}).items()}
    if changed is not None:
        shown = {display_path(relpath) for relpath in changed}
        day.scope = judge_scope.touched(parsed.bronze_files, parsed.staged, shown, BORROWS_PATIENT)
        for facility, names in day.unread.items():
            if names & day.scope.get(facility, frozenset()):  # the caller's error: not judged
                raise ValueError(f"{facility}: {sorted(names)} must be judged, yet were not read")
    payloads = parsed.bronze_records.column("payload")
    quarantined = [quarantine.file_rows(parsed.bronze_files, run_id)]
    silver_parts: dict[str, list[pa.Table]] = {name: [] for name in SILVER_TABLES}
    outcomes: list[pl.DataFrame] = []
    lookup = None
    arrivals = pl.from_arrow(parsed.bronze_files.select(["source_file", "arrived_at"]))

    # Encounters are judged, even without rows, when a dataset that borrows their patients has
    # rows: it is judged with their look-up (an empty one too) as on the whole-day path.
    borrowing = any(not parsed.staged[ds].is_empty() for ds in BORROWS_PATIENT)
    for dataset in DATASETS:  # encounters first: the others borrow its patients
        staged = parsed.staged.pop(dataset)
        if day.scope is not None:
            judged_here = judge_scope.facilities_judging(day.scope, dataset)
            staged = staged.filter(pl.col("facility_folder").is_in(judged_here))
        if (
            facilities is not None
            and staged.is_empty()
            and not (dataset == "encounters" and borrowing)
        ):
            continue  # an arrival batch: nothing to judge (its rules are reported by day runs)
        day.records_judged += staged.height
        judge = partial(_judge, dataset, ctx=ctx, pseudonymizer=pseudonymizer, lookup=lookup,
                        arrivals=arrivals, run_id=run_id)  # fmt: skip
        try:
            judged = judge(staged)
        except Exception as exc:  # a bug of ours on some input: set its files aside, not the day
            judged = _judge_without_culprits(dataset, staged, judge, exc)
        day.rules[dataset] = judged.rules
        day.suite_success[dataset] = judged.success
        day.suites[dataset] = judged.suite_name
        if dataset == "encounters":
            lookup = judged.lookup
            day.identities = judged.identities
        if judged.rejected.height:
            # Payloads live in bronze_records only; the few rejected ones are fetched back.
            rejected = judged.rejected.with_columns(
                payload=pl.from_arrow(take_column(payloads, judged.rejected[BRONZE_ROW].to_numpy()))
            )
            quarantined.append(quarantine.record_rows(dataset, rejected, run_id))
        for table, rows in judged.tables.items():
            silver_parts[table].append(rows)
        outcomes.append(judged.outcomes)
        del staged, judged

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
    if day.scope is not None:  # the rows of the datasets judged only
        for name in judge_scope.SHARED_TABLES:
            rows = judge_scope.within(pl.from_arrow(day.tables[name]), day.scope)
            day.tables[name] = rows.to_arrow().cast(day.tables[name].schema)
    return day


@dataclass
class _Judged:
    """One dataset of the day, judged and conformed."""

    rules: dict[str, RuleResult]
    success: bool
    suite_name: str
    tables: dict[str, pa.Table]  # silver rows, by table
    rejected: pl.DataFrame  # staged rows to quarantine (with BRONZE_ROW, rule_ids, reason, …)
    outcomes: pl.DataFrame  # OUTCOME_SCHEMA, one row per staged row
    lookup: pl.DataFrame | None  # encounters: who each encounter is about
    identities: pl.DataFrame | None = None  # encounters: identities for the health book


def _judge(
    dataset: str,
    staged: pl.DataFrame,
    *,
    ctx: ValidationContext,
    pseudonymizer: Pseudonymizer,
    lookup: pl.DataFrame | None,
    arrivals: pl.DataFrame,
    run_id: str,
) -> _Judged:
    staged = mark_superseded(staged, arrivals)
    current = staged.filter(~pl.col("is_superseded"))
    judged = current.drop(BRONZE_ROW)
    outcome = validate(dataset, judged, ctx)
    accepted = outcome.accepted(judged)
    if dataset == "encounters":
        # Quarantined encounters still name their patient; a drug line of a rejected
        # encounter is judged on its own and keeps its patient.
        lookup = encounter_lookup(judged, pseudonymizer)
    borrowed = lookup if dataset in BORROWS_PATIENT else None
    return _Judged(
        rules=outcome.rules,
        success=outcome.success,
        suite_name=outcome.suite_name,
        tables=conform(dataset, accepted, pseudonymizer, borrowed, run_id=run_id),
        rejected=outcome.rejected(current),  # keeps BRONZE_ROW
        outcomes=staged.select(
            pl.col("facility_folder").alias("facility_code"),
            pl.lit(dataset).alias("dataset"),
            pl.when(pl.col("is_superseded"))
            .then(pl.lit("superseded"))
            .when(_rejected_flags(staged, outcome.rejected_mask))
            .then(pl.lit("quarantined"))
            .otherwise(pl.lit("accepted"))
            .alias("outcome"),
        ),
        lookup=lookup if dataset == "encounters" else None,
        identities=plain_identities(accepted, pseudonymizer) if dataset == "encounters" else None,
    )


def _judge_without_culprits(
    dataset: str,
    staged: pl.DataFrame,
    judge: Callable[[pl.DataFrame], _Judged],
    error: Exception,
) -> _Judged:
    """Judging the dataset raised: find the files it raises on (by halving), judge the rest, and
    quarantine every record of those files under `file.internal_error`, naming the exception.
    Raises the original error when no file on its own is to blame, or the rest still fails."""
    files = staged["source_file"].unique(maintain_order=True).to_list()
    culprits = _culprits(
        files, lambda part: judge(staged.filter(pl.col("source_file").is_in(part)))
    )
    if not culprits:
        raise error
    for name, exc in culprits.items():
        log.error("%s: %s set aside, building its tables raised %r", dataset, name, exc)
    blamed = pl.col("source_file").is_in(list(culprits))
    judged = judge(staged.filter(~blamed))
    set_aside = staged.filter(blamed)
    reasons = {
        name: f"{name}: set aside whole, an internal error building the day's tables "
        f"({type(exc).__name__}: {exc}); nothing of it is in silver until the fault is fixed"
        for name, exc in culprits.items()
    }
    judged.rejected = pl.concat(
        [
            judged.rejected,
            set_aside.with_columns(
                is_superseded=pl.lit(False),
                rule_ids=pl.lit([INTERNAL_ERROR], dtype=pl.List(pl.Utf8)),
                categories=pl.lit(["conformance"], dtype=pl.List(pl.Utf8)),
                severity=pl.lit("error"),
                reason=pl.col("source_file").replace_strict(reasons, return_dtype=pl.Utf8),
            ).select(judged.rejected.columns),
        ]
    )
    judged.outcomes = pl.concat(
        [
            judged.outcomes,
            set_aside.select(
                pl.col("facility_folder").alias("facility_code"),
                pl.lit(dataset).alias("dataset"),
                pl.lit("quarantined").alias("outcome"),
            ),
        ]
    )
    return judged


def _culprits(files: list[str], attempt: Callable[[list[str]], object]) -> dict[str, Exception]:
    """The files `attempt` raises on alone, found by halving the list (all of them failed)."""
    if len(files) <= 1:
        return {}
    found: dict[str, Exception] = {}
    for part in (files[: len(files) // 2], files[len(files) // 2 :]):
        try:
            attempt(part)
        except Exception as exc:
            found |= {part[0]: exc} if len(part) == 1 else _culprits(part, attempt)
    return found


def accepted_in_silver(tables: dict[str, pa.Table], table: str) -> int:
    """Accepted records a silver table holds: its rows, except imaging studies, whose row rolls
    up every accepted instance of the study (`records_received`)."""
    if table == "imaging_studies":
        return int(pc.sum(tables[table]["records_received"]).as_py() or 0)
    return tables[table].num_rows


def _rejected_flags(staged: pl.DataFrame, rejected_current: pl.Series) -> pl.Series:
    """Spread the validation verdicts of the current rows back over all staged rows."""
    superseded = staged["is_superseded"].to_numpy()
    flags = np.zeros(staged.height, dtype=bool)
    flags[~superseded] = rejected_current.to_numpy()
    return pl.Series("is_rejected", flags)


__all__ = ["DayIngest", "DeliveredFile", "accepted_in_silver", "ingest_day"]
