"""An arrivals run drains: batch after batch while arrivals come, ending when idle or old."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from hanoi_health_lake.lake.delta_io import open_table, tables_kept_open
from hanoi_health_lake.realtime.drain import DrainLimits, drain


class FakeTime:
    """A clock that only moves when slept on, or when a batch says it took time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _limits(
    idle_s: float, lifetime_s: float = 3600, poll: float = 5, interval_s: float = 0
) -> DrainLimits:
    return DrainLimits(
        idle=timedelta(seconds=idle_s),
        lifetime=timedelta(seconds=lifetime_s),
        interval=timedelta(seconds=interval_s),
        poll_seconds=poll,
    )


def test_it_takes_batches_back_to_back_and_ends_once_drained_when_idle_is_zero():
    pending = ["a", "b", "c"]
    fake = FakeTime()
    drained = drain(lambda: pending.pop(0) if pending else None, _limits(0), clock=fake.clock,
                    sleep=fake.sleep)  # fmt: skip
    assert drained.results == ["a", "b", "c"]
    assert drained.ended == "idle"
    assert fake.slept == []  # never waited: each batch was followed at once by the next


def test_a_quiet_run_polls_and_an_arrival_restarts_its_idle_time():
    fake = FakeTime()
    # Arrivals at t=12 s (taken by the poll at 15 s) and never again.
    arrivals = {12.0: "late file"}

    def batch():
        due = [t for t in arrivals if t <= fake.now]
        return arrivals.pop(due[0]) if due else None

    drained = drain(batch, _limits(idle_s=20, poll=5), clock=fake.clock, sleep=fake.sleep)
    assert drained.results == ["late file"]
    assert drained.ended == "idle"
    # Polled at 5, 10, 15 (took it), then 20 s of quiet from 15: ended at 35.
    assert fake.now == 35.0
    assert set(fake.slept) == {5}


def test_a_run_starts_no_batch_after_its_lifetime_even_with_arrivals_pending():
    fake = FakeTime()

    def busy():
        fake.now += 60  # a batch of a minute, and always more pending
        return fake.now

    drained = drain(busy, _limits(idle_s=600, lifetime_s=180), clock=fake.clock, sleep=fake.sleep)
    assert drained.results == [60, 120, 180]
    assert drained.ended == "lifetime"


def test_batches_start_at_least_an_interval_apart_however_much_is_pending():
    fake = FakeTime()
    starts = []

    def busy():
        starts.append(fake.now)
        fake.now += 10  # a batch of ten seconds, and always more pending
        return len(starts)

    drained = drain(busy, _limits(idle_s=600, lifetime_s=400, interval_s=120), clock=fake.clock,
                    sleep=fake.sleep)  # fmt: skip
    assert starts == [0, 120, 240, 360]  # not every ten seconds
    assert fake.slept == [110, 110, 110, 110]  # waited out each interval, then the lifetime
    assert drained.ended == "lifetime"


def test_an_arrival_after_a_quiet_spell_is_taken_at_the_next_poll_not_an_interval_later():
    fake = FakeTime()
    arrivals = {0.0: "first", 300.0: "after a quiet spell"}
    starts = []

    def batch():
        due = [t for t in arrivals if t <= fake.now]
        if not due:
            return None
        starts.append(fake.now)
        return arrivals.pop(due[0])

    drained = drain(batch, _limits(idle_s=900, interval_s=120, poll=5), clock=fake.clock,
                    sleep=fake.sleep)  # fmt: skip
    assert drained.results == ["first", "after a quiet spell"]
    assert starts == [0, 300]


def test_tables_stay_open_from_one_batch_to_the_next(tmp_path: Path):
    path = tmp_path / "t"
    write_deltalake(str(path), pa.table({"x": [1]}))
    seen = []

    def batch():
        if len(seen) == 3:
            return None
        with tables_kept_open():  # what each batch does (realtime/batch.py)
            table = open_table(path)
        seen.append(table)
        if len(seen) == 2:
            write_deltalake(str(path), pa.table({"x": [2]}), mode="append")  # another writer
        return table.version()

    drained = drain(batch, _limits(0), clock=FakeTime().clock, sleep=FakeTime().sleep)
    assert seen[0] is seen[1]  # opened once for the run, while nobody else committed
    # …and brought up to date when asked for again: the third batch saw the other's commit.
    assert drained.results == [0, 0, 1]
    write_deltalake(str(path), pa.table({"x": [3]}), mode="append")
    assert open_table(path).version() == 2  # outside the run: opened afresh
