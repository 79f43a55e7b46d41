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
    files_path = lake / "bronze" / "bronze_files"
    if table_exists(files_path):
        lines += _by_format(pl.from_arrow(read_table(files_path, days)))
    lines.append(f"Delta lake: {lake} (bronze/, quarantine/, silver/, audit/)")
    return "\n".join(lines)


def _by_format(files: pl.DataFrame) -> list[str]:
    """Files and records per delivery format; for QĐ 130 XML, dossiers, check-ins, the
    facilities that sent them and the tables received but not yet used."""
    lines = [f"{'format':<17}{'files':>7}{'records':>11}{'facilities':>12}"]
    by_format = (
        files.group_by("format")
        .agg(
            pl.len().alias("files"),
            pl.col("n_records").sum().alias("records"),
            pl.col("facility_code").n_unique().alias("facilities"),
        )
        .sort("format", nulls_last=True)
    )
    for row in by_format.iter_rows(named=True):
        lines.append(
            f"{row['format'] or 'unknown':<17}{row['files']:>7}{row['records']:>11}"
            f"{row['facilities']:>12}"
        )
    xml = files.filter(pl.col("format") == "qd130_xml")
    if xml.height:
        dossiers = xml.filter(pl.col("dataset") == "hoso").height
        checkins = xml.filter(pl.col("dataset") == "checkins").height
        lines.append(f"{'':<17}XML: {dossiers} dossier(s) (hoso), {checkins} check-in file(s)")
        if "kept_tables" in xml.columns:
            kept = (
                xml.select("kept_tables")
                .explode("kept_tables")
                .unnest("kept_tables")
                .drop_nulls("table_name")
                .group_by("table_name")
                .agg(pl.col("records").sum())
                .sort("table_name")
            )
            if kept.height:
                listed = ", ".join(f"{t} {n}" for t, n in kept.iter_rows())
                lines.append(f"{'':<17}received, not yet used (kept in bronze): {listed}")
    return lines
