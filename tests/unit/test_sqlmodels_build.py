"""Seeds, declared look-backs, and a build that copies only the lake days a window needs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from hanoi_health_lake.sqlmodels import SqlModelError, Warehouse, load_models, open_sources
from hanoi_health_lake.sqlmodels.build import build, source_days
from hanoi_health_lake.sqlmodels.loader import find_seeds
from hanoi_health_lake.sqlmodels.sources import source_paths

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(10)]


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


WEEKLY = """-- description: Accepted records per facility and day, with the same day a week before.
-- materialized: incremental
-- lookback_days: reconciliation=7
-- columns:
--   service_date: Day.
--   facility_code: Facility.
--   accepted: Accepted that day.
--   accepted_week_before: Accepted seven days before.
--   label: The seed's label for the facility.

with recent as (
    select * from lake.reconciliation
    where service_date between getvariable('start_date') - 7 and getvariable('end_date')
),

final as (
    select
        today.service_date,
        today.facility_code,
        today.accepted,
        before.accepted as accepted_week_before,
        labels.label
    from recent as today
    left join recent as before
        on before.facility_code = today.facility_code
        and before.service_date = today.service_date - 7
    left join labels on labels.facility_code = today.facility_code
    where today.service_date between getvariable('start_date') and getvariable('end_date')
)

select * from final
"""


@pytest.fixture
def weekly(tmp_path):
    sql_dir = tmp_path / "sql"
    write(sql_dir, "marts/mart_weekly.sql", WEEKLY)
    write(sql_dir, "seeds/labels.csv", "facility_code,label\n01001,first\n01002,\n")
    lake = tmp_path / "lake"
    rows = pa.table(
        {
            "service_date": pa.array([d for d in DAYS for _ in range(2)], pa.date32()),
            "facility_code": ["01001", "01002"] * len(DAYS),
            "accepted": [10 * i + k for i in range(len(DAYS)) for k in range(2)],
        }
    )
    write_deltalake(str(source_paths(lake)["reconciliation"]), rows, partition_by=["service_date"])
    return sql_dir, lake, Warehouse(tmp_path / "w.duckdb")


def test_a_seed_is_read_like_a_model_but_is_no_model_dependency(weekly):
    sql_dir, _, _ = weekly
    (model,) = load_models(sql_dir)
    assert model.seeds == {"labels"}
    assert model.depends_on == set() and model.sources == {"reconciliation"}
    assert model.lookback("reconciliation") == 7
    assert find_seeds(sql_dir) == {"labels": sql_dir / "seeds" / "labels.csv"}


def test_a_one_day_build_copies_that_day_and_its_lookback_only(weekly):
    sql_dir, lake, warehouse = weekly
    (model,) = load_models(sql_dir)
    day = DAYS[8]
    assert source_days([model], day, day) == {
        "reconciliation": [day - timedelta(days=k) for k in range(7, -1, -1)]
    }
    results = build(warehouse, lake, [model], find_seeds(sql_dir), day, day)
    assert results["mart_weekly"]["rows"] == 2
    with warehouse.connect(read_only=True) as con:
        copied = con.execute("select distinct service_date from lake.reconciliation").fetchall()
        rows = con.execute(
            "select facility_code, accepted, accepted_week_before, label from mart_weekly "
            "order by facility_code"
        ).fetchall()
    assert sorted(d for (d,) in copied) == DAYS[1:9]
    assert rows == [("01001", 80, 10, "first"), ("01002", 81, 11, None)]


def test_a_full_build_copies_every_day(weekly):
    sql_dir, lake, warehouse = weekly
    (model,) = load_models(sql_dir)
    assert source_days([model], None, None) == {"reconciliation": None}
    build(warehouse, lake, [model], find_seeds(sql_dir))
    with warehouse.connect(read_only=True) as con:
        (n,) = con.execute("select count(*) from mart_weekly").fetchone()
    assert n == 2 * len(DAYS)


def test_table_models_and_reference_sources_are_read_whole(tmp_path):
    write(tmp_path, "marts/mart_a.sql", "-- description: A.\n\nselect * from lake.encounters\n")
    write(
        tmp_path,
        "marts/mart_b.sql",
        "-- description: B.\n-- materialized: incremental\n-- lookback_days: 3\n\n"
        "select * from lake.diagnoses join lake.wards using (ward_code)\n",
    )
    models = load_models(tmp_path)
    assert source_days(models, DAYS[5], DAYS[5]) == {
        "diagnoses": DAYS[2:6],
        "encounters": None,
        "wards": None,
    }


def test_open_sources_lists_only_the_asked_days_files(weekly):
    _, lake, _ = weekly
    datasets = open_sources(lake, {"reconciliation"}, [DAYS[0], DAYS[3]])
    table = datasets["reconciliation"].to_table()
    assert sorted(set(table["service_date"].to_pylist())) == [DAYS[0], DAYS[3]]
    assert len(datasets["reconciliation"].files) == 2


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("-- materialized: incremental\n-- lookback_days: stg_x=two\n", "is not `input=days`"),
        ("-- materialized: incremental\n-- lookback_days: lake.wards=3\n", "does not read"),
        ("-- lookback_days: 3\n", "only applies to incremental"),
    ],
)
def test_bad_lookback_is_an_error_naming_the_file(tmp_path, header, message):
    path = write(
        tmp_path,
        "marts/mart_bad.sql",
        "-- description: x\n" + header + "\nselect * from lake.encounters\n",
    )
    with pytest.raises(SqlModelError, match=message) as err:
        load_models(tmp_path)
    assert str(path) in str(err.value)


def test_a_seed_and_a_model_may_not_share_a_name(tmp_path):
    write(tmp_path, "marts/labels.sql", "-- description: x\n\nselect 1 as a\n")
    write(tmp_path, "seeds/labels.csv", "a\n1\n")
    with pytest.raises(SqlModelError, match="also the seed"):
        load_models(tmp_path)


def test_a_missing_seed_file_stops_the_build(weekly, tmp_path):
    sql_dir, lake, warehouse = weekly
    (model,) = load_models(sql_dir)
    with pytest.raises(FileNotFoundError, match="labels"):
        build(warehouse, lake, [model], {}, DAYS[0], DAYS[0])
