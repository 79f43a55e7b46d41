"""Which version of a record is current: one file wins per key, whatever the row order."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from hanoi_health_lake.pipeline.supersede import mark_superseded
from hanoi_health_lake.pipeline.versions import future_stamp_message

T0 = datetime(2026, 3, 2, 6, 0)


def _frame(rows: list[tuple[str, datetime, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "facility_folder": ["01001"] * len(rows),
            "source_file": [r[0] for r in rows],
            "export_ts": [r[1] for r in rows],
            "record_id": [r[2] for r in rows],
        },
        schema_overrides={"export_ts": pl.Datetime("us")},
    )


def _current(frame: pl.DataFrame, arrivals: pl.DataFrame | None = None) -> set[tuple[str, str]]:
    marked = mark_superseded(frame, arrivals).filter(~pl.col("is_superseded"))
    return set(marked.select("source_file", "record_id").iter_rows())


def test_a_tie_on_export_time_has_one_winner_whatever_the_order():
    rows = [
        ("01001/d/encounters__T.csv", T0, "A"),
        ("01001/d/encounters__T.csv", T0, "B"),
        ("01001/d/encounters__T.b.csv", T0, "A"),
    ]
    for order in (rows, rows[::-1], [rows[2], rows[0], rows[1]]):
        assert _current(_frame(order)) == {
            ("01001/d/encounters__T.csv", "A"),
            ("01001/d/encounters__T.csv", "B"),
        }


def test_a_later_arrival_breaks_a_tie_and_a_stamp_cannot_pass_its_arrival():
    frame = _frame(
        [
            ("f/d/x__a.csv", T0, "A"),
            ("f/d/x__b.csv", T0 + timedelta(minutes=90), "A"),  # stamped ahead of its arrival
            ("f/d/x__c.csv", T0 + timedelta(minutes=60), "A"),
        ]
    )
    arrivals = pl.DataFrame(
        {
            "source_file": ["f/d/x__a.csv", "f/d/x__b.csv", "f/d/x__c.csv"],
            "arrived_at": [T0 + timedelta(minutes=m) for m in (5, 10, 61)],
        }
    )
    assert _current(frame) == {("f/d/x__b.csv", "A")}  # by the stamp alone, the hijack wins
    assert _current(frame, arrivals) == {("f/d/x__c.csv", "A")}


def test_copies_inside_the_winning_file_are_left_for_the_uniqueness_rule():
    frame = _frame([("f/d/x__a.csv", T0, "A"), ("f/d/x__a.csv", T0, "A")])
    assert mark_superseded(frame)["is_superseded"].to_list() == [False, False]


def test_a_future_stamp_is_judged_against_the_tolerance():
    arrived = T0
    assert (
        future_stamp_message("p", T0 + timedelta(minutes=30), arrived, timedelta(hours=1)) is None
    )
    message = future_stamp_message("p", datetime(2099, 12, 31, 23, 59, 59), arrived, timedelta(1))
    assert message and message.startswith("p: export time 2099-12-31 23:59:59")
