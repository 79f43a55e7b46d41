"""dbt-like SQL models on DuckDB: load `dbt_like_sql/`, infer dependencies, order, run, document.

No Dagster import here: the marts assets wrap these functions.
"""

from hanoi_health_lake.sqlmodels.build import build, refresh_inputs, source_days
from hanoi_health_lake.sqlmodels.docs import build_docs, docs_path
from hanoi_health_lake.sqlmodels.loader import find_seeds, load_models
from hanoi_health_lake.sqlmodels.model import SqlModel, SqlModelError
from hanoi_health_lake.sqlmodels.ordering import order_models
from hanoi_health_lake.sqlmodels.sources import (
    SOURCE_EXCLUDED_COLUMNS,
    SOURCE_TABLES,
    open_sources,
    source_paths,
)
from hanoi_health_lake.sqlmodels.warehouse import Warehouse

__all__ = [
    "SOURCE_EXCLUDED_COLUMNS",
    "SOURCE_TABLES",
    "SqlModel",
    "SqlModelError",
    "Warehouse",
    "build",
    "build_docs",
    "docs_path",
    "find_seeds",
    "load_models",
    "open_sources",
    "order_models",
    "refresh_inputs",
    "source_days",
    "source_paths",
]
