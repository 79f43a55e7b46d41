"""mart_freshness_daily on a hand-made lake whose answers are worked out in the comments.

Day T = 2026-03-10. Local times (Asia/Ho_Chi_Minh):
  A 01001 city hospital: encounters file a1 arrived 09:00, in silver 09:02; its correction a2
    arrived 09:30, in silver 09:31; prescriptions file a3 arrived 10:00, in silver 10:10.
    Earliest encounter (in a1) began 08:30: 30 minutes from care to arrival.
  D 01004 central hospital: encounters file d1 arrived T+1 07:00, in silver 07:01; its
    earliest encounter began T 08:00: 23 hours.
  E 01005 health centre: encounters file e1 arrived 12:00, in silver 12:04; care began 11:50.
  Marts refreshed for T at 09:05, 12:10 and T+1 07:30.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_marts_lake import at, build_project, facility, make_lake, query, sql_project

T = date(2026, 3, 10)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
REGISTRY = [
    facility("01001", "city_hospital", "public_city", "00004",
             datasets="encounters;prescriptions"),
    facility("01004", "central_hospital", "public_central", "00004"),
    facility("01005", "health_centre", "public_city", "00010"),
]  # fmt: skip


def file_row(code: str, name: str, dataset: str, arrived: float, silver: float) -> dict:
    return {
        "service_date": T,
        "facility_code": code,
        "dataset": dataset,
        "source_file": f"{code}/{T}/{name}",
        "status": "ok",
        "arrived_at": at(T, arrived),
        "silver_at": at(T, silver),
    }


def encounter(code: str, name: str, encounter_id: str, began: float) -> dict:
    start = datetime.combine(T, datetime.min.time(), HANOI) + timedelta(hours=began)
    return {
        "service_date": T,
        "facility_code": code,
        "encounter_id": encounter_id,
        "admitted_at": start,
        "discharged_at": start + timedelta(hours=1),
        "source_file": f"{code}/{T}/{name}",
    }


ROWS = {
    "bronze_files": [
        file_row("01001", "a1", "encounters", 9, 9 + 2 / 60),
        file_row("01001", "a2", "encounters", 9.5, 9.5 + 1 / 60),
        file_row("01001", "a3", "prescriptions", 10, 10 + 10 / 60),
        file_row("01004", "d1", "encounters", 31, 31 + 1 / 60),
        file_row("01005", "e1", "encounters", 12, 12 + 4 / 60),
    ],
    "encounters": [
        encounter("01001", "a1", "x1", 8.5),
        encounter("01001", "a2", "x2", 9.2),
        encounter("01004", "d1", "y1", 8),
        encounter("01005", "e1", "z1", 11 + 50 / 60),
    ],
    "marts_refreshed": [
        {"service_date": T, "refreshed_at": at(T, hours), "run_id": "r"}
        for hours in (9 + 5 / 60, 12 + 10 / 60, 31.5)
    ],
}


def _rows(tmp_path, **settings) -> dict[tuple[str, str], dict]:
    lake = make_lake(tmp_path, REGISTRY, ROWS)
    sql_dir = sql_project(tmp_path, **settings)
    warehouse = build_project(tmp_path, lake, sql_dir, T, T)
    rows = query(warehouse, "select * from mart_freshness_daily")
    return {(r["facility_type"], r["dataset"]): r for r in rows}


def test_minutes_to_silver_and_to_the_next_marts_refresh(tmp_path):
    rows = _rows(tmp_path)
    city = rows[("city_hospital", "encounters")]
    assert city["files"] == 2 and city["files_in_marts"] == 2
    assert city["to_silver_p50_minutes"] == pytest.approx(1.5)  # 2 and 1 minutes
    assert city["to_silver_p95_minutes"] == pytest.approx(1.95)
    # a1 → the 09:05 refresh (5 min); a2 reached silver 09:31 → the 12:10 one (160 min).
    assert city["to_marts_p50_minutes"] == pytest.approx(82.5)
    assert city["to_marts_p95_minutes"] == pytest.approx(5 + 0.95 * 155)
    drugs = rows[("city_hospital", "prescriptions")]
    assert drugs["to_silver_p50_minutes"] == pytest.approx(10)
    assert drugs["to_marts_p50_minutes"] == pytest.approx(130)
    assert drugs["facilities_with_care"] is None  # the phase-3 measure is on encounters rows
    assert rows[("central_hospital", "encounters")]["to_marts_p50_minutes"] == pytest.approx(30)
    assert rows[("health_centre", "encounters")]["to_marts_p50_minutes"] == pytest.approx(10)


def test_facilities_whose_records_arrive_within_the_setting_of_care(tmp_path):
    rows = _rows(tmp_path)
    assert rows[("city_hospital", "encounters")]["facilities_realtime"] == 1  # 30 min
    assert rows[("city_hospital", "encounters")]["care_to_arrival_p50_minutes"] == 30
    assert rows[("central_hospital", "encounters")]["facilities_with_care"] == 1
    assert rows[("central_hospital", "encounters")]["facilities_realtime"] == 0  # 23 hours
    assert rows[("health_centre", "encounters")]["facilities_realtime"] == 1  # 10 min
    assert rows[("health_centre", "encounters")]["realtime_minutes"] == 60


def test_a_stricter_setting_counts_fewer_facilities(tmp_path):
    rows = _rows(tmp_path, realtime_minutes=20)
    assert rows[("city_hospital", "encounters")]["facilities_realtime"] == 0
    assert rows[("health_centre", "encounters")]["facilities_realtime"] == 1
