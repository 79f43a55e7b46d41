"""Turn one day's ingest outcome into Dagster asset check results.

Quarantining a bad record is the system working, so the contract check warns (not fails the run)
when a rule group's pass rate drops below the threshold; the reconciliation check is blocking,
since a day that does not add up must not feed the marts.

What an engineer reads first is a Markdown table (facility code and name, file, counts); the
`culprits` rows beside it stay plain values, because the failure alert (automation/alerts.py)
reads facility codes and files from them.
"""

from collections import defaultdict
from collections.abc import Mapping

import dagster as dg
import polars as pl
import pyarrow as pa

from hanoi_health_lake.contracts.validate import RuleResult

PASS_RATE_THRESHOLD = 0.95
CONTRACT_CHECK = "contract_pass_rate"
VOLUME_CHECK = "facility_volume"
RECONCILIATION_CHECK = "delivered_equals_silver_quarantine_superseded"
TABLE_ROWS = 20  # rows of a Markdown table; the full list is in the quarantine table

DESCRIPTIONS = {
    CONTRACT_CHECK: (
        "Share of the day's records that pass the data contract (data_contracts/<dataset>.yml), "
        f"per rule group; warns when a group falls below {PASS_RATE_THRESHOLD:.0%}. Rejected "
        "records are in the quarantine table with the rule they broke; the check lists the "
        "facilities and files with the most rejections."
    ),
    VOLUME_CHECK: (
        "Each facility's accepted encounters for the day against its own volume band, as "
        "mart_coverage_daily judges it (int_volume_bands): the median of its deliveries on the "
        "same weekday in the previous 8 weeks, plus or minus 3 median absolute deviations (at "
        "least 20% of the median or 5 records); warns when a facility falls outside its band."
    ),
    RECONCILIATION_CHECK: (
        "Nothing lost: for every facility and dataset, records delivered = accepted into silver "
        "+ quarantined + superseded by a later correction. Blocking: a day that does not add up "
        "does not feed the marts."
    ),
    "unique_key_per_facility_day": (
        "No record counts twice: the silver table, read back from Delta after the write, holds at "
        "most one row per facility, service day and natural key. Blocking: lists example keys "
        "with the landing files that carried them."
    ),
}


def markdown_table(rows: list[dict], headers: Mapping[str, str]) -> dg.MetadataValue:
    """A Markdown table of `rows` with the given columns (key → header), for the Dagster UI."""
    if not rows:
        return dg.MetadataValue.md("_none_")

    def cell(value) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(headers.values()) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
        *("| " + " | ".join(cell(row.get(k)) for k in headers) + " |" for row in rows),
    ]
    return dg.MetadataValue.md("\n".join(lines))


def _named(rows: list[dict], names: Mapping[str, str] | None) -> list[dict]:
    names = names or {}
    return [{**row, "facility_name": names.get(row["facility_code"], "")} for row in rows]


def contract_check(
    asset_key: str,
    rules: dict[str, RuleResult],
    suite: str,
    quarantine: pa.Table,
    dataset: str,
    names: Mapping[str, str] | None = None,
) -> dg.AssetCheckResult:
    """`names`: facility code → name (the registry), shown beside each code."""
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
        .agg(pl.len().alias("records_rejected"))
        .sort(["records_rejected", "source_file"], descending=[True, False])
        .head(TABLE_ROWS)
        .to_dicts()
        if q.height
        else []
    )
    rule_rows = sorted(
        (
            {"rule": r.rule_id, "group": r.category, "evaluated": r.evaluated, "failed": r.failed}
            for r in rules.values()
            if r.failed
        ),
        key=lambda row: (-row["failed"], row["rule"]),
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
            "files_with_most_rejections": markdown_table(
                _named(worst_files, names),
                {
                    "facility_code": "facility",
                    "facility_name": "name",
                    "source_file": "file",
                    "records_rejected": "records rejected",
                },
            ),
            "rejections_by_rule": markdown_table(
                rule_rows,
                {"rule": "rule", "group": "group", "evaluated": "evaluated", "failed": "failed"},
            ),
            "pass_rate_by_group": markdown_table(
                [
                    {"group": g, "rate": "n/a" if r is None else f"{r:.2%}"}
                    for g, r in group_rates.items()
                ],
                {"group": "rule group", "rate": "pass rate"},
            ),
            "records_rejected": q.height,
            "culprits": [
                {"facility_code": r["facility_code"], "source_file": r["source_file"]}
                for r in worst_files
            ],
        },
    )


def volume_check(
    asset_key: str, outliers: pl.DataFrame, names: Mapping[str, str] | None = None
) -> dg.AssetCheckResult:
    """`outliers`: rows of int_volume_bands outside their band (checks.volume)."""
    columns = ("facility_code", "accepted", "band_low", "band_high", "band_median", "completeness")
    rows = _named(outliers.select(columns).head(50).to_dicts(), names)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=VOLUME_CHECK,
        passed=outliers.height == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{outliers.height} facilities sent a volume outside their band (same weekday, "
            "previous 8 weeks: median ± 3 MAD)"
        ),
        metadata={
            "outside_band": markdown_table(
                rows,
                {
                    "facility_code": "facility",
                    "facility_name": "name",
                    "accepted": "encounters today",
                    "band_low": "band from",
                    "band_high": "band to",
                    "band_median": "same-weekday median",
                    "completeness": "verdict",
                },
            ),
            "facilities_outside_band": outliers.height,
            "culprits": [{"facility_code": r["facility_code"]} for r in rows],
        },
    )


def reconciliation_check(
    asset_key: str,
    reconciliation: pa.Table,
    silver_counts: dict[str, int],
    bronze_counted: int,
    names: Mapping[str, str] | None = None,
) -> dg.AssetCheckResult:
    rec = pl.from_arrow(reconciliation)
    unbalanced = rec.filter(
        pl.col("delivered") != pl.col("accepted") + pl.col("quarantined") + pl.col("superseded")
    )
    accepted = dict(rec.group_by("dataset").agg(pl.col("accepted").sum()).iter_rows())
    mismatched = [
        {"dataset": d, "reconciliation": int(accepted.get(d, 0)), "silver": n}
        for d, n in silver_counts.items()
        if int(accepted.get(d, 0)) != n
    ]
    delivered = int(rec["delivered"].sum()) if rec.height else 0
    passed = unbalanced.height == 0 and not mismatched and delivered == bronze_counted
    unbalanced_rows = _named(unbalanced.head(TABLE_ROWS).to_dicts(), names)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=RECONCILIATION_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "delivered = accepted + quarantined + superseded, for every facility and dataset"
        ),
        metadata={
            "unbalanced_rows": markdown_table(
                unbalanced_rows,
                {
                    "facility_code": "facility",
                    "facility_name": "name",
                    "dataset": "dataset",
                    "delivered": "delivered",
                    "accepted": "accepted",
                    "quarantined": "quarantined",
                    "superseded": "superseded",
                },
            ),
            "silver_vs_accepted_mismatch": markdown_table(
                mismatched,
                {
                    "dataset": "dataset",
                    "reconciliation": "accepted (reconciliation)",
                    "silver": "rows in silver",
                },
            ),
            "delivered_records": delivered,
            "bronze_counted_records": bronze_counted,
            "culprits": [{"facility_code": r["facility_code"]} for r in unbalanced_rows],
        },
    )
