"""The Department's mart of look-ups: per facility and day, the look-ups allowed, refusals and
break-glass use (table lookup.activity_daily, rebuilt from the audit table), and the rule that
flags unusual volumes.

A facility-day is unusual when its look-ups exceed both a floor (`MIN_FLAGGED`) and
`FACTOR` times the facility's median over the previous `BASELINE_DAYS` days (a facility with no
history is judged by the floor alone), or when it used break-glass more than
`MAX_BREAK_GLASS` times. These are supervision counts, not published ones: a single break-glass
is what the Department needs to see, so no small-count suppression here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hanoi_health_lake.lookup.store import ensure_schema

LOOKUP_ACTIONS = ("patient-search", "everything")
BASELINE_DAYS = 28
FACTOR = 3.0
MIN_FLAGGED = 50
MAX_BREAK_GLASS = 3

BUILD_SQL = f"""
CREATE TABLE IF NOT EXISTS lookup.activity_daily (
    day           date NOT NULL,
    facility_code text NOT NULL,
    lookups       integer NOT NULL,
    citizens      integer NOT NULL,
    refusals      integer NOT NULL,
    break_glass   integer NOT NULL,
    PRIMARY KEY (day, facility_code)
);
TRUNCATE lookup.activity_daily;
INSERT INTO lookup.activity_daily
SELECT (recorded_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day,
       coalesce(facility_code, '(unknown)') AS facility_code,
       count(*) FILTER (WHERE status < 400 AND action IN {LOOKUP_ACTIONS}) AS lookups,
       count(DISTINCT citizen_hash) FILTER (WHERE status < 400 AND action IN {LOOKUP_ACTIONS})
           AS citizens,
       count(*) FILTER (WHERE status >= 400) AS refusals,
       count(*) FILTER (WHERE status < 400 AND break_glass) AS break_glass
FROM lookup.audit
GROUP BY 1, 2;
"""


@dataclass(frozen=True)
class Unusual:
    day: date
    facility_code: str
    lookups: int
    baseline: float | None
    break_glass: int
    why: str


def build(conn) -> int:
    ensure_schema(conn)
    with conn.cursor() as cur:
        cur.execute(BUILD_SQL)
        cur.execute("SELECT count(*) FROM lookup.activity_daily")
        rows = cur.fetchone()[0]
    conn.commit()
    return rows


def unusual(conn) -> list[Unusual]:
    """Facility-days over the volume rule or the break-glass limit."""
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT a.day, a.facility_code, a.lookups, a.break_glass,
                   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b.lookups)
                      FROM lookup.activity_daily b
                     WHERE b.facility_code = a.facility_code
                       AND b.day >= a.day - %s AND b.day < a.day) AS baseline
            FROM lookup.activity_daily a ORDER BY a.day, a.facility_code
            """,
            (BASELINE_DAYS,),
        )
        rows = cur.fetchall()
    found = []
    for day, facility, lookups, break_glass, baseline in rows:
        limit = max(MIN_FLAGGED, FACTOR * baseline) if baseline is not None else MIN_FLAGGED
        reasons = []
        if lookups > limit:
            reasons.append(f"{lookups} look-ups over {limit:.0f}")
        if break_glass > MAX_BREAK_GLASS:
            reasons.append(f"{break_glass} break-glass look-ups")
        if reasons:
            found.append(Unusual(day, facility, lookups, baseline, break_glass, "; ".join(reasons)))
    return found
