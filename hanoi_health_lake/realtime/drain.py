"""An arrivals run: batch after batch in one process, while arrivals keep coming.

A Dagster run cost about 7 CPU-s before its op did anything: the run worker is a new process
that imports the code location, and the multiprocess executor started one more for the step
(measured with `dagster job execute` on an arrivals run with nothing pending, 2026-12-05). A
batch of a city day costs 1.3 CPU-s on average, so one run per batch spent five times more on
starting runs than on the arrivals; at real speed, with a run every minute or so, the run starts
alone would have cost a day some 10,000 CPU-s, two hundred whole-day ingests. A run now costs
about 4 CPU-s to start (the op runs in the run's own process), and `arrivals_job`
*drains*: a batch, then the next once more is pending and `interval` has passed since the last
one started, polling the arrivals log while it is quiet (one stat per log file, as the sensor
does), until nothing came for `idle` or the run has lasted `lifetime` (the next run then starts
with whatever code is deployed). The interval bounds the batches of a day (480 at the default
three minutes), each paying a floor of Delta commits and a marts refresh whatever it brings,
while an arrival still reaches the marts within about three and a half minutes (the 5-minute
goal of issue #14). The sensor asks for a run only when none is active, so a draining run is the
only writer of batches. Within it, the Delta tables stay open from batch to batch
(lake/delta_io.tables_kept_open), each brought up to date under its writer lock when asked for
again, and what each table's day holds is remembered from batch to batch (lake/day_files.py).

Stopping the run (the UI's terminate) interrupts whatever batch is running: a killed batch
leaves its arrivals pending and its day incomplete, and the next run takes them again
(realtime/batch.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from hanoi_health_lake.lake.delta_io import tables_kept_open

Result = TypeVar("Result")
POLL_SECONDS = 5.0  # at most this long from an arrival being logged to a quiet run noticing it


@dataclass(frozen=True)
class DrainLimits:
    idle: timedelta  # end after this long with nothing pending (0: once the log is drained)
    lifetime: timedelta  # start no batch after this long
    interval: timedelta = timedelta(0)  # from one batch's start to the next's, at least
    poll_seconds: float = POLL_SECONDS


@dataclass
class Drained(Generic[Result]):
    results: list[Result]
    ended: str  # why the run stopped taking batches: "idle" or "lifetime"


def drain(
    batch: Callable[[], Result | None],
    limits: DrainLimits,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Drained[Result]:
    """Call `batch` (None: nothing was pending) until `limits` end the run; the batches' results."""
    started = last = clock()
    next_start = started  # the earliest the next batch may start
    results: list[Result] = []
    with tables_kept_open():
        while True:
            now = clock()
            if now - started >= limits.lifetime.total_seconds():
                return Drained(results, "lifetime")
            if now < next_start:
                sleep(next_start - now)
                continue
            result = batch()
            if result is not None:
                results.append(result)
                last = clock()
                next_start = now + limits.interval.total_seconds()
                continue  # more may have come while it ran: asked once the interval is up
            if clock() - last >= limits.idle.total_seconds():
                return Drained(results, "idle")
            sleep(limits.poll_seconds)
