"""A static HTML page documenting every SQL model, with column types once the warehouse is built."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path

import duckdb

from hanoi_health_lake.sqlmodels.dependencies import MODEL_SCHEMA, SOURCE_SCHEMA
from hanoi_health_lake.sqlmodels.model import SqlModel
from hanoi_health_lake.sqlmodels.ordering import order_models
from hanoi_health_lake.sqlmodels.warehouse import Warehouse

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { background: #f6f6f6; padding: 0 .2rem; }
.note { color: #a33; }
section { border-top: 1px solid #ddd; padding-top: .5rem; }
"""


def docs_path(home: Path) -> Path:
    return Path(home) / "docs" / "models.html"


def build_docs(
    models: Sequence[SqlModel], out_path: Path, warehouse_path: Path | None = None
) -> Path:
    """Write the page to `out_path`; types come from `warehouse_path` when it can be read."""
    types, note = _warehouse_types(warehouse_path)
    ordered = order_models(models)
    readers: dict[str, list[str]] = {m.name: [] for m in ordered}
    for model in ordered:
        for dep in sorted(model.depends_on):
            readers.setdefault(dep, []).append(model.name)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>hanoi-health-lake: SQL models</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>SQL models (dbt_like_sql)</h1>",
        f"<p>{len(ordered)} models, listed in build order. Generated "
        f"{escape(datetime.now().astimezone().isoformat(timespec='seconds'))}.</p>",
    ]
    if note:
        parts.append(f'<p class="note">{escape(note)}</p>')
    parts.append(_summary(ordered))
    parts.extend(_model_section(m, types, readers.get(m.name, [])) for m in ordered)
    parts.append(_sources_section(ordered, types))
    parts.append("</body></html>")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("\n".join(parts), encoding="utf-8")
    return out_path


def _warehouse_types(path: Path | None) -> tuple[dict[str, dict[str, str]], str | None]:
    if path is None or not Path(path).exists():
        return {}, "The warehouse is not built yet: column types are not shown."
    try:
        return Warehouse(path).column_types(), None
    except duckdb.Error as err:
        # A running build holds the file; the page is still useful without types.
        return {}, f"Could not read column types from {path}: {err}"


def _summary(models: Sequence[SqlModel]) -> str:
    rows = "".join(
        f'<tr><td><a href="#{m.name}"><code>{m.name}</code></a></td><td>{m.layer}</td>'
        f"<td>{_materialization(m)}</td><td>{escape(m.description)}</td></tr>"
        for m in models
    )
    return (
        "<table><tr><th>model</th><th>layer</th><th>materialized</th><th>description</th></tr>"
        f"{rows}</table>"
    )


def _materialization(model: SqlModel) -> str:
    if model.is_incremental:
        return f"incremental by <code>{escape(model.unique_key or '')}</code>"
    return escape(model.materialized)


def _links(names: Sequence[str], prefix: str = "") -> str:
    if not names:
        return "—"
    return ", ".join(f'<a href="#{prefix}{n}"><code>{prefix}{n}</code></a>' for n in names)


def _model_section(model: SqlModel, types: dict[str, dict[str, str]], readers: list[str]) -> str:
    built = types.get(f"{MODEL_SCHEMA}.{model.name}", {})
    rows = [
        f"<tr><td><code>{escape(c)}</code></td><td>{escape(built.get(c, ''))}</td>"
        f"<td>{escape(d)}</td></tr>"
        for c, d in model.columns.items()
    ]
    rows += [
        f'<tr><td><code>{escape(c)}</code></td><td>{escape(t)}</td><td class="note">'
        "not documented in the header</td></tr>"
        for c, t in built.items()
        if c not in model.columns
    ]
    missing = [c for c in model.columns if built and c not in built]
    return "\n".join(
        [
            f'<section id="{model.name}"><h2><code>{model.name}</code></h2>',
            f"<p>{escape(model.description)}</p>",
            "<table>",
            f"<tr><th>file</th><td><code>{escape(_relative(model.path))}</code></td></tr>",
            f"<tr><th>layer</th><td>{model.layer}</td></tr>",
            f"<tr><th>materialized</th><td>{_materialization(model)}</td></tr>",
            f"<tr><th>reads models</th><td>{_links(sorted(model.depends_on))}</td></tr>",
            "<tr><th>reads lake tables</th><td>"
            f"{_links(sorted(model.sources), prefix=f'{SOURCE_SCHEMA}.')}</td></tr>",
            f"<tr><th>reads seeds</th><td>{_codes(sorted(model.seeds))}</td></tr>",
            f"<tr><th>look-back</th><td>{_lookback(model)}</td></tr>",
            f"<tr><th>read by</th><td>{_links(readers)}</td></tr>",
            "</table>",
            (
                f'<p class="note">Documented but not in the built table: {", ".join(missing)}</p>'
                if missing
                else ""
            ),
            "<table><tr><th>column</th><th>type</th><th>description</th></tr>",
            "".join(rows) or '<tr><td colspan="3">no columns documented</td></tr>',
            "</table></section>",
        ]
    )


def _sources_section(models: Sequence[SqlModel], types: dict[str, dict[str, str]]) -> str:
    sources = sorted(set().union(*(m.sources for m in models)))
    parts = [f"<section><h2>Lake tables read (schema <code>{SOURCE_SCHEMA}</code>)</h2>"]
    for name in sources:
        columns = types.get(f"{SOURCE_SCHEMA}.{name}", {})
        cells = ", ".join(f"<code>{escape(c)}</code> {escape(t)}" for c, t in columns.items())
        parts.append(
            f'<h3 id="{SOURCE_SCHEMA}.{name}"><code>{SOURCE_SCHEMA}.{name}</code></h3>'
            f"<p>{cells or 'not in the warehouse yet'}</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _codes(names: Sequence[str]) -> str:
    return ", ".join(f"<code>{escape(n)}</code>" for n in names) or "—"


def _lookback(model: SqlModel) -> str:
    """Days before the window the model reads, per input ('*': every input)."""
    if not model.lookback_days:
        return "—"
    return ", ".join(
        f"{'every input' if name == '*' else f'<code>{escape(name)}</code>'}: {days} days"
        for name, days in sorted(model.lookback_days.items())
    )


def _relative(path: Path) -> str:
    parts = Path(path).parts
    return str(Path(*parts[-3:])) if len(parts) >= 3 else str(path)
