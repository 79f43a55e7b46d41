"""A corrected re-send of a day: the same records (same ids) with a few of them changed.

Changes stay valid — a later discharge time, another accepted diagnosis, a different quantity —
so the correction carries no fault and the latest version simply wins.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, time, timedelta

from hanoi_health_lake.simulator import diagnoses
from hanoi_health_lake.simulator.prescribing import Line

CHANGED_SHARE = 0.06


def _changed_indices(rnd: random.Random, n: int) -> list[int]:
    k = max(1, round(n * CHANGED_SHARE)) if n else 0
    return sorted(rnd.sample(range(n), k))


def _change_episode(rnd: random.Random, e):
    choice = rnd.randrange(3)
    if choice == 0:
        latest = datetime.combine(e.discharged.date(), time(23, 59))
        return replace(e, discharged=min(e.discharged + timedelta(minutes=rnd.randint(5, 45)),
                                         latest))  # fmt: skip
    if choice == 1:
        same = [
            d for d in diagnoses.mix()
            if d.setting == e.primary.setting and d != e.primary and d.sex in ("any", e.person.sex)
        ]  # fmt: skip
        return replace(e, primary=rnd.choice(same))
    extra = rnd.randint(5, 50) * 10_000
    return replace(e, cost=e.cost + extra)


def _change(dataset: str, rnd: random.Random, record):
    if dataset == "encounters":
        return _change_episode(rnd, record)
    if dataset == "prescriptions":
        line: Line = record.line
        return replace(record, line=replace(line, quantity=line.quantity + line.use.doses_per_day))
    if dataset == "referrals":
        other = "Tự túc" if record.transport != "Tự túc" else "Xe cứu thương"
        return replace(record, transport=other)
    if dataset == "appointments":
        return replace(record, at=record.at + timedelta(days=1))
    return replace(record, instances=record.instances + rnd.randint(1, 5))


def corrected(dataset: str, records: list, rnd: random.Random) -> list:
    out = list(records)
    for i in _changed_indices(rnd, len(records)):
        out[i] = _change(dataset, rnd, out[i])
    return out
