"""Data quality per facility type: what was received and rejected, and the rules broken most."""

from __future__ import annotations

import polars as pl

from hanoi_health_lake.reports import charts
from hanoi_health_lake.reports.common import basis, by_key, column, label_column, rows, type_order
from hanoi_health_lake.reports.labels import code_label, label, rule_meaning
from hanoi_health_lake.reports.model import Chart, Column, Section, Table, Text
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

TOP_RULES_CHART = 10


TOP_RULES_PER_TYPE = 5


def quality_section(src: ReportSource, period: Period) -> Section:
    params = {"start": period.start, "end": period.end}
    quality = src.frame("quality_by_type", **params)
    rules = src.frame("rules_by_type", **params).with_columns(
        (pl.col("records_quarantined") + pl.col("files_quarantined")).alias("entries")
    )
    types = type_order(quality["facility_type"].to_list())
    q = by_key(quality, "facility_type")
    metrics = ("files", "files_failed", "delivered", "accepted", "quarantined", "superseded")
    quality_table = Table(
        id="quality_by_type",
        title=label("table.quality_by_type"),
        columns=[label_column("facility_type")]
        + [column(m) for m in metrics]
        + [column("quarantine_share", "share")],
        rows=[
            [code_label("facility_type", t)]
            + [q[(t,)][m] for m in metrics]
            + [q[(t,)]["quarantine_share"]]
            for t in types
        ],
        row_ids=[f"facility_type:{t}" for t in types],
        sheet=label("sheet.quality_by_type"),
    )
    blocks: list = []
    if not rules.is_empty():
        blocks.append(_top_rules_chart(src, period, rules))
    blocks += [quality_table, _rules_table(rules), _received_unused_table(src, params)]
    return Section("quality", label("section.quality"), label("intro.quality"), blocks)


def _received_unused_table(src: ReportSource, params: dict) -> Table:
    """Dossier tables kept in bronze, not yet mapped (XML5–XML12, XML15): received, not yet
    used — listed so that nothing a facility sends disappears from view."""
    kept = src.frame("received_unused", **params)
    return Table(
        id="received_unused",
        title=label("table.received_unused"),
        columns=[
            Column("table_name", label("col.table_name"), "label", wrap=True),
            label_column("status"),
            column("facilities"),
            column("files"),
            column("records"),
        ],
        rows=[
            [
                code_label("qd130_table", r["table_name"]),
                label("status.received_not_used"),
                r["facilities"],
                r["files"],
                r["records"],
            ]
            for r in rows(kept)
        ],
        row_ids=[f"table:{t}" for t in kept["table_name"]] or None,
        sheet=label("sheet.received_unused"),
    )


def _rule_name(rule_id: str, dataset: str) -> Text:
    """`rule · dataset` for a chart's axis (the meaning is in the table below it)."""
    data = code_label("dataset", dataset)
    return Text(f"{rule_id} · {data.vi}", f"{rule_id} · {data.en}")


def _top_rules_chart(src: ReportSource, period: Period, rules: pl.DataFrame) -> Chart:
    top = (
        rules.group_by("rule_id", "dataset")
        .agg(pl.sum("entries"))
        .sort(["entries", "rule_id", "dataset"], descending=[True, False, False])
        .head(TOP_RULES_CHART)
    )
    keys = list(zip(top["rule_id"], top["dataset"], strict=True))
    entries = by_key(rules, "facility_type", "rule_id", "dataset")
    stacks = {
        t: [entries.get((t, r, d), {}).get("entries", 0) for r, d in keys]
        for t in type_order(rules["facility_type"].to_list())
    }
    return Chart(
        "top_rules",
        label("chart.top_rules"),
        charts.in_both(charts.stacked_counts, [_rule_name(r, d) for r, d in keys], stacks, True),
        basis(src, period.start, period.end),
        height=120 + 34 * len(keys),
    )


def _rules_table(rules: pl.DataFrame) -> Table:
    ranked = rules.sort(
        ["facility_type", "entries", "rule_id", "dataset"], descending=[False, True, False, False]
    ).with_columns(pl.col("rule_id").cum_count().over("facility_type").alias("rank"))
    top = [
        r
        for t in type_order(rules["facility_type"].to_list())
        for r in rows(ranked.filter(pl.col("facility_type") == t))
        if r["rank"] <= TOP_RULES_PER_TYPE
    ]
    return rules_table(
        "rules_by_type",
        label("table.rules_by_type", n=str(TOP_RULES_PER_TYPE)),
        label("sheet.rules_by_type"),
        label_column("facility_type"),
        [(code_label("facility_type", r["facility_type"]), r["facility_type"], r) for r in top],
    )


def rules_table(
    table_id: str, title: Text, sheet: Text, first: Column, data: list[tuple[object, str, dict]]
) -> Table:
    """Rules broken with their meaning for the dataset; `data` holds (first cell, its id, row)."""
    return Table(
        id=table_id,
        title=title,
        columns=[
            first,
            label_column("dataset"),
            column("rule_id", "text"),
            label_column("rule_meaning", wrap=True),
            label_column("kahn_category"),
            column("records_quarantined"),
            column("files_quarantined"),
        ],
        rows=[
            [
                cell,
                code_label("dataset", r["dataset"]),
                r["rule_id"],
                rule_meaning(r["rule_id"], r["dataset"]),
                code_label("kahn", r["kahn_category"]),
                r["records_quarantined"],
                r["files_quarantined"],
            ]
            for cell, _, r in data
        ],
        row_ids=[f"{key}:{r['dataset']}:{r['rule_id']}" for _, key, r in data],
        sheet=sheet,
    )
