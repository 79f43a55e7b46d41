"""A draining arrivals run refreshes the marts after every batch: the SQL models are parsed
once, and again only when a file under the SQL folder changed."""

from __future__ import annotations

import shutil
from pathlib import Path

from hanoi_health_lake.realtime import marts_refresh
from hanoi_health_lake.realtime.marts_refresh import SQL_DIR, models_and_seeds


def test_models_are_parsed_once_until_a_file_changes(tmp_path: Path, monkeypatch):
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    loads = []
    real = marts_refresh.load_models
    monkeypatch.setattr(marts_refresh, "load_models", lambda d: loads.append(d) or real(d))

    models, seeds = models_and_seeds(sql_dir)
    again, seeds_again = models_and_seeds(sql_dir)
    assert again is models and seeds_again == seeds and len(loads) == 1
    assert {m.name for m in models} >= {"mart_freshness_daily"}

    model = next(m for m in models if m.name == "mart_freshness_daily")
    model.path.write_text(model.path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed, _ = models_and_seeds(sql_dir)
    assert changed is not models and len(loads) == 2
    assert [m.name for m in changed] == [m.name for m in models]
