"""`hhl docs`: write the static page documenting every SQL model, or (`--lake-tables`)
docs/lake-tables.md from the lake catalog."""

from __future__ import annotations

import argparse
from pathlib import Path

from hanoi_health_lake import config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "docs",
        help="write the SQL models' documentation page",
        description=(
            "Write a static HTML page (HHL_HOME/docs/models.html) listing every dbt_like_sql "
            "model with its description, materialisation, dependencies and columns, plus column "
            "types when the DuckDB warehouse has been built."
        ),
    )
    parser.add_argument("--home", help="HHL_HOME to read the warehouse from and write under")
    parser.add_argument(
        "--sql-dir",
        type=Path,
        default=config.PROJECT_ROOT / "dbt_like_sql",
        help="folder of SQL models (default: dbt_like_sql/ in the checkout)",
    )
    parser.add_argument(
        "--out", type=Path, help="page to write (default: HHL_HOME/docs/models.html)"
    )
    parser.add_argument(
        "--lake-tables",
        action="store_true",
        help="instead, rewrite docs/lake-tables.md from the lake catalog (lake/catalog.py)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.lake_tables:
        from hanoi_health_lake.lake.catalog_docs import write_lake_tables_doc

        print(f"lake tables documented in {write_lake_tables_doc()}")
        return 0
    from hanoi_health_lake.sqlmodels import build_docs, docs_path, load_models

    home = config.hhl_home(args.home)
    models = load_models(args.sql_dir)
    out = build_docs(models, args.out or docs_path(home), config.warehouse_path(home))
    print(f"{len(models)} models documented in {out}")
    return 0
