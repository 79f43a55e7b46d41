"""Loading SQL model files: header comments, inferred dependencies, errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.sqlmodels import SOURCE_TABLES, SqlModelError, load_models

SQL_DIR = PROJECT_ROOT / "dbt_like_sql"

HEADER = """-- description: Facility activity per facility and service day,
--   counted from accepted encounters.
-- materialized: incremental
-- columns:
--   facility_code: Facility code (MA_CSKCB).
--   service_date: Day of care.
--   encounters: Encounters that day,
--     all types.

"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def simple(description: str = "A model.") -> str:
    return f"-- description: {description}\n\n"


def test_header_gives_description_materialisation_and_columns_in_order(tmp_path):
    write(
        tmp_path,
        "marts/mart_activity.sql",
        HEADER + "select facility_code, service_date, count(*) as encounters\n"
        "from lake.encounters group by all;\n",
    )
    (model,) = load_models(tmp_path)
    assert model.name == "mart_activity"
    assert model.layer == "marts"
    assert model.description == (
        "Facility activity per facility and service day, counted from accepted encounters."
    )
    assert model.materialized == "incremental"
    assert model.unique_key == "service_date"
    assert list(model.columns) == ["facility_code", "service_date", "encounters"]
    assert model.columns["encounters"] == "Encounters that day, all types."
    assert model.sources == {"encounters"}
    assert not model.sql.endswith(";")


def test_table_is_the_default_materialisation(tmp_path):
    write(tmp_path, "staging/stg_x.sql", simple() + "select 1 as x\n")
    (model,) = load_models(tmp_path)
    assert model.materialized == "table"
    assert model.unique_key is None
    assert model.columns == {}


def test_dependencies_are_tables_read_not_ctes_or_table_functions(tmp_path):
    write(tmp_path, "staging/stg_a.sql", simple() + "select * from lake.encounters\n")
    write(tmp_path, "staging/stg_b.sql", simple() + "select * from lake.facilities\n")
    write(
        tmp_path,
        "marts/mart_c.sql",
        simple()
        + """with stg_b as (select * from stg_a),
final as (
    select * from stg_b
    join (with inner_cte as (select * from main.stg_b) select * from inner_cte) using (x)
    join lake.wards using (ward_code)
    cross join range(3) r(i)
)
select * from final
""",
    )
    models = {m.name: m for m in load_models(tmp_path)}
    # `stg_b` the CTE shadows the model at the top, but the subquery reads the model itself.
    assert models["mart_c"].depends_on == {"stg_a", "stg_b"}
    assert models["mart_c"].sources == {"wards"}
    assert models["stg_a"].depends_on == set()


def test_cte_names_are_case_insensitive(tmp_path):
    write(
        tmp_path, "staging/stg_a.sql", simple() + "with Final as (select 1 x) select * from final"
    )
    (model,) = load_models(tmp_path)
    assert model.depends_on == set()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select * from nowhere", "nowhere"),
        ("select * from encounters", "did you mean lake.encounters"),
        ("select * from lake.bronze_records", "lake.bronze_records"),
        ("select * from other.encounters", "schema 'other'"),
        ("select 1; select 2", "exactly one SELECT"),
        ("create table t as select 1", "exactly one SELECT"),
        ("select * from (", "cannot parse"),
    ],
)
def test_bad_query_is_an_error_naming_the_file(tmp_path, sql, message):
    path = write(tmp_path, "marts/mart_bad.sql", simple() + sql)
    with pytest.raises(SqlModelError, match=message) as err:
        load_models(tmp_path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("-- materialized: table\n", "no `-- description:`"),
        ("-- description: x\n-- materialised: incremental\n", "materialised"),
        ("-- description: x\n-- materialized: snapshot\n", "materialized is 'snapshot'"),
        ("-- description: x\n-- unique_key: service_date\n", "only applies to incremental"),
        ("-- description: x\n-- columns:\n--   a: one\n--   a: two\n", "listed twice"),
        ("-- description: x\n-- columns:\n--   not a column line\n", "is not `name: description`"),
        ("-- description: x\n-- materialized: incremental\n-- unique_key: 1day\n", "unique_key"),
    ],
)
def test_bad_header_is_an_error_naming_the_file(tmp_path, header, message):
    path = write(tmp_path, "marts/mart_bad.sql", header + "\nselect 1 as a\n")
    with pytest.raises(SqlModelError, match=message) as err:
        load_models(tmp_path)
    assert str(path) in str(err.value)


def test_free_comments_after_the_header_blank_line_are_allowed(tmp_path):
    write(tmp_path, "marts/mart_ok.sql", simple() + "-- Note: anything here.\nselect 1 as a\n")
    (model,) = load_models(tmp_path)
    assert model.description == "A model."


def test_duplicate_names_across_layers_name_both_files(tmp_path):
    first = write(tmp_path, "intermediate/dup.sql", simple() + "select 1 as a")
    second = write(tmp_path, "marts/dup.sql", simple() + "select 1 as a")
    with pytest.raises(SqlModelError) as err:
        load_models(tmp_path)
    assert str(first) in str(err.value) and str(second) in str(err.value)


@pytest.mark.parametrize("relative", ["loose.sql", "reports/x.sql", "marts/sub/x.sql"])
def test_files_outside_the_layer_folders_are_errors(tmp_path, relative):
    write(tmp_path, relative, simple() + "select 1 as a")
    with pytest.raises(SqlModelError, match="staging, intermediate, marts"):
        load_models(tmp_path)


def test_file_names_must_be_plain_identifiers(tmp_path):
    write(tmp_path, "marts/Mart-Activity.sql", simple() + "select 1 as a")
    with pytest.raises(SqlModelError, match="Mart-Activity"):
        load_models(tmp_path)


def test_the_project_models_load_with_one_staging_model_per_silver_table():
    models = {m.name: m for m in load_models(SQL_DIR)}
    silver = sorted(t for t, zone in SOURCE_TABLES.items() if zone == "silver")
    for table in silver:
        model = models[f"stg_{table}"]
        assert model.layer == "staging"
        assert model.sources == {table}
        assert model.depends_on == set()
        assert model.is_view and model.unique_key is None  # nothing stored: silver, typed
        assert {"facility_code", "service_date"} <= model.columns.keys()
        assert all(model.columns.values()), f"{model.path}: a column has no description"
