"""The static docs page and `hhl docs`."""

from __future__ import annotations

import argparse
from html import escape

import pyarrow as pa

from hanoi_health_lake.commands import docs as docs_command
from hanoi_health_lake.config import PROJECT_ROOT, warehouse_path
from hanoi_health_lake.sqlmodels import Warehouse, build_docs, docs_path, load_models

SQL_DIR = PROJECT_ROOT / "dbt_like_sql"


def run_hhl_docs(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="hhl")
    docs_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["docs", *argv])
    return args.func(args)


def test_hhl_docs_lists_every_project_model_and_column_before_any_build(tmp_path, capsys):
    assert run_hhl_docs("--home", str(tmp_path)) == 0
    page = docs_path(tmp_path).read_text(encoding="utf-8")
    models = load_models(SQL_DIR)
    assert str(docs_path(tmp_path)) in capsys.readouterr().out
    for model in models:
        assert f'<section id="{model.name}">' in page
        assert escape(model.description) in page
        for column, description in model.columns.items():
            assert f"<td><code>{column}</code></td><td></td><td>{escape(description)}</td>" in page
        for source in model.sources:
            assert f'href="#lake.{source}"' in page
    assert "not built yet" in page


def write_models(sql_dir):
    (sql_dir / "staging").mkdir(parents=True)
    (sql_dir / "marts").mkdir()
    (sql_dir / "staging" / "stg_wards.sql").write_text(
        "-- description: Wards & communes <2025>.\n-- columns:\n"
        "--   ward_code: Ward code.\n--   gone: Documented but never built.\n\n"
        "select ward_code, ward_kind from lake.wards\n",
        encoding="utf-8",
    )
    (sql_dir / "marts" / "mart_ward_kinds.sql").write_text(
        "-- description: Wards per kind.\n-- columns:\n--   ward_kind: Kind.\n--   n: Wards.\n\n"
        "select ward_kind, count(*) as n from stg_wards group by ward_kind\n",
        encoding="utf-8",
    )


def test_page_shows_built_types_dependencies_and_column_drift(tmp_path):
    sql_dir = tmp_path / "sql"
    write_models(sql_dir)
    warehouse = Warehouse(warehouse_path(tmp_path))
    wards = pa.table({"ward_code": ["00001", "00004"], "ward_kind": ["phường", "xã"]})
    warehouse.refresh_sources({"wards": wards})
    models = load_models(sql_dir)
    warehouse.run_all(models)
    assert run_hhl_docs("--home", str(tmp_path), "--sql-dir", str(sql_dir)) == 0
    page = docs_path(tmp_path).read_text(encoding="utf-8")

    assert "Wards &amp; communes &lt;2025&gt;." in page
    assert "<td><code>n</code></td><td>BIGINT</td><td>Wards.</td>" in page
    assert "<td><code>ward_code</code></td><td>VARCHAR</td><td>Ward code.</td>" in page
    assert "<code>ward_kind</code></td><td>VARCHAR</td><td class=" in page  # undocumented
    assert "Documented but not in the built table: gone" in page
    assert '<th>read by</th><td><a href="#mart_ward_kinds">' in page
    assert '<th>reads models</th><td><a href="#stg_wards">' in page
    assert "<code>ward_code</code> VARCHAR, <code>ward_kind</code> VARCHAR" in page
    assert "not built yet" not in page
    assert page.index('id="stg_wards"') < page.index('id="mart_ward_kinds"')


def test_page_can_be_written_anywhere(tmp_path):
    out = build_docs(load_models(SQL_DIR), tmp_path / "elsewhere" / "page.html")
    assert out.exists() and "stg_encounters" in out.read_text(encoding="utf-8")


def test_page_names_each_models_seeds_and_lookback(tmp_path):
    models = {m.name: m for m in load_models(SQL_DIR)}
    page = build_docs(list(models.values()), tmp_path / "page.html").read_text(encoding="utf-8")
    adherence = page[page.index('<section id="mart_appointment_adherence_daily">') :]
    adherence = adherence[: adherence.index("</section>")]
    assert "<code>stg_appointments</code>: 123 days" in adherence
    assert "<code>stg_encounters</code>: 6 days" in adherence
    phases = page[page.index('<section id="mart_phase_status">') :]
    assert "<th>reads seeds</th><td><code>phase_targets</code></td>" in phases
    assert models["mart_phase_status"].seeds == {"phase_targets"}
