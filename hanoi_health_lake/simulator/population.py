"""A deterministic population: every attribute of person `i` follows from `i` and the seed.

Indices are laid out in strata of (age, sex), age-major, sized after Vietnam's age pyramid, so a
person's age and sex are known from the index alone and an age band is one index range. Within a
stratum the six random digits of the citizen id are a bijection of the rank, so no two people
share a citizen id (STANDARDS.md §2: 3-digit birth province + century/sex digit + 2-digit birth
year + 6 digits). The same person gets the same name, ids, ward and address at every facility
and on every day, so patients really return across days and facilities.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date

import numpy as np

from hanoi_health_lake.reference.wards import HanoiWard, hanoi_wards
from hanoi_health_lake.simulator.names import pools
from hanoi_health_lake.simulator.rand import mixed_key, permute, stable_int, unit, unit_of

# Share of the population by 5-year age band, 0–4 … 95–99 (Vietnam, 2019 census, rounded).
_AGE_BAND_SHARE = (
    8.0, 8.3, 7.5, 6.6, 6.9, 7.9, 8.3, 7.8, 7.2, 6.7, 6.0, 5.5, 4.5, 3.4, 2.1, 1.4, 1.0, 0.6,
    0.3, 0.1,
)  # fmt: skip
MAX_AGE = 99
HANOI_BIRTH_PROVINCE = "001"
# Birth-registration provinces of Hanoi residents born elsewhere (CCCD codes), by rough share.
_OTHER_BIRTH_PROVINCES = (
    ("036", 9), ("034", 8), ("030", 6), ("033", 6), ("027", 5), ("026", 4), ("025", 4),
    ("035", 5), ("037", 4), ("038", 6), ("040", 5), ("024", 3), ("019", 3), ("031", 3),
    ("017", 3), ("008", 2), ("079", 2), ("048", 1),
)  # fmt: skip
_MOBILE_PREFIXES = (
    "086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039", "088",
    "091", "094", "081", "082", "083", "084", "085", "089", "090", "093", "070", "076", "077",
    "078", "079",
)  # fmt: skip
# Insurance card category (first 2 chars) → benefit level (3rd char), STANDARDS.md §2.
BENEFIT_LEVEL = {"TE": "1", "CC": "1", "HN": "2", "HT": "3", "CN": "3", "DN": "4", "HC": "4",
                 "GD": "4", "HS": "4", "SV": "4", "QN": "5", "CA": "5"}  # fmt: skip
_ADULT_CATEGORIES = (("DN", 0.40), ("GD", 0.34), ("HC", 0.12), ("CN", 0.04), ("HN", 0.03),
                     ("QN", 0.03), ("CA", 0.02), ("CC", 0.02))  # fmt: skip
_URBAN_WARD_WEIGHT = 1.6  # a phường holds more people than a rural xã
# Relative chance that a person of each age (0–99) is the one who walks in: the young and the
# old use care most.
_UTILISATION = (0.8,) * 5 + (0.4,) * 11 + (0.35,) * 24 + (0.55,) * 20 + (1.0,) * 40
_HANOI_BORN = 0.62
_OTHER_CUMULATIVE = [
    sum(w for _, w in _OTHER_BIRTH_PROVINCES[: k + 1]) / sum(w for _, w in _OTHER_BIRTH_PROVINCES)
    for k in range(len(_OTHER_BIRTH_PROVINCES))
]


# Each attribute draws from its own hash stream.
_ATTRIBUTES = (
    "ward", "birthday", "birthday-known", "birth-province", "insured", "card-category",
    "card-province", "has-phone", "phone-prefix", "phone-number", "family", "middle", "given",
    "street", "village", "house", "lane",
)  # fmt: skip


def _mixed(seed: int, name: str) -> int:
    return mixed_key(stable_int(seed, "population", name))


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    citizen_id: str
    family: str
    middle: str
    given: str
    sex: str  # "male" | "female"
    birth_date: date
    birth_day_known: bool  # False: QĐ 130 writes day and month as 00
    age: int  # on 1 January of the reference year
    insurance: str  # 15-char card number, "" when uninsured
    phone: str
    address_line: str
    ward: HanoiWard

    @property
    def full_name(self) -> str:
        return f"{self.family} {self.middle} {self.given}"


class Population:
    def __init__(self, size: int, seed: int, ref_year: int):
        self.size = size
        self.seed = seed
        self.ref_year = ref_year  # everyone is born before 1 January of this year
        band = np.repeat(np.array(_AGE_BAND_SHARE) / 5.0, 5)
        per_stratum = np.repeat(band / band.sum() / 2.0, 2)  # (age, male), (age, female)
        bounds = np.round(np.cumsum(per_stratum) * size).astype(np.int64)
        bounds[-1] = size
        self.bounds: list[int] = bounds.tolist()
        self.wards = hanoi_wards()
        self.ward_position = {w.code: i for i, w in enumerate(self.wards)}
        jitter = [
            0.7 + 0.6 * unit_of(_mixed(seed, "ward-weight"), i) for i in range(len(self.wards))
        ]
        weights = np.array(
            [(_URBAN_WARD_WEIGHT if w.kind == "phường" else 1.0) * j
             for w, j in zip(self.wards, jitter, strict=True)]
        )  # fmt: skip
        cumulative = np.cumsum(weights)
        self._ward_cumulative: list[float] = (cumulative / cumulative[-1]).tolist()
        self._members: list[np.ndarray] | None = None
        self._cccd_offsets: dict[int, int] = {}
        self._bhxh_offset = stable_int(seed, "bhxh") % 100_000_000
        self._keys = {name: _mixed(seed, name) for name in _ATTRIBUTES}

    def ward_shares(self) -> np.ndarray:
        """Share of the population living in each ward, in the order of `wards`."""
        return np.diff(np.array([0.0, *self._ward_cumulative]))

    def _key(self, name: str) -> int:
        return self._keys[name]

    def ward_index(self, i: int) -> int:
        u = unit_of(self._key("ward"), i)
        return min(bisect_right(self._ward_cumulative, u), len(self.wards) - 1)

    def prepare(self) -> None:
        """Index every ward's residents; do it before forking so workers share the arrays."""
        if self._members is not None:
            return
        u = unit(stable_int(self.seed, "population", "ward"), np.arange(self.size))
        cumulative = np.array(self._ward_cumulative)
        wards = np.minimum(np.searchsorted(cumulative, u, side="right"), len(self.wards) - 1)
        wards = wards.astype(np.int16)  # small keys: numpy's stable sort is a radix sort
        order = np.argsort(wards, kind="stable")
        counts = np.bincount(wards, minlength=len(self.wards))
        self._members = np.split(order.astype(np.int64), np.cumsum(counts)[:-1])

    def residents(self, ward_i: int) -> np.ndarray:
        self.prepare()
        assert self._members is not None
        return self._members[ward_i]

    def age_range(self, low: int, high: int) -> tuple[int, int]:
        """The index range [start, stop) of people aged low..high inclusive."""
        start = 0 if low == 0 else self.bounds[2 * low - 1]
        return start, self.bounds[min(2 * high + 1, len(self.bounds) - 1)]

    def people(self, indices: list[int]) -> list[Person]:
        return [self.person(i) for i in indices]

    def person(self, i: int) -> Person:
        stratum = bisect_right(self.bounds, i)
        rank = i - (self.bounds[stratum - 1] if stratum else 0)
        age, female = divmod(stratum, 2)
        female = bool(female)
        birth_year = self.ref_year - 1 - age
        known = not (age >= 70 and unit_of(self._key("birthday-known"), i) < 0.04)
        if known:
            first = date(birth_year, 1, 1).toordinal()
            days = date(birth_year + 1, 1, 1).toordinal() - first
            born = date.fromordinal(first + int(unit_of(self._key("birthday"), i) * days))
        else:
            born = date(birth_year, 1, 1)  # records.py: an unknown day and month become 1 Jan
        p = pools()
        ward = self.wards[self.ward_index(i)]
        u_mid = unit_of(self._key("middle"), i)
        u_giv = unit_of(self._key("given"), i)
        return Person(
            index=i,
            citizen_id=self._citizen_id(i, stratum, rank, birth_year, female),
            family=p["family"].pick_one(unit_of(self._key("family"), i)),
            middle=p["middle_female" if female else "middle_male"].pick_one(u_mid),
            given=p["given_female" if female else "given_male"].pick_one(u_giv),
            sex="female" if female else "male",
            birth_date=born,
            birth_day_known=known,
            age=age,
            insurance=self._insurance(i, age),
            phone=self._phone(i),
            address_line=self._address_line(i, ward),
            ward=ward,
        )

    def _citizen_id(self, i: int, stratum: int, rank: int, year: int, female: bool) -> str:
        u = unit_of(self._key("birth-province"), i)
        if u < _HANOI_BORN:
            province = HANOI_BIRTH_PROVINCE
        else:
            k = bisect_right(_OTHER_CUMULATIVE, (u - _HANOI_BORN) / (1 - _HANOI_BORN))
            province = _OTHER_BIRTH_PROVINCES[min(k, len(_OTHER_BIRTH_PROVINCES) - 1)][0]
        if stratum not in self._cccd_offsets:
            self._cccd_offsets[stratum] = stable_int(self.seed, "cccd", stratum) % 1_000_000
        serial = permute(rank, 1_000_000, self._cccd_offsets[stratum])
        century_sex = (year // 100 - 19) * 2 + int(female)
        return f"{province}{century_sex}{year % 100:02d}{serial:06d}"

    def _insurance(self, i: int, age: int) -> str:
        if unit_of(self._key("insured"), i) >= 0.92:
            return ""
        category = _card_category(age, unit_of(self._key("card-category"), i))
        province = 1 if unit_of(self._key("card-province"), i) < 0.9 else 34
        number = permute(i, 100_000_000, self._bhxh_offset)
        return f"{category}{BENEFIT_LEVEL[category]}{province:02d}{province:02d}{number:08d}"

    def _phone(self, i: int) -> str:
        if unit_of(self._key("has-phone"), i) >= 0.95:
            return ""
        prefix = _MOBILE_PREFIXES[int(unit_of(self._key("phone-prefix"), i) * 28)]
        return f"{prefix}{int(unit_of(self._key('phone-number'), i) * 10_000_000):07d}"

    def _address_line(self, i: int, ward: HanoiWard) -> str:
        p = pools()
        house = int(unit_of(self._key("house"), i) * 200) + 1
        if ward.kind != "phường":
            return f"Số nhà {house}, {p['village'].pick_one(unit_of(self._key('village'), i))}"
        street = p["street"].pick_one(unit_of(self._key("street"), i))
        lane = int(unit_of(self._key("lane"), i) * 300) + 1
        return f"Số {house} {street}" if lane % 3 == 0 else f"Số {house} ngõ {lane} {street}"

    def sample(
        self,
        rnd: random.Random,
        n: int,
        ward_i: int | None = None,
        local_share: float = 0.0,
        ages: tuple[int, int] | None = None,
        female_only: bool = False,
    ) -> list[int]:
        """`n` person indices: a `local_share` of them residents of `ward_i`, the rest city-wide,
        optionally only within an age band and/or women; weighted by how much each age uses
        care."""
        start, stop = self.age_range(*ages) if ages else (0, self.size)
        local = None
        if ward_i is not None and local_share > 0:
            local = self.residents(ward_i)
            if ages:
                local = local[(local >= start) & (local < stop)]
        picked: list[int] = []
        while len(picked) < n:
            if local is not None and local.size and rnd.random() < local_share:
                i = int(local[rnd.randrange(local.size)])
            else:
                i = rnd.randrange(start, stop)
            stratum = bisect_right(self.bounds, i)
            if female_only and stratum % 2 == 0:
                continue
            if rnd.random() < _UTILISATION[stratum // 2]:
                picked.append(i)
        return picked


def _card_category(age: int, u: float) -> str:
    if age < 6:
        return "TE"
    if age < 18:
        return "HS"
    if age < 23 and u < 0.5:
        return "SV"
    if age >= 60:
        return "HT" if u < 0.45 else ("CC" if u < 0.5 else "GD")
    acc = 0.0
    for category, share in _ADULT_CATEGORIES:
        acc += share
        if u < acc:
            return category
    return "GD"
