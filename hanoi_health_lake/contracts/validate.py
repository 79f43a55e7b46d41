"""Validate a staged dataset (or a built silver table) against its contract, once per partition.

The contract compiles to one Great Expectations suite (checks.py, gx_suite.py). Polars evaluates
each compiled expectation on the whole frame with GX's semantics and gives the one set of
verdicts: which rows fail which rule, per-rule counts, the suite's success. Great Expectations
then runs the same suite on a bounded sample of the frame (every failing row up to a cap, and
rows spread over the rest) as an audit: its counts must equal Polars's on that sample, or the
validation stops, naming the expectation. So GX stays the judge of what a contract means at a
cost that does not grow with the day (a whole city day through GX's pandas engine took longer
than the Polars pass it was checking).

A row fails a rule when a check of the rule fails on it or when its parser reported that rule
id. `error` rules quarantine the row, `warn` rules are recorded and the row is kept.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata

import polars as pl
import pyarrow as pa

from hanoi_health_lake.contracts.audit_schedule import EVERY_TIME
from hanoi_health_lake.contracts.checks import (
    PARSE_IDS,
    CompiledCheck,
    add_helpers,
    compile_checks,
)
from hanoi_health_lake.contracts.context import ValidationContext
from hanoi_health_lake.contracts.gx_suite import run_suite
from hanoi_health_lake.contracts.model import CATEGORIES, Contract, contract_for


@dataclass(frozen=True)
class RuleResult:
    rule_id: str
    category: str
    severity: str
    evaluated: int  # rows the rule judged (its inputs present, or the parser reported it)
    failed: int
    pass_rate: float | None  # None when no row was evaluated
    passed: bool  # every expectation compiled from the rule passed
    unexpected: int  # unexpected values summed over the rule's expectations (GX's count)


@dataclass(frozen=True)
class ValidationOutcome:
    """Per-row verdicts aligned with the validated frame (pass that same frame to `accepted` and
    `rejected`), per-rule counts, and the GX suite's verdict."""

    dataset: str  # the staged dataset, or `silver.<table>`
    suite_name: str
    success: bool  # the suite's verdict: every expectation passed
    rows: int
    errors: pl.Series  # List(Utf8) per row: rule ids that quarantine it (sorted, may be empty)
    warnings: pl.Series  # List(Utf8) per row: warn rule ids it broke
    rules: dict[str, RuleResult]
    categories: dict[str, str]  # rule id → Kahn category: every contract rule and other id seen
    descriptions: dict[str, str]  # rule id → English description (the id itself when unknown)
    # not_null rule id → (column, what the sender calls it): the reason names those missing.
    required: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @property
    def rejected_mask(self) -> pl.Series:
        return (self.errors.list.len() > 0).alias("is_rejected")

    def accepted(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(~self.rejected_mask)

    def rejected(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rejected rows of the validated staged frame, with what the quarantine table needs:
        `rule_ids`, `categories`, `severity` and a `reason` naming the file, the record, the
        broken rules and the parser's own messages."""

        def mapped(mapping: dict[str, str]) -> pl.Expr:
            return pl.col("rule_ids").list.eval(
                pl.element().replace_strict(mapping, return_dtype=pl.Utf8)
            )

        messages = pl.col("parse_errors").list.eval(pl.element().struct.field("message"))
        described = mapped(self.descriptions).list.join("; ")
        for rule_id, columns in self.required.items():
            # The rule's description lists every required field; the sender needs the ones
            # this record lacks.
            missing = pl.concat_str(
                [pl.when(pl.col(c).is_null()).then(pl.lit(label)) for c, label in columns],
                separator=", ",
                ignore_nulls=True,
            )
            text = self.descriptions[rule_id]
            described = described.str.replace(
                text, pl.lit(text.rstrip(".") + " — missing: ") + missing, literal=True
            )
        return (
            frame.with_columns(rule_ids=self.errors)
            .filter(self.rejected_mask)
            .with_columns(
                categories=mapped(self.categories).list.unique(maintain_order=True),
                severity=pl.lit("error"),
                reason=pl.concat_str(
                    pl.col("source_file"),
                    pl.lit(" "),
                    pl.col("locator"),
                    pl.lit(": "),
                    described,
                    pl.when(messages.list.len() > 0).then(
                        pl.lit(" (") + messages.list.join("; ") + pl.lit(")")
                    ),
                    ignore_nulls=True,
                ),
            )
        )

    def summary(self) -> dict[str, object]:
        """Small, JSON-ready: for asset metadata and logs."""
        return {
            "suite": self.suite_name,
            "success": self.success,
            "rows": self.rows,
            "rejected": int(self.rejected_mask.sum()),
            "rules": {
                r.rule_id: {"failed": r.failed, "evaluated": r.evaluated, "pass_rate": r.pass_rate}
                for r in self.rules.values()
            },
        }


def category_of(rule_id: str, contract: Contract | None = None) -> str:
    """A rule's Kahn category; ids outside the contract (file and record faults) are conformance."""
    if contract is not None and any(rule.id == rule_id for rule in contract.rules):
        return contract.rule(rule_id).category
    prefix = rule_id.split(".", 1)[0]
    return prefix if prefix in CATEGORIES else "conformance"


@cache
def audit_key(contract: Contract) -> str:
    """What an audit vouches for: the suite as compiled (its expectations and their arguments)
    and the code that compiled it. A changed contract or release is audited at the next batch,
    however recently the suite before it was."""
    text = "\n".join([hhl_version(), *(repr(check) for check in compile_checks(contract))])
    return f"{contract.suite_name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def hhl_version() -> str:
    try:
        return metadata.version("hanoi-health-lake")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "source"


def validate(dataset: str, frame: pl.DataFrame, ctx: ValidationContext) -> ValidationOutcome:
    """Validate a staged frame (`staged_frame`) of one dataset and partition."""
    return _validate(contract_for(dataset), frame, ctx)


def validate_silver(table: str, frame: pl.DataFrame | pa.Table) -> ValidationOutcome:
    """Batch-level check of a built silver table (diagnoses, prescriptions)."""
    if isinstance(frame, pa.Table):
        frame = pl.from_arrow(frame)
    return _validate(contract_for(f"silver.{table}"), frame, None)


def _validate(
    contract: Contract, frame: pl.DataFrame, ctx: ValidationContext | None
) -> ValidationOutcome:
    checks = compile_checks(contract)
    work = add_helpers(frame, contract, ctx)
    unexpected = _unexpected_counts(work, checks)
    reported = set(work[PARSE_IDS].explode().drop_nulls().unique().to_list())
    reported_rules = frozenset(reported & {rule.id for rule in contract.rules})
    flags = work.select(*_rule_flags(contract, checks, reported_rules), pl.col(PARSE_IDS))
    flags = flags.with_row_index("_row")
    audits = ctx.audits if ctx is not None else EVERY_TIME
    if audits.due(audit_key(contract)):
        audit(contract, work, checks, flags)
        audits.done(audit_key(contract))

    counts = flags.select(pl.exclude("_row", PARSE_IDS).sum()).row(0, named=True)
    rules = {}
    for rule in contract.rules:
        failed, evaluated = counts[rule.id], counts[f"{rule.id}|evaluated"]
        mine = [n for check, n in zip(checks, unexpected, strict=True) if check.rule_id == rule.id]
        rules[rule.id] = RuleResult(
            rule_id=rule.id,
            category=rule.category,
            severity=rule.severity,
            evaluated=evaluated,
            failed=failed,
            pass_rate=(evaluated - failed) / evaluated if evaluated else None,
            passed=not any(mine),
            unexpected=sum(mine),
        )
    unlisted = reported - {rule.id for rule in contract.rules}
    lists = _row_lists(contract, flags, unlisted)
    return ValidationOutcome(
        dataset=contract.applies_to,
        suite_name=contract.suite_name,
        success=not any(unexpected),
        rows=frame.height,
        errors=lists["errors"],
        warnings=lists["warnings"],
        rules=rules,
        categories={
            rule_id: category_of(rule_id, contract)
            for rule_id in [rule.id for rule in contract.rules] + sorted(unlisted)
        },
        descriptions={rule.id: rule.description_en for rule in contract.rules}
        | {rule_id: rule_id for rule_id in unlisted},
        required={
            rule.id: tuple((c, _sender_name(contract, c)) for c in contract.check_columns(rule))
            for rule in contract.rules
            if rule.check.kind == "not_null" and contract.check_columns(rule)
        },
    )


def _unexpected_counts(work: pl.DataFrame, checks: tuple[CompiledCheck, ...]) -> tuple[int, ...]:
    """Per compiled expectation: the rows it fails (GX's unexpected_count)."""
    if not checks:
        return ()
    return work.select(check.failed().sum().alias(str(i)) for i, check in enumerate(checks)).row(0)


def _sender_name(contract: Contract, column: str) -> str:
    """`birth_date (NGAY_SINH)`: the column and, when its description starts with one, the
    QĐ 130 column it comes from (what the facility's own software calls it)."""
    head = re.split(r"[ ;,]", contract.columns[column].description or "", maxsplit=1)[0]
    return f"{column} ({head})" if re.fullmatch(r"[A-Z][A-Z0-9_]+", head) else column


AUDIT_ROWS = 1_000  # rows of each validated frame Great Expectations judges again
AUDIT_FAILING_ROWS = AUDIT_ROWS // 2  # of which at most this many fail some rule


def audit_sample(flags: pl.DataFrame, contract: Contract) -> pl.Series:
    """Row numbers GX re-judges: the whole frame when small, else the first failing rows (where
    the two engines could disagree) and rows evenly spread over the frame."""
    if flags.height <= AUDIT_ROWS:
        return flags["_row"]
    failing = flags.filter(pl.any_horizontal(pl.col([r.id for r in contract.rules])))["_row"]
    failing = failing.head(AUDIT_FAILING_ROWS)
    step = max(1, flags.height // (AUDIT_ROWS - failing.len()))
    spread = flags["_row"].gather_every(step).head(AUDIT_ROWS - failing.len())
    return pl.concat([failing, spread]).unique().sort()


def audit(
    contract: Contract,
    work: pl.DataFrame,
    checks: tuple[CompiledCheck, ...],
    flags: pl.DataFrame,
) -> None:
    """Great Expectations runs the suite on a sample; each expectation must fail on exactly the
    rows the Polars form fails on that sample."""
    sample = work[audit_sample(flags, contract)]
    columns = sorted({c for check in checks for c in check.columns})
    suite = run_suite(contract, sample.select(columns).to_pandas())
    ours = dict(zip(checks, _unexpected_counts(sample, checks), strict=True))
    for outcome in suite.expectations:  # in GX's result order
        failed = ours[outcome.check]
        if failed != outcome.unexpected_count:
            check = outcome.check
            raise RuntimeError(
                f"{contract.suite_name}: {check.rule_id} ({check.expectation} on "
                f"{check.columns}) fails {failed} rows in Polars but "
                f"{outcome.unexpected_count} in Great Expectations (audit of "
                f"{sample.height} rows)"
            )


@cache  # built once per contract and set of parser-reported rules
def _rule_flags(
    contract: Contract, checks: tuple[CompiledCheck, ...], reported: frozenset[str]
) -> tuple[pl.Expr, ...]:
    """Per rule: `<id>` (the row fails it) and `<id>|evaluated` (the rule judged the row)."""
    exprs = []
    for rule in contract.rules:
        mine = [check for check in checks if check.rule_id == rule.id]
        failed = [check.failed() for check in mine]
        evaluated = [check.evaluated() for check in mine]
        if rule.id in reported:
            parsed = pl.col(PARSE_IDS).list.contains(rule.id)
            failed.append(parsed)
            evaluated.append(parsed)
        exprs.append(pl.any_horizontal(failed).alias(rule.id))
        exprs.append(pl.any_horizontal(evaluated).alias(f"{rule.id}|evaluated"))
    return tuple(exprs)


def _row_lists(contract: Contract, flags: pl.DataFrame, unlisted: set[str]) -> pl.DataFrame:
    """`errors` and `warnings` rule-id lists per row, built only for the rows that fail."""
    empty = pl.lit([], dtype=pl.List(pl.Utf8))

    def named(severity: str) -> pl.Expr:
        ids = [
            pl.when(pl.col(r.id)).then(pl.lit(r.id))
            for r in contract.rules
            if r.severity == severity
        ]
        return pl.concat_list(ids).list.drop_nulls() if ids else empty

    failing = pl.any_horizontal(pl.col([rule.id for rule in contract.rules]))
    # Parser-reported ids outside the contract are errors: the value they concern is lost.
    extra = empty
    if unlisted:
        extra = pl.col(PARSE_IDS).list.eval(pl.element().filter(pl.element().is_in(list(unlisted))))
        failing = failing | (extra.list.len() > 0)
    lists = flags.filter(failing).select(
        "_row",
        errors=pl.concat_list(named("error"), extra).list.unique().list.sort(),
        warnings=named("warn").list.sort(),
    )
    return (
        flags.select("_row")
        .join(lists, on="_row", how="left", maintain_order="left")
        .select(pl.col("errors", "warnings").fill_null(empty))
    )
