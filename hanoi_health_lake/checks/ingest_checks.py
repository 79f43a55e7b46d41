"""Turn one day's ingest outcome into Dagster asset check results.

Quarantining a bad record is the system working, so the contract check warns (not fails the run)
when a rule group's pass rate drops below the threshold; the reconciliation check is blocking,
since a day that does not add up must not feed the marts.
"""

from collections import defaultdict

import dagster as dg
import polars as pl
import pyarrow as pa

from hanoi_health_lake.contracts.validate import RuleResult

PASS_RATE_THRESHOLD = 0.95
CONTRACT_CHECK = "contract_pass_rate"
VOLUME_CHECK = "facility_volume"
RECONCILIATION_CHECK = "delivered_equals_silver_quarantine_superseded"


def contract_check(
    asset_key: str, rules: dict[str, RuleResult], suite: str, quarantine: pa.Table, dataset: str
) -> dg.AssetCheckResult:
    by_group: dict[str, list[RuleResult]] = defaultdict(list)
    for rule in rules.values():
        by_group[rule.category].append(rule)
    group_rates = {}
    for group, members in sorted(by_group.items()):
        evaluated = sum(r.evaluated for r in members)
        failed = sum(r.failed for r in members)
        group_rates[group] = None if evaluated == 0 else round(1 - failed / evaluated, 6)
    low = {g: r for g, r in group_rates.items() if r is not None and r < PASS_RATE_THRESHOLD}
    q = pl.from_arrow(quarantine).filter(pl.col("dataset") == dataset)
    worst_files = (
        q.group_by("facility_code", "source_file")
        .len()
        .sort("len", descending=True)
        .head(10)
        .to_dicts()
        if q.height
        else []
    )
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=CONTRACT_CHECK,
        passed=not low,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"pass rate per rule group of suite {suite}; below {PASS_RATE_THRESHOLD:.0%}: "
            + (", ".join(f"{g} {r:.2%}" for g, r in low.items()) if low else "none")
        ),
        metadata={
            "suite": suite,
            "pass_rate_by_group": group_rates,
            "failed_by_rule": {r.rule_id: r.failed for r in rules.values() if r.failed},
            "files_with_most_rejections": worst_files,
        },
    )


def volume_check(asset_key: str, outliers: pl.DataFrame) -> dg.AssetCheckResult:
    rows = outliers.select("facility_code", "n", "median").head(50).to_dicts()
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=VOLUME_CHECK,
        passed=outliers.height == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{outliers.height} facilities sent a volume outside 0.5×–2× their own median "
            "of the previous 28 days"
        ),
        metadata={"outside_band": rows, "facilities_outside_band": outliers.height},
    )


def reconciliation_check(
    asset_key: str, reconciliation: pa.Table, silver_counts: dict[str, int], bronze_counted: int
) -> dg.AssetCheckResult:
    rec = pl.from_arrow(reconciliation)
    unbalanced = rec.filter(
        pl.col("delivered") != pl.col("accepted") + pl.col("quarantined") + pl.col("superseded")
    )
    accepted = dict(rec.group_by("dataset").agg(pl.col("accepted").sum()).iter_rows())
    mismatched = {
        d: {"reconciliation": int(accepted.get(d, 0)), "silver": n}
        for d, n in silver_counts.items()
        if int(accepted.get(d, 0)) != n
    }
    delivered = int(rec["delivered"].sum()) if rec.height else 0
    passed = unbalanced.height == 0 and not mismatched and delivered == bronze_counted
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=RECONCILIATION_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "delivered = accepted + quarantined + superseded, for every facility and dataset"
        ),
        metadata={
            # dates as text: check metadata must be JSON
            "unbalanced_rows": unbalanced.head(20)
            .with_columns(pl.col(pl.Date).cast(pl.Utf8))
            .to_dicts(),
            "silver_vs_accepted_mismatch": mismatched,
            "delivered_records": delivered,
            "bronze_counted_records": bronze_counted,
        },
    )
