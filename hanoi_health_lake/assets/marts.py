"""The marts group: one asset per SQL model of dbt_like_sql/, built in the DuckDB warehouse.

An incremental model is partitioned by service day: materialising day D copies the lake days it
reads (D plus its declared look-back) into the warehouse, then replaces its rows for D. A view is
partitioned alike: day D refreshes the lake days it shows. Table models are rebuilt whole.
Dependencies come from the tables each query reads.
"""

import hashlib
import warnings
from datetime import date
from pathlib import Path

import dagster as dg

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.lake.catalog import asset_of, is_partitioned
from hanoi_health_lake.partitions import service_day
from hanoi_health_lake.resources import LakeResource
from hanoi_health_lake.sqlmodels import SqlModel, Warehouse, load_models
from hanoi_health_lake.sqlmodels.build import build
from hanoi_health_lake.sqlmodels.loader import find_seeds

SQL_DIR = PROJECT_ROOT / "dbt_like_sql"
# Several days per backfill run: each run re-opens the warehouse and re-reads the look-backs.
BACKFILL_DAYS_PER_RUN = 31
# Every model writes the one DuckDB file, which takes one writer at a time: a pool limit of 1
# keeps runs queued in Dagster rather than waiting on the file lock.
WAREHOUSE_POOL = "duckdb_warehouse"


def _input_is_partitioned(name: str, models: dict[str, SqlModel]) -> bool:
    return models[name].is_windowed if name in models else is_partitioned(name)


def _deps(model: SqlModel, models: dict[str, SqlModel]) -> list[dg.AssetDep]:
    deps = []
    for name in sorted(model.depends_on | model.sources):
        mapping = None
        days = model.lookback(name)
        if model.is_incremental and days and _input_is_partitioned(name, models):
            mapping = dg.TimeWindowPartitionMapping(
                start_offset=-days, allow_nonexistent_upstream_partitions=True
            )
        deps.append(dg.AssetDep(asset_of(name), partition_mapping=mapping))
    return deps


def _code_version(model: SqlModel, seeds: dict[str, Path]) -> str:
    digest = hashlib.sha256(model.sql.encode("utf-8"))
    for name in sorted(model.seeds):
        digest.update(seeds[name].read_bytes())
    return digest.hexdigest()[:16]


def _column_schema(model: SqlModel, types: dict[str, str] | None = None) -> dg.TableSchema:
    types = types or {}
    columns = list(model.columns) + [c for c in types if c not in model.columns]
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name, types.get(name, "unknown"), model.columns.get(name, "not documented")
            )
            for name in columns
        ]
    )


def _relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _window(context: dg.AssetExecutionContext) -> tuple[date | None, date | None]:
    if not (context.has_partition_key or context.has_partition_key_range):
        return None, None
    keys = context.partition_key_range
    return date.fromisoformat(keys.start), date.fromisoformat(keys.end)


def _model_asset(
    model: SqlModel, models: dict[str, SqlModel], seeds: dict[str, Path]
) -> dg.AssetsDefinition:
    incremental = model.is_windowed  # partitioned by service day

    @dg.asset(
        name=model.name,
        group_name="marts",
        kinds={"duckdb"},
        description=model.description,
        deps=_deps(model, models),
        partitions_def=service_day if incremental else None,
        backfill_policy=dg.BackfillPolicy.multi_run(BACKFILL_DAYS_PER_RUN) if incremental else None,
        code_version=_code_version(model, seeds),
        pool=WAREHOUSE_POOL,
        metadata={
            "dagster/column_schema": _column_schema(model),
            "sql_file": _relative(model.path),
            "materialized": model.materialized,
        },
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        start, end = _window(context)
        warehouse = Warehouse(lake.warehouse)
        with warehouse.session():
            result = build(warehouse, lake.lake, [model], seeds, start, end)[model.name]
            total, types = warehouse.table_stats(model.name)
        for problem in ("columns_missing", "columns_undocumented"):
            if result[problem]:
                context.log.warning(f"{model.path}: {problem}: {', '.join(result[problem])}")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": total,
                "dagster/column_schema": _column_schema(model, types),
                "rows_built": result["rows"],
                "rows_replaced": result["rows_replaced"],
                "mode": result["mode"],
                "window": f"{start} .. {end}" if start else "all days",
                "seconds": result["seconds"],
                "warehouse": str(warehouse.path),
            }
        )

    return _asset


def mart_assets(sql_dir: Path = SQL_DIR) -> list[dg.AssetsDefinition]:
    """One asset per SQL model under `sql_dir`."""
    models = load_models(sql_dir)
    seeds = find_seeds(sql_dir)
    by_name = {m.name: m for m in models}
    with warnings.catch_warnings():
        # Backfill policies and look-back mappings onto missing early days are marked beta.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return [_model_asset(m, by_name, seeds) for m in models]


# Not built by an asset: every marts refresh appends to it (lake/freshness.py), and
# mart_freshness_daily reads it. Declared so the UI shows where that input comes from.
MARTS_REFRESHED = dg.AssetSpec(
    "marts_refreshed",
    group_name="audit",
    description=(
        "When the marts were refreshed for each service day (arrival batches, hhl run): "
        "Delta table audit/marts_refreshed, appended to; read by mart_freshness_daily."
    ),
    kinds={"deltalake"},
)

MART_ASSETS = mart_assets()
