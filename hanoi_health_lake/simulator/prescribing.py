"""What a doctor prescribes for a diagnosis: 1–6 drug lines from the shared drug list.

`data/sim_drug_use.csv` adds what the simulator needs to each drug of `data/drugs.csv`: the unit
dispensed, strength, price, prescription type (c ordinary, n narcotic, h psychotropic,
y traditional — the last character of the e-prescription code), the ICD-10 prefixes it is given
for (`*`: added to any prescription, such as paracetamol or vitamins) and a usual course.
Narcotic and psychotropic drugs go on a prescription of their own type, as the rules require.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

from hanoi_health_lake.reference.drugs import INJECTION_ROUTES, Drug, drugs_by_code
from hanoi_health_lake.simulator.data_files import data_rows

# Number of lines on a prescription: 1..6.
_LINE_COUNT_WEIGHTS = (0.12, 0.25, 0.27, 0.18, 0.11, 0.07)
OUTPATIENT_INJECTION_SHARE = 0.05
_INJECTABLE_UNITS = ("Ống", "Lọ", "Chai")  # what a dose for injection comes in


@dataclass(frozen=True)
class DrugUse:
    drug: Drug
    unit: str
    strength: str
    unit_price_vnd: int
    rx_class: str
    indications: frozenset[str]  # ICD-10 prefixes
    doses_per_day: int
    days: tuple[int, int]
    injectable_only: bool
    weight: float

    def treats(self, code_prefixes: frozenset[str]) -> bool:
        return not self.indications.isdisjoint(code_prefixes)


@dataclass(frozen=True)
class Line:
    use: DrugUse
    route: str
    quantity: float
    dosage: str


@cache
def drug_uses() -> tuple[DrugUse, ...]:
    by_code = drugs_by_code()
    return tuple(
        DrugUse(
            drug=by_code[r["drug_code"]],
            unit=r["unit"],
            strength=r["strength"],
            unit_price_vnd=int(r["unit_price_vnd"]),
            rx_class=r["rx_class"],
            indications=frozenset(p for p in r["indications"].split(";") if p != "*"),
            doses_per_day=int(r["doses_per_day"]),
            days=(int(r["days_min"]), int(r["days_max"])),
            injectable_only=r["injectable_only"] == "1",
            weight=float(r["weight"]),
        )
        for r in data_rows("sim_drug_use.csv")
    )


@cache
def _fillers() -> tuple[DrugUse, ...]:
    general = {r["drug_code"] for r in data_rows("sim_drug_use.csv") if "*" in r["indications"]}
    return tuple(u for u in drug_uses() if u.drug.drug_code in general)


@dataclass(frozen=True)
class _Group:
    """Drugs with cumulative weights, for fast weighted draws."""

    uses: tuple[DrugUse, ...]
    cumulative: tuple[float, ...]

    def pick(self, rnd: random.Random) -> DrugUse:
        return rnd.choices(self.uses, cum_weights=self.cumulative)[0]


def _group(uses) -> _Group:
    uses = tuple(uses)
    return _Group(uses, tuple(accumulate(u.weight for u in uses)))


@cache
def _candidates(codes: tuple[str, ...], allow_injection: bool) -> tuple[_Group, _Group]:
    """(drugs for these diagnoses, ordinary ones among them)."""
    prefixes = frozenset(code[:k] for code in codes for k in range(1, len(code) + 1))
    uses = [
        u for u in drug_uses()
        if u.treats(prefixes) and (allow_injection or not u.injectable_only)
    ]  # fmt: skip
    return _group(uses), _group(u for u in uses if u.rx_class == "c")


@cache
def _filler_group() -> _Group:
    return _group(_fillers())


def _draw_distinct(rnd: random.Random, group: _Group, chosen: list[DrugUse], n: int) -> None:
    """Add weighted draws from `group` to `chosen` until it holds `n` distinct drugs or the
    group runs out."""
    available = [u for u in group.uses if u not in chosen]
    while available and len(chosen) < n:
        pick = rnd.choices(available, weights=[u.weight for u in available])[0]
        chosen.append(pick)
        available.remove(pick)


def prescribe(rnd: random.Random, codes: list[str], acute: bool) -> tuple[str, list[Line]]:
    """(prescription type, lines) for a patient with these ICD-10 codes; `acute` (emergency,
    inpatient) allows injections, otherwise a few outpatients get one too."""
    allow_injection = acute or rnd.random() < OUTPATIENT_INJECTION_SHARE
    candidates, ordinary = _candidates(tuple(codes), allow_injection)
    first = (candidates if candidates.uses else _filler_group()).pick(rnd)
    if first.rx_class != "c":
        same = [u for u in candidates.uses if u.rx_class == first.rx_class and u is not first]
        chosen = [first] + (same[:1] if same and rnd.random() < 0.3 else [])
        return first.rx_class, [_line(rnd, u, acute) for u in chosen]
    n = rnd.choices(range(1, 7), weights=_LINE_COUNT_WEIGHTS)[0]
    chosen = [first]
    _draw_distinct(rnd, ordinary, chosen, n)
    _draw_distinct(rnd, _filler_group(), chosen, n)
    return "c", [_line(rnd, u, acute) for u in chosen]


def _line(rnd: random.Random, use: DrugUse, acute: bool) -> Line:
    routes = use.drug.routes
    injectable = [r for r in routes if r in INJECTION_ROUTES]
    route = injectable[0] if use.injectable_only and injectable else routes[0]
    if acute and injectable and use.unit in _INJECTABLE_UNITS and rnd.random() < 0.5:
        route = injectable[0]
    days = rnd.randint(*use.days)
    if use.unit in ("Chai", "Bình xịt", "Tuýp", "Lọ") and not use.injectable_only:
        quantity = float(rnd.randint(1, 2))
        dosage = f"{_VERB.get(route, 'Dùng')} {use.doses_per_day} lần/ngày theo hướng dẫn"
    else:
        quantity = float(use.doses_per_day * days)
        dosage = (
            f"{_VERB.get(route, 'Dùng')} ngày {use.doses_per_day} lần, "
            f"mỗi lần 1 {use.unit.lower()}, trong {days} ngày"
        )
    return Line(use=use, route=route, quantity=quantity, dosage=dosage)


_VERB = {
    "oral": "Uống",
    "sublingual": "Ngậm",
    "iv": "Tiêm truyền tĩnh mạch",
    "im": "Tiêm bắp",
    "sc": "Tiêm dưới da",
    "rectal": "Đặt hậu môn",
    "topical": "Bôi",
    "eye": "Nhỏ mắt",
    "inhalation": "Xịt",
}
