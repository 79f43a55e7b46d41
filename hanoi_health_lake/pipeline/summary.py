"""What a run put where, per dataset, for people reading a terminal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from hanoi_health_lake.config import lake_dir
from hanoi_health_lake.lake.catalog import table_path
from hanoi_health_lake.lake.delta_io import read_table, table_exists

TOP_RULES = 3


def ingest_summary(home: Path, days: list[date]) -> str:
    lake = lake_dir(home)
    rec_path, q_path = table_path(lake, "reconciliation"), table_path(lake, "quarantine")
    if not table_exists(rec_path):
        return f"nothing ingested yet under {lake}"
    rec = pl.from_arrow(read_table(rec_path, days))
    q = pl.from_arrow(read_table(q_path, days, ["dataset", "rule_ids"])).explode("rule_ids")
    totals = (
        rec.group_by("dataset")
        .agg(
            pl.col(
                "files", "files_failed", "delivered", "accepted", "quarantined", "superseded"
            ).sum()
        )
        .sort("dataset")
    )
    lines = [
        f"Ingested {len(days)} service day(s) {min(days)} … {max(days)}",
        f"{'dataset':<17}{'files':>7}{'bad files':>10}{'delivered':>11}{'accepted':>10}"
        f"{'quarantined':>13}{'superseded':>12}",
    ]
    for row in totals.iter_rows(named=True):
        lines.append(
            f"{row['dataset']:<17}{row['files']:>7}{row['files_failed']:>10}{row['delivered']:>11}"
            f"{row['accepted']:>10}{row['quarantined']:>13}{row['superseded']:>12}"
        )
        top = (
            q.filter(pl.col("dataset") == row["dataset"])
            .group_by("rule_ids")
            .len()
            .sort(["len", "rule_ids"], descending=[True, False])
            .head(TOP_RULES)
        )
        if top.height:
            rules = ", ".join(f"{rule} {n}" for rule, n in top.iter_rows())
            lines.append(f"{'':<17}top rejections: {rules}")
    lines.append(f"Delta lake: {lake} (bronze/, quarantine/, silver/, audit/)")
    return "\n".join(lines)
