"""Ordering models by the tables they read."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.sqlmodels import SqlModel, SqlModelError, load_models, order_models


def model(name: str, *deps: str) -> SqlModel:
    return SqlModel(
        name=name,
        path=Path(f"marts/{name}.sql"),
        layer="marts",
        description=name,
        materialized="table",
        columns={},
        sql="select 1",
        depends_on=set(deps),
    )


GRAPH = [
    model("a"),
    model("b", "a"),
    model("c", "a"),
    model("d", "b", "c"),
    model("e"),
    model("f", "d", "e"),
]


def assert_inputs_first(ordered: list[SqlModel]) -> None:
    position = {m.name: i for i, m in enumerate(ordered)}
    for m in ordered:
        for dep in m.depends_on:
            if dep in position:
                assert position[dep] < position[m.name], f"{dep} should come before {m.name}"


@pytest.mark.parametrize("seed", range(5))
def test_every_model_comes_after_its_inputs_whatever_the_input_order(seed):
    shuffled = GRAPH[:]
    random.Random(seed).shuffle(shuffled)
    ordered = order_models(shuffled)
    assert sorted(m.name for m in ordered) == sorted(m.name for m in GRAPH)
    assert_inputs_first(ordered)


def test_models_ready_together_keep_the_given_order():
    independent = [model(n) for n in ("z", "y", "x")]
    assert [m.name for m in order_models(independent)] == ["z", "y", "x"]
    ordered = order_models([model("late", "x"), *independent])
    assert [m.name for m in ordered] == ["z", "y", "x", "late"]


def test_inputs_outside_the_list_count_as_built():
    ordered = order_models([model("d", "b", "c"), model("b", "a")])
    assert [m.name for m in ordered] == ["b", "d"]


def test_a_cycle_is_an_error_naming_its_files():
    models = [model("a", "c"), model("b", "a"), model("c", "b"), model("ok")]
    with pytest.raises(SqlModelError, match="cycle") as err:
        order_models(models)
    message = str(err.value)
    for name in ("a", "b", "c"):
        assert f"marts/{name}.sql" in message
    assert "ok.sql" not in message


def test_a_model_reading_itself_is_a_cycle():
    with pytest.raises(SqlModelError, match="self -> self"):
        order_models([model("self", "self")])


def test_a_new_model_file_is_ordered_after_the_models_it_reads(tmp_path):
    sql_dir = tmp_path / "dbt_like_sql"
    shutil.copytree(PROJECT_ROOT / "dbt_like_sql", sql_dir)
    (sql_dir / "marts" / "mart_prescribing.sql").write_text(
        "-- description: Drug lines per encounter type.\n\n"
        "with lines as (select * from stg_prescription_items),\n"
        "visits as (select * from int_visits)\n"
        "select v.encounter_type, count(*) as n_lines\n"
        "from lines as l join visits as v using (facility_code, encounter_id)\n"
        "group by v.encounter_type\n",
        encoding="utf-8",
    )
    (sql_dir / "intermediate" / "int_visits.sql").write_text(
        "-- description: Encounters with their diagnosis count.\n\n"
        "select e.*, (select count(*) from stg_diagnoses as d\n"
        "  where d.encounter_id = e.encounter_id) as n_diagnoses\n"
        "from stg_encounters as e\n",
        encoding="utf-8",
    )
    models = load_models(sql_dir)
    by_name = {m.name: m for m in models}
    assert by_name["mart_prescribing"].depends_on == {"stg_prescription_items", "int_visits"}
    assert by_name["int_visits"].depends_on == {"stg_encounters", "stg_diagnoses"}
    # Listed in reverse so only the inferred dependencies can put the inputs first.
    ordered = [m.name for m in order_models(models[::-1])]
    assert ordered.index("int_visits") > ordered.index("stg_encounters")
    assert ordered.index("int_visits") > ordered.index("stg_diagnoses")
    assert ordered.index("mart_prescribing") > ordered.index("int_visits")
    assert ordered.index("mart_prescribing") > ordered.index("stg_prescription_items")
