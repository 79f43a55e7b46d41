"""Contracts as Great Expectations 1.x suites, run on an in-memory pandas frame.

One ephemeral context per process (nothing written to disk, no Data Docs), a pandas data source
with a whole-dataframe batch, and one suite per contract named `<table>.<version>`. Results are
asked for in BASIC format without unexpected values: counts only, so nothing large is built and
no identifier lands in a result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from hanoi_health_lake.contracts.checks import CompiledCheck, compile_checks
from hanoi_health_lake.contracts.model import Contract

RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


@dataclass(frozen=True)
class ExpectationOutcome:
    check: CompiledCheck
    success: bool
    element_count: int
    unexpected_count: int


@dataclass(frozen=True)
class SuiteOutcome:
    suite_name: str
    success: bool
    expectations: tuple[ExpectationOutcome, ...]


@cache
def _runtime() -> tuple[Any, Any]:
    # GX reports usage to a remote service unless told not to; the lake runs offline.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("hhl_frames")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole_frame")
    )
    return context, batch


def build_suite(contract: Contract) -> Any:
    """The contract's `gx.ExpectationSuite` (not yet added to a context)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    _runtime()  # GX builds suites only with a context active
    expectations = []
    for index, check in enumerate(compile_checks(contract)):
        kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in check.kwargs}
        expectations.append(
            getattr(gxe, check.expectation)(
                **kwargs, meta={"rule_id": check.rule_id, "check": index}
            )
        )
    # Handed over whole, not by add_expectation: once a suite of this name is in the context,
    # add_expectation would save each expectation to the store and stamp it with a random id.
    return gx.ExpectationSuite(name=contract.suite_name, expectations=expectations)


@cache
def _validation(contract: Contract) -> Any:
    import great_expectations as gx

    context, batch = _runtime()
    # add_or_update: contracts loaded again from another directory keep their suite name
    suite = context.suites.add_or_update(build_suite(contract))
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(data=batch, suite=suite, name=contract.suite_name)
    )


def warm_up(contracts: list[Contract]) -> None:
    """Import Great Expectations and register the contracts' suites ahead of the first run (the
    ingest does it while its workers parse). Whatever fails here fails again, and is reported,
    when a suite runs."""
    try:
        for contract in contracts:
            _validation(contract)
    except Exception:
        pass


def _run(contract: Contract, frame: pd.DataFrame) -> Any:
    from great_expectations.exceptions import ValidationDefinitionRelatedResourcesFreshnessError

    try:
        return _validation(contract).run(
            batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT
        )
    except ValidationDefinitionRelatedResourcesFreshnessError:
        # GX keeps one active context per process: another context made active since (or a
        # suite of the same name replaced) leaves the cached definition stale. Build afresh.
        _runtime.cache_clear()
        _validation.cache_clear()
        return _validation(contract).run(
            batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT
        )


def run_suite(contract: Contract, frame: pd.DataFrame) -> SuiteOutcome:
    checks = compile_checks(contract)
    result = _run(contract, frame)
    outcomes = []
    for item in result.results:
        check = checks[item.expectation_config.meta["check"]]
        if "unexpected_count" not in item.result:
            # An expectation GX could not evaluate has no counts, only exception details.
            raise RuntimeError(
                f"{contract.suite_name}: {check.expectation} for {check.rule_id} did not run: "
                f"{item.exception_info}"
            )
        outcomes.append(
            ExpectationOutcome(
                check=check,
                success=bool(item.success),
                element_count=int(item.result["element_count"]),
                unexpected_count=int(item.result["unexpected_count"]),
            )
        )
    return SuiteOutcome(contract.suite_name, bool(result.success), tuple(outcomes))
