"""Case counting: a return visit within the window is the same case, across facilities."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from hanoi_health_lake.outbreaks.cases import count_cases, lookback_days, new_cases
from hanoi_health_lake.reference.wards import hanoi_wards

D0 = date(2026, 4, 1)
WARD_A, WARD_B = hanoi_wards()[0].code, hanoi_wards()[1].code


def visits(*rows: tuple) -> pl.DataFrame:
    """(day offset, patient, ward, icd10[, is_primary]) → a diagnoses frame."""
    return pl.DataFrame(
        {
            "service_date": [D0 + timedelta(days=r[0]) for r in rows],
            "patient_key": [r[1] for r in rows],
            "ward_code": [r[2] for r in rows],
            "icd10": [r[3] for r in rows],
            "is_primary": [r[4] if len(r) > 4 else True for r in rows],
            "facility_code": ["01001"] * len(rows),
        },
        schema_overrides={"ward_code": pl.Utf8},
    )


def days(first: int, last: int) -> list[date]:
    return [D0 + timedelta(days=k) for k in range(first, last + 1)]


def city(counts: pl.DataFrame, group: str) -> dict[date, int]:
    rows = counts.filter((pl.col("geo_level") == "city") & (pl.col("group_id") == group))
    return {d: n for d, n in rows.select("service_date", "cases").iter_rows() if n}


def test_a_return_visit_inside_the_window_is_not_a_new_case() -> None:
    frame = visits((0, "p1", WARD_A, "A97.0"), (14, "p1", WARD_A, "A97.0"))
    assert city(count_cases(frame, days(0, 14), 14), "dengue") == {D0: 1}


def test_a_visit_after_the_window_is_a_new_case() -> None:
    frame = visits((0, "p1", WARD_A, "A97.0"), (15, "p1", WARD_A, "A97.0"))
    assert city(count_cases(frame, days(0, 15), 14), "dengue") == {D0: 1, days(15, 15)[0]: 1}


def test_each_return_visit_extends_the_episode() -> None:
    # 0, 10 and 20: each within 14 days of the one before, so one episode.
    frame = visits(*((k, "p1", WARD_A, "B05.9") for k in (0, 10, 20)))
    assert city(count_cases(frame, days(0, 20), 14), "measles") == {D0: 1}
    # The window is a setting: with 7 days each visit is more than a window after the last.
    assert city(count_cases(frame, days(0, 20), 7), "measles") == {
        d: 1 for d in (D0, *days(10, 10), *days(20, 20))
    }


def test_one_patient_seen_by_two_facilities_on_a_day_is_one_case() -> None:
    frame = visits((0, "p1", WARD_A, "A09"), (0, "p1", WARD_A, "A09"), (0, "p2", WARD_A, "A09"))
    frame = frame.with_columns(facility_code=pl.Series(["01001", "01002", "01001"]))
    assert city(count_cases(frame, days(0, 0)), "diarrhoea") == {D0: 2}


def test_a_code_in_several_groups_counts_in_each_and_other_patients_apart() -> None:
    frame = visits((0, "p1", WARD_A, "J10.1"), (0, "p2", WARD_A, "J06.9"), (0, "p3", WARD_A, "I10"))
    counts = count_cases(frame, days(0, 0))
    assert city(counts, "influenza") == {D0: 1}
    assert city(counts, "ili") == {D0: 2}  # J10.1 and J06.9 are both influenza-like illness
    assert city(counts, "sari") == {D0: 1}  # J09-J22 holds J10.1, not J06.9
    assert counts.filter(pl.col("geo_level") == "city")["cases"].sum() == 4


def test_secondary_diagnoses_count_unless_primary_only() -> None:
    frame = visits((0, "p1", WARD_A, "I10", True), (0, "p1", WARD_A, "B01.9", False))
    assert city(count_cases(frame, days(0, 0)), "chickenpox") == {D0: 1}
    assert city(count_cases(frame, days(0, 0), primary_only=True), "chickenpox") == {}


def test_wards_count_residents_and_the_city_counts_everyone() -> None:
    frame = visits(
        (0, "p1", WARD_A, "A97.0"),
        (0, "p2", WARD_A, "A97.0"),
        (0, "p3", WARD_B, "A97.0"),
        (0, "p4", None, "A97.0"),  # ward unknown
        (0, "p5", "99999", "A97.0"),  # lives outside Hanoi
    )
    counts = count_cases(frame, days(0, 0)).filter(pl.col("group_id") == "dengue")
    by_place = {w: n for w, n in counts.select("ward_code", "cases").iter_rows()}
    assert by_place[None] == 5
    assert by_place[WARD_A] == 2 and by_place[WARD_B] == 1
    assert "99999" not in by_place


def test_output_is_dense_with_zeros_for_every_group_and_ward() -> None:
    counts = count_cases(visits((0, "p1", WARD_A, "A97.0")), days(0, 1))
    groups = counts["group_id"].n_unique()
    assert groups >= 10
    assert counts.height == 2 * groups * (1 + len(hanoi_wards()))
    assert (
        counts.select("service_date", "group_id", "geo_level", "ward_code").is_duplicated().sum()
        == 0
    )
    assert counts["cases"].sum() == 2  # the one case, in the city and in ward A


def test_counting_one_day_from_its_look_back_matches_counting_all_days() -> None:
    rows = [(k % 30, f"p{k % 11}", WARD_A if k % 3 else WARD_B, "A09") for k in range(0, 200, 7)]
    frame = visits(*rows)
    everything = count_cases(frame, days(0, 29), 14)
    for day in (days(3, 3)[0], days(20, 20)[0], days(29, 29)[0]):
        only = frame.filter(pl.col("service_date").is_in(lookback_days(day, 14)))
        assert count_cases(only, [day], 14).equals(everything.filter(pl.col("service_date") == day))


def test_new_cases_names_the_patient_once_per_episode() -> None:
    frame = visits((0, "p1", WARD_A, "A97.0"), (3, "p1", WARD_B, "A97.0"))
    cases = new_cases(frame, 14)
    assert cases.select("service_date", "patient_key", "ward_code").rows() == [(D0, "p1", WARD_A)]


@pytest.mark.parametrize("window", [0, 1])
def test_a_zero_window_counts_every_day(window: int) -> None:
    frame = visits((0, "p1", WARD_A, "A97.0"), (1, "p1", WARD_A, "A97.0"))
    assert sum(city(count_cases(frame, days(0, 1), window), "dengue").values()) == 2 - window
