"""Coverage marts on a hand-made lake whose answers are worked out in the comments.

The day under test is T = Tuesday 2026-03-10. Facilities:
  A 01001 city hospital (public), encounters + prescriptions, live since 2025-12-01
  B 01A01 private clinic, encounters, live since 2026-03-05, never sends
  C 01003 health station, encounters, never live, sends one unreadable file on T
  D 01004 central hospital (public), encounters, live since 2025-12-01
  E 01005 health centre (public), encounters, live since 2026-01-01, always within an hour
  79001 is no Hanoi facility but sends a file on T.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from statistics import median

import pytest
from test_marts_lake import at, build_project, facility, make_lake, query, sql_project

T = date(2026, 3, 10)


def day(offset: int) -> date:
    return T + timedelta(days=offset)


REGISTRY = [
    facility(
        "01001",
        "city_hospital",
        "public_city",
        "00004",
        datasets="encounters;prescriptions",
        export_format="fhir_json",
    ),
    facility("01A01", "private_clinic", "private", "00008", go_live_date="2026-03-05"),
    facility("01003", "health_station", "public_city", "00008", go_live_date=""),
    facility("01004", "central_hospital", "public_central", "00004"),
    facility("01005", "health_centre", "public_city", "00010", go_live_date="2026-01-01"),
]


def delivery(code: str, dataset: str, service_date: date, export_hours: float, **extra) -> dict:
    """A bronze_files row exported `export_hours` after the service day began."""
    return {
        "service_date": service_date,
        "facility_code": code,
        "dataset": dataset,
        "source_file": f"{code}/{service_date}/{dataset}__{export_hours}.csv",
        "format": "csv",
        "export_ts": at(service_date, export_hours),
        "status": "ok",
        "n_records": 10,
        **extra,
    }


def counts(code, dataset, service_date, delivered, accepted, quarantined=0) -> dict:
    return {
        "service_date": service_date,
        "facility_code": code,
        "dataset": dataset,
        "files": 1,
        "files_failed": 0,
        "delivered": delivered,
        "accepted": accepted,
        "quarantined": quarantined,
        "superseded": delivered - accepted - quarantined,
    }


A_HISTORY = {-35: 100, -28: 102, -21: 98, -14: 101, -7: 99}  # same weekday as T

FILES = [
    # A encounters: weekly history, T-1, and on T a first file at 07:30 next morning (on time)
    # plus a correction the day after at 10:00.
    *(delivery("01001", "encounters", day(k), 30) for k in A_HISTORY),
    delivery("01001", "encounters", day(-1), 30),
    delivery("01001", "encounters", T, 24 + 7.5),
    delivery("01001", "encounters", T, 48 + 10),
    # A prescriptions: first on 2026-01-05, last on T-3; nothing since.
    delivery("01001", "prescriptions", date(2026, 1, 5), 30),
    delivery("01001", "prescriptions", day(-3), 30, format="fhir_json"),
    # C: one file that could not be read.
    delivery("01003", "encounters", T, 30, status="error", n_records=0),
    # D: first ever on 2025-12-20, then two weeks, T-1 on time, T late (09:00).
    delivery("01004", "encounters", date(2025, 12, 20), 30),
    delivery("01004", "encounters", day(-14), 30),
    delivery("01004", "encounters", day(-7), 30),
    delivery("01004", "encounters", day(-1), 30),
    delivery("01004", "encounters", T, 24 + 9),
    # E: within an hour of the day's end on T-1 and T.
    delivery("01005", "encounters", day(-1), 25),
    delivery("01005", "encounters", T, 25),
    # Not in the registry.
    delivery("79001", "encounters", T, 30),
]
RECONCILIATION = [
    *(counts("01001", "encounters", day(k), n, n) for k, n in A_HISTORY.items()),
    counts("01001", "encounters", day(-1), 95, 95),
    counts("01001", "encounters", T, 75, 70, quarantined=5),  # 70 is below the band
    counts("01004", "encounters", day(-14), 50, 50),
    counts("01004", "encounters", day(-7), 52, 52),
    counts("01004", "encounters", T, 50, 49, quarantined=1),
    counts("01005", "encounters", T, 10, 10),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("coverage")
    lake = make_lake(root, REGISTRY, {"bronze_files": FILES, "reconciliation": RECONCILIATION})
    # Phase targets judged over T-1 and T only, so that the shares can be counted by hand.
    return build_project(root, lake, sql_project(root, phase_window_days=2))


def coverage_on(warehouse, service_date: date) -> dict[tuple[str, str], dict]:
    rows = query(
        warehouse, "select * from mart_coverage_daily where service_date = ?", [service_date]
    )
    return {(r["facility_code"], r["dataset"]): r for r in rows}


def test_coverage_rows_are_the_registry_grid_plus_unexpected_deliveries(warehouse):
    rows = coverage_on(warehouse, T)
    assert set(rows) == {
        ("01001", "encounters"),
        ("01001", "prescriptions"),
        ("01A01", "encounters"),
        ("01003", "encounters"),
        ("01004", "encounters"),
        ("01005", "encounters"),
        ("79001", "encounters"),
    }
    expected = {k for k, r in rows.items() if r["is_expected"]}
    assert expected == {
        ("01001", "encounters"),
        ("01001", "prescriptions"),
        ("01A01", "encounters"),
        ("01004", "encounters"),
        ("01005", "encounters"),
    }
    stranger = rows[("79001", "encounters")]
    assert stranger["is_delivered"] and not stranger["is_registered"]
    assert stranger["facility_type"] is None and not stranger["is_required"]
    # Days run from the first delivery in the lake to the last one.
    (span,) = query(
        warehouse, "select min(service_date) a, max(service_date) b from mart_coverage_daily"
    )
    assert (span["a"], span["b"]) == (date(2025, 12, 20), T)


def test_on_time_lag_and_its_percentiles(warehouse):
    a = coverage_on(warehouse, T)[("01001", "encounters")]
    assert a["files"] == 2 and a["is_on_time"]
    assert a["first_export_ts"] == at(T, 31.5)
    assert a["due_ts"] == at(T, 32)  # 08:00 the next day
    assert a["first_lag_hours"] == pytest.approx(7.5)
    # Two files, lags 7.5 h and 34 h: median halfway, p95 by linear interpolation.
    assert a["lag_p50_hours"] == pytest.approx((7.5 + 34) / 2)
    assert a["lag_p95_hours"] == pytest.approx(7.5 + 0.95 * (34 - 7.5))
    d = coverage_on(warehouse, T)[("01004", "encounters")]
    assert not d["is_on_time"] and d["first_lag_hours"] == pytest.approx(9)
    silent = coverage_on(warehouse, T)[("01A01", "encounters")]
    assert not silent["is_delivered"] and not silent["is_on_time"] and silent["files"] == 0


def test_completeness_against_the_facilitys_own_weekday_band(warehouse):
    a = coverage_on(warehouse, T)[("01001", "encounters")]
    history = list(A_HISTORY.values())
    centre = median(history)
    mad = median(abs(x - centre) for x in history)
    half_width = max(3 * mad, 0.2 * centre, 5)  # sla_settings: 3 MAD, 20 %, 5 records
    assert a["history_weeks"] == 5
    assert (a["band_low"], a["band_high"]) == (centre - half_width, centre + half_width)
    assert a["records_accepted"] == 70 < a["band_low"]
    assert (a["completeness"], a["is_complete"]) == ("below_band", False)
    # D has two same-weekday deliveries before T: too few to judge.
    d = coverage_on(warehouse, T)[("01004", "encounters")]
    assert (d["history_weeks"], d["completeness"], d["is_complete"]) == (
        2,
        "insufficient_history",
        None,
    )
    assert d["band_low"] is None
    presc = coverage_on(warehouse, T)[("01001", "prescriptions")]
    assert (presc["completeness"], presc["is_complete"]) == ("not_delivered", False)
    # On T-7 A's history is four weeks: enough, and 99 sits inside [80, 120].
    earlier = coverage_on(warehouse, day(-7))[("01001", "encounters")]
    assert (earlier["history_weeks"], earlier["completeness"]) == (4, "within_band")


def test_validity_from_quarantine_share_and_failed_files(warehouse):
    rows = coverage_on(warehouse, T)
    a, d, e = (
        rows[("01001", "encounters")],
        rows[("01004", "encounters")],
        rows[("01005", "encounters")],
    )
    assert a["quarantine_share"] == pytest.approx(5 / 75) and a["is_valid"] is False
    assert d["quarantine_share"] == pytest.approx(1 / 50) and d["is_valid"] is True
    assert e["is_valid"] is True
    c = rows[("01003", "encounters")]
    assert (c["files_failed"], c["is_valid"], c["is_expected"]) == (1, False, False)
    assert rows[("01A01", "encounters")]["is_valid"] is None


def test_connected_since_last_delivery_and_silence(warehouse):
    rows = coverage_on(warehouse, T)
    presc = rows[("01001", "prescriptions")]
    since = presc["days_since_delivery"]
    assert (presc["connected_since"], presc["last_delivery_date"], since) == (
        date(2026, 1, 5),
        day(-3),
        3,
    )
    b = rows[("01A01", "encounters")]
    assert not b["is_connected"] and b["last_delivery_date"] is None
    assert b["days_since_delivery"] == (T - date(2026, 3, 5)).days + 1
    assert rows[("01004", "encounters")]["connected_since"] == date(2025, 12, 20)
    # Connection is as of each day: on 2026-01-10 A's prescriptions are, its encounters not yet.
    january = coverage_on(warehouse, date(2026, 1, 10))
    assert january[("01001", "prescriptions")]["is_connected"]
    assert not january[("01001", "encounters")]["is_connected"]
    assert coverage_on(warehouse, day(-2))[("01001", "prescriptions")]["days_since_delivery"] == 1


def test_rollups_agree_with_the_coverage_rows(warehouse):
    rows = [r for r in coverage_on(warehouse, T).values() if r["is_expected"]]
    groups = defaultdict(list)
    for r in rows:
        for dimension in ("facility_type", "ownership", "ward_code"):
            for dataset in (r["dataset"], "all"):
                groups[(dimension, r[dimension], dataset)].append(r)
        for dataset in (r["dataset"], "all"):
            groups[("city", "hanoi", dataset)].append(r)
    rollup = query(
        warehouse, "select * from mart_coverage_rollup_daily where service_date = ?", [T]
    )
    assert {(g["dimension"], g["group_value"], g["dataset"]) for g in rollup} == set(groups)
    for g in rollup:
        members = groups[(g["dimension"], g["group_value"], g["dataset"])]
        delivered = [m for m in members if m["is_delivered"]]
        assert g["expected"] == len(members)
        assert g["facilities_expected"] == len({m["facility_code"] for m in members})
        assert g["delivered"] == len(delivered)
        assert g["on_time"] == sum(m["is_on_time"] for m in members)
        # Completeness is judged only once a delivered dataset of the group has the history.
        judgeable = any(m["is_delivered"] and m["is_complete"] is not None for m in members)
        judged = sum(m["is_complete"] is not None for m in members) if judgeable else 0
        assert g["complete"] == (sum(m["is_complete"] is True for m in members) if judgeable else 0)
        assert g["completeness_judged"] == judged
        assert g["completeness_insufficient"] == sum(
            m["is_delivered"] and m["is_complete"] is None for m in members
        )
        assert (g["complete_share"] is None) == (judged == 0)
        assert g["valid"] == sum(m["is_valid"] is True for m in members)
        assert g["connected"] == sum(m["is_connected"] for m in members)
        assert g["delivered_share"] == pytest.approx(len(delivered) / len(members))
    city = next(g for g in rollup if g["dimension"] == "city" and g["dataset"] == "all")
    # Expected: A enc, A presc, B, D, E. Delivered A enc, D, E; on time A enc and E;
    # valid D and E; connected all but B; first-file lags 7.5, 9 and 1 hours.
    assert (city["expected"], city["delivered"], city["on_time"]) == (5, 3, 2)
    assert (city["valid"], city["connected"], city["complete"]) == (2, 4, 0)
    # A's encounters have the history (below band); D's and E's do not; B sent nothing.
    assert (city["completeness_judged"], city["completeness_insufficient"]) == (3, 2)
    assert city["valid_share"] == pytest.approx(2 / 3)
    assert city["lag_p50_hours"] == pytest.approx(7.5)
    assert city["lag_p95_hours"] == pytest.approx(7.5 + 0.9 * (9 - 7.5))


def test_phase_status_of_each_facility(warehouse):
    rows = query(warehouse, "select * from mart_phase_status")
    status = {(r["phase"], r["facility_code"]): r for r in rows}
    assert {r["as_of_date"] for r in rows} == {T}
    # Phase 1 covers public hospitals only: A (city) and D (central).
    assert {code for phase, code in status if phase == 1} == {"01001", "01004"}
    a1, d1 = status[(1, "01001")], status[(1, "01004")]
    # A's last required dataset (encounters) first came on 2026-02-03, after 2025-12-30.
    assert (a1["datasets_required"], a1["datasets_connected"]) == (2, 2)
    assert (a1["connected_date"], a1["status"]) == (date(2026, 2, 3), "met_late")
    assert (d1["connected_date"], d1["status"]) == (date(2025, 12, 20), "met")
    assert a1["days_to_deadline"] == (date(2025, 12, 30) - T).days
    # Phase 2: on time on 90 % of expected days of T-1 and T. A: 2 of 4 (prescriptions
    # silent), D: 1 of 2, B: 0 of 2, C: never expected, E: 2 of 2. C has no go-live date: it is
    # not due, so not overdue, although the phase deadline has passed.
    expect2 = {
        "01001": (4, 0.5, "overdue"),
        "01004": (2, 0.5, "overdue"),
        "01A01": (2, 0.0, "overdue"),
        "01003": (0, None, "not_due"),
        "01005": (2, 1.0, "met"),
    }
    for code, (days, share, verdict) in expect2.items():
        row = status[(2, code)]
        assert (row["expected_days"], row["on_time_share"], row["status"]) == (days, share, verdict)
    # Phase 3 (due 2026-03-30): first file within 2 hours; only E manages.
    assert status[(3, "01005")]["within_lag_share"] == 1.0
    assert {code: r["status"] for (p, code), r in status.items() if p == 3} == {
        "01001": "pending",
        "01004": "pending",
        "01A01": "pending",
        "01003": "not_due",
        "01005": "met",
    }
    assert {code for (p, code), r in status.items() if not r["is_due"]} == {"01003"}
    assert status[(1, "01001")]["within_lag_share"] is None  # phase 1 sets no lag


def test_laggards_are_expected_datasets_silent_three_days_or_never_connected(warehouse):
    rows = query(warehouse, "select * from mart_laggards order by facility_code, dataset")
    # One rule: mart_laggards lists exactly the datasets the coverage mart flags is_laggard.
    flagged = query(
        warehouse,
        "select facility_code, dataset from mart_coverage_daily where is_laggard and "
        "service_date = (select max(service_date) from mart_coverage_daily) order by all",
    )
    assert [(r["facility_code"], r["dataset"]) for r in flagged] == [
        (r["facility_code"], r["dataset"]) for r in rows
    ]
    assert [(r["facility_code"], r["dataset"]) for r in rows] == [
        ("01001", "prescriptions"),
        ("01A01", "encounters"),
    ]
    presc, clinic = rows
    since = presc["days_since_delivery"]
    assert (presc["last_delivery_date"], since, presc["is_never_delivered"]) == (
        day(-3),
        3,
        False,
    )
    assert (presc["registry_format"], presc["last_format"]) == ("fhir_json", "fhir_json")
    assert presc["facility_name"] == "Facility 01001" and presc["as_of_date"] == T
    assert clinic["is_never_delivered"] and clinic["last_format"] is None
    assert clinic["days_since_delivery"] == 6
