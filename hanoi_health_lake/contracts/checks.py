"""A contract compiled to checks: each is one GX expectation and the same condition in Polars.

Polars evaluates every check on the whole frame and so gives the verdicts (which rows fail,
the counts, the suite's success); Great Expectations runs the suite built from the same checks
on a sample of the frame, and `validate.audit` stops when the two disagree there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from hanoi_health_lake.contracts.context import ValidationContext
from hanoi_health_lake.contracts.derived import DERIVED, DerivedInput
from hanoi_health_lake.contracts.model import Contract, Rule

PARSE_IDS = "_parse_rule_ids"  # helper: the rule ids the parser reported for the row


@dataclass(frozen=True)
class CompiledCheck:
    rule_id: str
    expectation: str  # GX expectation class name
    kwargs: tuple[tuple[str, Any], ...]  # GX expectation arguments
    columns: tuple[str, ...]  # frame columns GX must see

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.kwargs)

    # Built once per check (cached below): a contract's expressions cost more to build than to
    # run on an arrival batch's few rows, and a batch validates dozens of frames.
    def evaluated(self) -> pl.Expr:
        """Rows the expectation judges (GX leaves nulls out of all but not-null checks)."""
        return _evaluated(self)

    def failed(self) -> pl.Expr:
        return _failed(self)


@cache
def _evaluated(check: CompiledCheck) -> pl.Expr:
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        return pl.lit(True)
    return pl.all_horizontal(pl.col(check.columns).is_not_null())


@cache
def _failed(check: CompiledCheck) -> pl.Expr:
    args = check.args
    column = pl.col(check.columns[0])
    match check.expectation:
        case "ExpectColumnValuesToNotBeNull":
            bad = column.is_null()
        case "ExpectColumnValuesToMatchRegex":
            bad = ~column.str.contains(args["regex"])
        case "ExpectColumnValuesToBeInSet":
            bad = ~column.is_in(list(args["value_set"]))
        case "ExpectColumnValuesToBeBetween":
            bad = ~_between(column, args)
        case "ExpectColumnValuesToBeUnique" | "ExpectCompoundColumnsToBeUnique":
            bad = pl.len().over(list(check.columns)) > 1
        case other:
            raise ValueError(f"no Polars form for {other}")
    return (_evaluated(check) & bad).fill_null(False)


def _between(column: pl.Expr, args: dict[str, Any]) -> pl.Expr:
    ok = pl.lit(True)
    if args.get("min_value") is not None:
        low = args["min_value"]
        ok = ok & ((column > low) if args.get("strict_min") else (column >= low))
    if args.get("max_value") is not None:
        high = args["max_value"]
        ok = ok & ((column < high) if args.get("strict_max") else (column <= high))
    return ok


def helper_column(rule_id: str) -> str:
    return "_rule__" + rule_id.replace(".", "__")


@cache
def compile_checks(contract: Contract) -> tuple[CompiledCheck, ...]:
    return tuple(check for rule in contract.rules for check in _rule_checks(contract, rule))


def _rule_checks(contract: Contract, rule: Rule) -> list[CompiledCheck]:
    kind, columns = rule.check.kind, contract.check_columns(rule)

    def one(expectation: str, cols: tuple[str, ...], **kwargs: Any) -> CompiledCheck:
        return CompiledCheck(rule.id, expectation, tuple(sorted(kwargs.items())), cols)

    if kind == "not_null":
        return [one("ExpectColumnValuesToNotBeNull", (c,), column=c) for c in columns]
    if kind == "pattern":
        return [
            one("ExpectColumnValuesToMatchRegex", (c,), column=c, regex=contract.columns[c].pattern)
            for c in columns
        ]
    if kind == "enum":
        return [
            one("ExpectColumnValuesToBeInSet", (c,), column=c, value_set=contract.columns[c].enum)
            for c in columns
        ]
    if kind == "range":
        out = []
        for c in columns:
            col = contract.columns[c]
            bounds = {"min_value": col.min, "max_value": col.max}
            flags = {"strict_min": col.strict_min, "strict_max": col.strict_max}
            out.append(one("ExpectColumnValuesToBeBetween", (c,), column=c, **bounds, **flags))
        return out
    if kind == "unique" and len(columns) == 1:
        return [one("ExpectColumnValuesToBeUnique", columns, column=columns[0])]
    if kind == "unique":
        return [
            one(
                "ExpectCompoundColumnsToBeUnique",
                columns,
                column_list=columns,
                ignore_row_if="any_value_is_missing",
            )
        ]
    # derived and parse_error: a Boolean helper column computed by `add_helpers`
    helper = helper_column(rule.id)
    return [one("ExpectColumnValuesToBeInSet", (helper,), column=helper, value_set=(True,))]


def add_helpers(
    frame: pl.DataFrame, contract: Contract, ctx: ValidationContext | None
) -> pl.DataFrame:
    """The frame plus the parser's rule ids per row and one helper column per computed rule."""
    if "parse_errors" in frame.columns:
        ids = pl.col("parse_errors").list.eval(pl.element().struct.field("rule_id"))
    else:
        ids = pl.lit([], dtype=pl.List(pl.Utf8))
    frame = frame.with_columns(ids.alias(PARSE_IDS))
    helpers = []
    for rule in contract.rules:
        check = rule.check
        if check.kind == "parse_error":
            helpers.append(
                (~pl.col(PARSE_IDS).list.contains(rule.id)).alias(helper_column(rule.id))
            )
        elif check.kind == "derived":
            spec = DerivedInput(contract.applies_to, check.columns, ctx, check.params)
            helpers.append(DERIVED[check.name](frame, spec).alias(helper_column(rule.id)))
    return frame.with_columns(helpers)
