"""Facility silence and reporting completeness from hand-built registries and deliveries."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from hanoi_health_lake.outbreaks.reporting import facility_silence, reporting_completeness

D0 = date(2026, 4, 1)
WARD_A, WARD_B = "00004", "00008"


def day(k: int) -> date:
    return D0 + timedelta(days=k)


def registry(*rows: tuple) -> pl.DataFrame:
    """(code, ward, go-live day offset or None, datasets) rows, opened long before."""
    return pl.DataFrame(
        {
            "facility_code": [r[0] for r in rows],
            "name": [f"Cơ sở {r[0]}" for r in rows],
            "facility_type": ["health_station"] * len(rows),
            "ward_code": [r[1] for r in rows],
            "opened_date": [date(2000, 1, 1)] * len(rows),
            "go_live_date": [None if r[2] is None else day(r[2]) for r in rows],
            "datasets": [list(r[3]) for r in rows],
        }
    )


def deliveries(*rows: tuple) -> pl.DataFrame:
    """(code, day offset[, status[, dataset]]) → bronze_files rows."""
    return pl.DataFrame(
        {
            "service_date": [day(r[1]) for r in rows],
            "facility_code": [r[0] for r in rows],
            "dataset": [r[3] if len(r) > 3 else "encounters" for r in rows],
            "status": [r[2] if len(r) > 2 else "ok" for r in rows],
        },
        schema={"service_date": pl.Date, "facility_code": pl.Utf8, "dataset": pl.Utf8,
                "status": pl.Utf8},
    )  # fmt: skip


ENC = ("encounters", "prescriptions")
REGISTRY = registry(
    ("01001", WARD_A, -30, ENC),
    ("01002", WARD_A, -30, ENC),
    ("01003", WARD_B, 3, ENC),  # connects on day 3
    ("01004", WARD_B, None, ENC),  # never connected
    ("01005", WARD_B, -30, ("imaging_studies",)),  # sends no encounters
)


def silence_on(frame: pl.DataFrame, k: int) -> dict[str, tuple[int, bool]]:
    rows = frame.filter(pl.col("service_date") == day(k))
    return {
        r["facility_code"]: (r["days_without_delivery"], r["is_silent"])
        for r in rows.iter_rows(named=True)
    }


def test_silence_counts_expected_days_without_any_encounters_file() -> None:
    sent = deliveries(
        *(("01001", k) for k in range(10)),
        ("01002", 0), ("01002", 1), ("01002", 4, "error"),  # a broken file is still a delivery
        ("01002", 5, "ok", "prescriptions"),  # other datasets do not count
        ("01003", 3),
    )  # fmt: skip
    frame = facility_silence(REGISTRY, sent, [day(k) for k in range(2, 7)], silence_days=2)
    assert silence_on(frame, 2) == {"01001": (0, False), "01002": (1, False)}
    assert silence_on(frame, 3) == {"01001": (0, False), "01002": (2, True), "01003": (0, False)}
    assert silence_on(frame, 4)["01002"] == (0, False)
    assert silence_on(frame, 6)["01002"] == (2, True)
    # 01003 was not expected before day 3, so its silence starts on day 4.
    assert silence_on(frame, 5)["01003"] == (2, True)
    since = frame.filter((pl.col("service_date") == day(3)) & (pl.col("facility_code") == "01002"))
    # Two days of history are too few to judge 01002's habits by: silence_days decides.
    assert since["silent_since"][0] == day(2) and since["delivery_rate"][0] is None


def test_a_facility_that_often_sends_nothing_needs_a_longer_run_to_be_silent() -> None:
    # 01001 sends every day, 01002 on one day in three (a clinic with few patients).
    sent = deliveries(*(("01001", k) for k in range(40)), *(("01002", k) for k in range(0, 28, 3)))
    frame = facility_silence(REGISTRY, sent, [day(k) for k in range(28, 40)], 2, 28)
    runs = {k: silence_on(frame, k)["01002"] for k in range(28, 40)}
    # Last delivery on day 27: p = 7/21 before a run of 7 (0.67^7 > 5%), 7/20 before 8 (< 5%).
    assert [k for k, (_, silent) in runs.items() if silent] == list(range(35, 40))
    assert runs[34] == (7, False) and runs[35] == (8, True)


def test_a_long_silence_is_capped_at_the_look_back() -> None:
    sent = deliveries(("01001", 0), *(("01002", k) for k in range(21)))
    frame = facility_silence(REGISTRY, sent, [day(20)], 2, lookback_days=7)
    assert silence_on(frame, 20)["01001"] == (7, True)


def test_days_nobody_delivered_for_are_not_counted_as_silence() -> None:
    # Days 0-4 were never ingested (no files from anyone): the lake starts on day 5.
    sent = deliveries(*(("01001", k) for k in range(5, 9)))
    frame = facility_silence(REGISTRY, sent, [day(5), day(8)], 2)
    assert silence_on(frame, 5)["01002"] == (1, False)
    assert silence_on(frame, 8)["01002"] == (4, True)


def visits(ward: str, per_facility: dict[str, int], k: int = -1) -> list[tuple]:
    return [(day(k), code, ward) for code, n in per_facility.items() for _ in range(n)]


def completeness(sent: pl.DataFrame, rows: list[tuple], threshold: float = 0.8) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows,
        schema={"service_date": pl.Date, "facility_code": pl.Utf8, "ward_code": pl.Utf8},
        orient="row",
    )
    return reporting_completeness(
        REGISTRY, sent, frame, [day(0)], [WARD_A, WARD_B, "00025"], threshold=threshold
    )


def share_of(frame: pl.DataFrame, ward: str | None) -> dict:
    rows = frame.filter(pl.col("ward_code").eq_missing(ward))
    return rows.row(0, named=True)


def test_completeness_weighs_facilities_by_their_part_of_the_wards_visits() -> None:
    # Residents of ward B mostly go to 01001 (in ward A): its silence hides most of their cases.
    history = visits(WARD_A, {"01001": 60, "01002": 40}) + visits(
        WARD_B, {"01001": 90, "01002": 10}
    )
    only_01002 = completeness(deliveries(("01002", 0)), history)
    ward_a, ward_b = share_of(only_01002, WARD_A), share_of(only_01002, WARD_B)
    assert ward_a["volume_share"] == pytest.approx(0.4) and ward_a["is_incomplete"]
    assert ward_b["volume_share"] == pytest.approx(0.1) and ward_b["is_incomplete"]
    assert share_of(only_01002, None)["volume_share"] == pytest.approx(50 / 200)
    only_01001 = completeness(deliveries(("01001", 0)), history)
    assert share_of(only_01001, WARD_B)["volume_share"] == pytest.approx(0.9)
    assert not share_of(only_01001, WARD_B)["is_incomplete"]
    assert share_of(only_01001, WARD_A)["is_incomplete"]  # 0.6 < 0.8


def test_completeness_counts_a_broken_file_as_missing_data() -> None:
    history = visits(WARD_A, {"01001": 50, "01002": 50})
    frame = completeness(deliveries(("01001", 0), ("01002", 0, "error")), history)
    assert share_of(frame, WARD_A)["volume_share"] == pytest.approx(0.5)


def test_without_visit_history_the_share_falls_back_to_facilities_located_there() -> None:
    frame = completeness(deliveries(("01001", 0)), [])
    ward_a = share_of(frame, WARD_A)
    assert (ward_a["expected_facilities"], ward_a["reporting_facilities"]) == (2, 1)
    assert ward_a["volume_share"] is None and ward_a["reporting_share"] == pytest.approx(0.5)
    assert ward_a["is_incomplete"]
    # Ward B's facilities are not expected yet (or send no encounters); ward 00025 has none.
    for ward in (WARD_B, "00025"):
        row = share_of(frame, ward)
        assert row["expected_facilities"] == 0 and row["reporting_share"] is None
        assert not row["is_incomplete"]
