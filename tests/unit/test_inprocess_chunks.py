"""`hhl run` builds the marts over runs of consecutive ingested days, at most 31 a run, as a
backfill would; a day whose ingest failed splits the range, so its marts are not built."""

from datetime import date, timedelta

from hanoi_health_lake.automation.inprocess import _chunks


def test_marts_runs_cover_consecutive_ingested_days_and_skip_a_failed_one():
    first = date(2026, 1, 1)
    ingested = [first + timedelta(days=i) for i in range(70) if i != 5]
    runs = list(_chunks(ingested, 31))
    assert [(r[0], len(r)) for r in runs] == [
        (first, 5),
        (first + timedelta(days=6), 31),
        (first + timedelta(days=37), 31),
        (first + timedelta(days=68), 2),
    ]
    assert [d for r in runs for d in r] == ingested
