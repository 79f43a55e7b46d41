"""Load every `<sql_dir>/<layer>/<name>.sql` as a SqlModel with its inferred dependencies.

`<sql_dir>/seeds/<name>.csv` files are seeds: small reference data (targets, settings) the runner
loads into the warehouse as table `<name>`; a model reads one by its bare name, like a model.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hanoi_health_lake.sqlmodels.dependencies import (
    SOURCE_SCHEMA,
    parse_query,
    table_references,
)
from hanoi_health_lake.sqlmodels.model import (
    ALL_INPUTS,
    LAYERS,
    SqlModel,
    SqlModelError,
    check_model_name,
    parse_header,
)
from hanoi_health_lake.sqlmodels.sources import SOURCE_TABLES


def load_model(path: Path, layer: str) -> SqlModel:
    """One file, with the names it reads (not yet checked against the other models)."""
    text = path.read_text(encoding="utf-8")
    check_model_name(path.stem, path)
    header = parse_header(text, path)
    sql = text.rstrip().removesuffix(";").rstrip()
    refs = table_references(parse_query(sql, path), path)
    return SqlModel(
        name=path.stem,
        path=path,
        layer=layer,
        description=header.description,
        materialized=header.materialized,
        columns=header.columns,
        sql=sql,
        depends_on=refs.models,
        sources=refs.sources,
        unique_key=header.unique_key,
        lookback_days=header.lookback_days,
    )


SEEDS_DIR = "seeds"


def find_seeds(sql_dir: Path) -> dict[str, Path]:
    """Seed name → CSV file, from `<sql_dir>/seeds/*.csv`."""
    folder = Path(sql_dir) / SEEDS_DIR
    seeds = {path.stem: path for path in sorted(folder.glob("*.csv"))}
    for name, path in seeds.items():
        check_model_name(name, path)
    return seeds


def load_models(sql_dir: Path, sources: Iterable[str] = SOURCE_TABLES) -> list[SqlModel]:
    """Every model under `sql_dir`, sorted by layer then name; unknown names are errors."""
    sql_dir = Path(sql_dir)
    models: list[SqlModel] = []
    for path in sorted(sql_dir.rglob("*.sql")):
        relative = path.relative_to(sql_dir)
        if len(relative.parts) != 2 or relative.parts[0] not in LAYERS:
            raise SqlModelError(
                f"{path}: models live directly in one of {', '.join(LAYERS)} under {sql_dir}"
            )
        models.append(load_model(path, relative.parts[0]))
    models.sort(key=lambda m: (LAYERS.index(m.layer), m.name))
    seeds = find_seeds(sql_dir)
    for model in models:
        model.seeds = model.depends_on & seeds.keys()
        model.depends_on -= model.seeds
    _check_names(models, set(sources), seeds)
    return models


def _check_names(models: list[SqlModel], sources: set[str], seeds: dict[str, Path]) -> None:
    by_name: dict[str, SqlModel] = {}
    for model in models:
        if model.name in by_name:
            raise SqlModelError(
                f"{model.path}: model {model.name!r} is also defined in {by_name[model.name].path}"
            )
        if model.name in seeds:
            raise SqlModelError(
                f"{model.path}: model {model.name!r} is also the seed {seeds[model.name]}"
            )
        by_name[model.name] = model
    for model in models:
        unknown = model.depends_on - by_name.keys()
        if unknown:
            hints = [
                f"{name} (did you mean {SOURCE_SCHEMA}.{name}?)" if name in sources else name
                for name in sorted(unknown)
            ]
            raise SqlModelError(
                f"{model.path}: reads {', '.join(hints)}, which is neither a model nor a lake "
                f"source ({SOURCE_SCHEMA}.<table>)"
            )
        unknown_sources = model.sources - sources
        if unknown_sources:
            raise SqlModelError(
                f"{model.path}: reads "
                f"{', '.join(f'{SOURCE_SCHEMA}.{s}' for s in sorted(unknown_sources))}, "
                f"which is not a known lake source ({', '.join(sorted(sources))})"
            )
        not_read = set(model.lookback_days) - {ALL_INPUTS} - model.depends_on - model.sources
        if not_read:
            raise SqlModelError(
                f"{model.path}: lookback_days names {', '.join(sorted(not_read))}, which the "
                "query does not read"
            )
