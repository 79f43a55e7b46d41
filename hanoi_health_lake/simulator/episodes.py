"""One facility's day of care: who came, why, what they were given, where they were sent.

Drawn from a generator seeded by (seed, facility, day), so any facility-day can be made on its
own, except for one thread of state carried from day to day within a facility: patients given a
re-examination appointment come back (most on the day, some a few days off, some never) as new
encounters. An inpatient episode belongs to the day it ended (the XML1 checkout), so its
admission may lie before the first simulated day.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from hanoi_health_lake.simulator import diagnoses
from hanoi_health_lake.simulator.care_records import (
    Appointment,
    DrugLine,
    Episode,
    Referral,
    Study,
)
from hanoi_health_lake.simulator.diagnoses import Diagnosis, age_band
from hanoi_health_lake.simulator.imaging import study_for
from hanoi_health_lake.simulator.population import BENEFIT_LEVEL, Person
from hanoi_health_lake.simulator.prescribing import prescribe
from hanoi_health_lake.simulator.rand import base36, permute, poisson, rng, stable_int
from hanoi_health_lake.simulator.registry import HOSPITAL_TYPES, Facility
from hanoi_health_lake.simulator.scales import MEAN_DAILY_ENCOUNTERS
from hanoi_health_lake.simulator.seasons import weekday_factor
from hanoi_health_lake.simulator.world import LEVEL_RANK, World

_SETTING_SHARES = {
    "hospital": (("outpatient", 0.84), ("inpatient", 0.09), ("emergency", 0.05),
                 ("day_inpatient", 0.02)),
    "health_centre": (("outpatient", 0.88), ("inpatient", 0.07), ("emergency", 0.05)),
    "primary": (("outpatient", 1.0),),
}  # fmt: skip
_LOCAL_SHARE = {"central_hospital": 0.05, "city_hospital": 0.2, "private_hospital": 0.3,
                "health_centre": 0.6, "health_station": 0.85, "private_clinic": 0.6}  # fmt: skip
_RX_SHARE = {"outpatient": 0.75, "emergency": 0.5, "inpatient": 0.6, "day_inpatient": 0.5}
_REFERRAL_SHARE = {"initial": 0.05, "basic": 0.02, "specialised": 0.008}
_IMAGING_SHARE = {"outpatient": 0.012, "emergency": 0.2, "inpatient": 0.25, "day_inpatient": 0.1}
_BENEFIT_SHARE = {"1": 1.0, "2": 1.0, "3": 0.95, "4": 0.8, "5": 1.0}
_DEPARTMENT = {"outpatient": "K01", "emergency": "K02", "inpatient": "K03", "day_inpatient": "K03"}
_RESULT_INPATIENT = (("1", 0.40), ("2", 0.50), ("3", 0.05), ("4", 0.02), ("5", 0.01),
                     ("6", 0.01), ("7", 0.01))  # fmt: skip
# A kept appointment: the patient turns up this many days from the date given.
_KEPT_OFFSETS = (-1, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3)
_APPOINTMENT_KEPT = 0.72
_APPOINTMENT_LATE = 0.08  # turns up, but more than 3 days off


@dataclass
class FacilityState:
    """What carries over from one day to the next: patients due back, by date."""

    returns: dict[date, list[tuple[int, Diagnosis]]] = field(
        default_factory=lambda: defaultdict(list)
    )


@dataclass
class Day:
    facility: Facility
    day: date
    encounters: list[Episode] = field(default_factory=list)
    prescriptions: list[DrugLine] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    imaging_studies: list[Study] = field(default_factory=list)

    def records(self, dataset: str) -> list:
        return getattr(self, dataset)

    @property
    def checkins(self) -> list[Episode]:
        """Episodes whose care started today: an XML sender's check-ins (simulator/checkins.py)."""
        return [e for e in self.encounters if e.admitted.date() == self.day]


@dataclass(frozen=True)
class ExtraCases:
    """Outbreak cases a facility sees on a day: residents of a ward with one diagnosis."""

    ward_index: int
    code: str
    n: int
    ages: tuple[int, int] | None


@dataclass
class _Visit:
    person: int
    setting: str
    admitted: datetime
    discharged: datetime
    diagnosis: Diagnosis | None  # None: drawn from the mix


def generate_day(
    world: World,
    fac: Facility,
    day: date,
    state: FacilityState,
    extra: tuple[ExtraCases, ...] = (),
) -> Day:
    rnd = rng(world.seed, "day", fac.code, day.isoformat())
    visits = _regular_visits(world, fac, day, rnd)
    for person, diagnosis in state.returns.pop(day, []):
        visits.append(_timed(rnd, fac, day, person, "outpatient", diagnosis))
    for case in extra:
        people = world.population.sample(rnd, case.n, case.ward_index, 1.0, case.ages)
        diagnosis = _diagnosis_for(case.code)
        for p in people:
            visits.append(_timed(rnd, fac, day, p, "outpatient", diagnosis))
    visits.sort(key=lambda v: (v.admitted, v.discharged, v.person))
    people = world.population.people([v.person for v in visits])
    ctx = _DayContext(world, fac, day, state, rnd, Day(fac, day), f"{day:%y%m%d}",
                      *_facility_keys(world.seed, fac))  # fmt: skip
    for seq, (visit, person) in enumerate(zip(visits, people, strict=True), start=1):
        _add_episode(ctx, seq, visit, person)
    return ctx.out


def expected_visits(fac: Facility, day: date, volume_factor: float) -> list[tuple[str, float]]:
    """(setting, mean encounters) of `fac` on `day` before the Poisson draw: the facility's
    volume by the weekday pattern of each kind of care. Also the long series of the forecasting
    benchmark (forecasting/simulated.py), which needs the same means without the records."""
    mean = MEAN_DAILY_ENCOUNTERS[fac.facility_type] * volume_factor * fac.size
    kind = (
        "hospital" if fac.facility_type in HOSPITAL_TYPES
        else "health_centre" if fac.facility_type == "health_centre" else "primary"
    )  # fmt: skip
    out = []
    for setting, share in _SETTING_SHARES[kind]:
        pattern = setting
        if setting in ("outpatient", "day_inpatient"):
            pattern = "private_outpatient" if fac.ownership == "private" else "public_outpatient"
        out.append((setting, mean * share * weekday_factor(pattern, day)))
    return out


def _regular_visits(world, fac, day, rnd) -> list[_Visit]:
    counts = [
        (setting, poisson(rnd, mean))
        for setting, mean in expected_visits(fac, day, world.scale.volume_factor)
    ]
    total = sum(n for _, n in counts)
    ward_i = world.population.ward_position[fac.ward.code]
    local = _LOCAL_SHARE[fac.facility_type]
    if fac.specialty == "paediatrics":
        persons = world.population.sample(rnd, total, ward_i, local, ages=(0, 15))
    elif fac.specialty == "obstetrics":
        persons = world.population.sample(rnd, total, ward_i, local, (16, 49), female_only=True)
    else:
        persons = world.population.sample(rnd, total, ward_i, local)
    settings = [s for s, n in counts for _ in range(n)]
    return [_timed(rnd, fac, day, p, s, None) for p, s in zip(persons, settings, strict=True)]


def _timed(rnd: random.Random, fac, day, person, setting, diagnosis) -> _Visit:
    start = datetime.combine(day, time())
    if setting == "inpatient":
        stay = 1 + int(rnd.lognormvariate(1.4, 0.6))
        admitted = start - timedelta(days=stay, minutes=-rnd.randint(6 * 60, 22 * 60))
        discharged = start + timedelta(minutes=rnd.randint(8 * 60, 16 * 60))
    elif setting == "emergency":
        admitted = start + timedelta(minutes=rnd.randint(0, 19 * 60))
        discharged = admitted + timedelta(minutes=rnd.randint(30, 240))
    elif setting == "day_inpatient":
        admitted = start + timedelta(minutes=rnd.randint(7 * 60, 10 * 60))
        discharged = start + timedelta(minutes=rnd.randint(14 * 60, 17 * 60))
    else:
        if fac.ownership == "private":
            minute = rnd.randint(7 * 60, 20 * 60 + 30)
        else:
            minute = 7 * 60 + int(rnd.betavariate(1.5, 3.0) * 570)
        admitted = start + timedelta(minutes=minute)
        discharged = admitted + timedelta(minutes=min(int(rnd.lognormvariate(3.8, 0.6)), 200))
    return _Visit(person, setting, admitted, discharged, diagnosis)


@cache
def _diagnosis_for(code: str) -> Diagnosis:
    return next(d for d in diagnoses.mix() if d.code == code and d.setting == "outpatient")


@dataclass
class _DayContext:
    world: World
    fac: Facility
    day: date
    state: FacilityState
    rnd: random.Random
    out: Day
    yymmdd: str
    patient_key: int  # makes MA_BN from a person index
    rx_key: int  # makes e-prescription codes from a counter
    doctors: tuple[str, ...]


@cache
def _facility_keys(seed: int, fac: Facility) -> tuple[int, int, tuple[str, ...]]:
    key = stable_int(seed, "doctor", fac.code) % 1_000_000
    n_doctors = max(2, int(MEAN_DAILY_ENCOUNTERS[fac.facility_type] * fac.size / 25))
    return (
        stable_int(seed, fac.code) % 10**8,
        stable_int(seed, "rx", fac.code) % 36**7,
        tuple(f"{permute(j, 1_000_000, key):06d}/HNO-CCHN" for j in range(n_doctors)),
    )


def _add_episode(ctx: _DayContext, seq: int, visit: _Visit, person: Person) -> None:
    world, fac, day, rnd, out = ctx.world, ctx.fac, ctx.day, ctx.rnd, ctx.out
    band = age_band(person.age)
    diagnosis = visit.diagnosis or diagnoses.draw(
        rnd, day, _mix_setting(visit.setting), band, person.sex, fac.specialty
    )
    secondary = tuple(diagnoses.comorbidities(rnd, band, person.sex, diagnosis.code))
    doctor = rnd.choice(ctx.doctors)
    ma_lk = f"{fac.code}{ctx.yymmdd}{seq:05d}"
    referred_to, discharge_type, reason = _referral_decision(world, fac, rnd, visit.setting)
    referred_from = ""
    if fac.level != "initial" and rnd.random() < 0.08:
        referred_from = world.by_level["initial"].pick(rnd.random())
    result = "2"
    if visit.setting == "inpatient":
        result = rnd.choices([r for r, _ in _RESULT_INPATIENT],
                             weights=[w for _, w in _RESULT_INPATIENT])[0]  # fmt: skip
    elif rnd.random() < 0.3:
        result = "1"
    appointment_at = None
    if "appointments" in fac.datasets and not referred_to and result != "5":
        appointment_at = _appointment_time(rnd, visit, diagnosis)
    service_cost = _service_cost(rnd, visit)
    ep_args = dict(
        ma_lk=ma_lk,
        person=person,
        patient_no=f"{permute(person.index, 10**8, ctx.patient_key):08d}",
        setting=visit.setting,
        loai_kcb=_loai_kcb(rnd, visit.setting),
        doituong="2" if visit.setting == "emergency" else ("3" if rnd.random() < 0.15 else "1"),
        admitted=visit.admitted,
        inpatient_at=visit.admitted + timedelta(minutes=rnd.randint(30, 180))
        if visit.setting == "inpatient"
        else None,
        discharged=visit.discharged,
        primary=diagnosis,
        secondary=secondary,
        result=result,
        discharge_type=discharge_type,
        referred_from=referred_from,
        referred_to=referred_to,
        followup=appointment_at.date() if appointment_at else None,
        weight_kg=_weight(rnd, person),
        department=_DEPARTMENT[visit.setting],
        doctor=doctor,
        registered_facility=world.primary_care.pick((person.index * 0.6180339887) % 1.0),
    )
    lines: list = []
    rx_type = ""
    if "prescriptions" in fac.datasets and rnd.random() < _RX_SHARE[visit.setting]:
        codes = [diagnosis.code, *secondary]
        rx_type, lines = prescribe(rnd, codes, visit.setting != "outpatient")
    drug_cost = sum(round(ln.quantity * ln.use.unit_price_vnd) for ln in lines)
    cost = service_cost + drug_cost
    episode = Episode(**ep_args, cost=cost, insurance_paid=_insurance_paid(person, cost, ep_args))
    out.encounters.append(episode)
    if lines:
        ordinal = day.toordinal() * 100_000 + seq
        rx_code = f"{fac.code.lower()}{base36(permute(ordinal, 36**7, ctx.rx_key), 7)}-{rx_type}"
        ordered = visit.discharged - timedelta(minutes=rnd.randint(5, 30))
        ordered = max(ordered, visit.admitted)
        out.prescriptions.extend(
            DrugLine(episode, stt, line, rx_code, ordered) for stt, line in enumerate(lines, 1)
        )
    if referred_to and "referrals" in fac.datasets:
        transport = "Xe cứu thương" if visit.setting != "outpatient" else "Tự túc"
        number = f"{ctx.yymmdd}{len(out.referrals) + 1:04d}/GCT"
        out.referrals.append(Referral(episode, number, referred_to, reason, transport))
    if appointment_at:
        number = f"{ctx.yymmdd}{len(out.appointments) + 1:04d}/GH"
        out.appointments.append(Appointment(episode, number, appointment_at, day))
        _schedule_return(rnd, ctx.state, appointment_at.date(), person.index, diagnosis)
    if fac.imaging_format and rnd.random() < _imaging_chance(visit.setting, diagnosis):
        accession = f"A{ctx.yymmdd}{len(out.imaging_studies) + 1:05d}"
        out.imaging_studies.append(study_for(world.seed, rnd, episode, accession))


def _mix_setting(setting: str) -> str:
    return "inpatient" if setting == "day_inpatient" else setting


def _loai_kcb(rnd: random.Random, setting: str) -> str:
    if setting == "inpatient":
        return "03"
    if setting == "day_inpatient":
        return "04"
    if setting == "emergency":
        return "09" if rnd.random() < 0.3 else "01"
    return "01"


def _referral_decision(world, fac, rnd, setting) -> tuple[str, str, str]:
    """(target facility, MA_LOAI_RV, MA_LYDO_CT); no target when the patient is not referred."""
    if rnd.random() >= _REFERRAL_SHARE[fac.level] * (2 if setting == "emergency" else 1):
        return "", "4" if setting == "inpatient" and rnd.random() < 0.01 else "1", ""
    rank = LEVEL_RANK[fac.level]
    if rank == 0:
        level = "basic" if rnd.random() < 0.7 else "specialised"
    elif rank == 1:
        level = "specialised" if rnd.random() < 0.85 else "basic"
    else:
        level = "specialised" if rnd.random() < 0.8 else "basic"
    target = world.by_level[level].pick(rnd.random())
    if target == fac.code:
        target = world.by_level["specialised"].pick(rnd.random())
    if target == fac.code:
        return "", "1", ""
    reason = rnd.choices(["1", "2", "3"], weights=[0.7, 0.2, 0.1])[0]
    return target, "5" if reason == "3" else "2", reason


def _appointment_time(rnd: random.Random, visit: _Visit, diagnosis: Diagnosis):
    if visit.setting in ("inpatient", "day_inpatient"):
        chance, interval = 0.4, rnd.choice([7, 14])
    elif diagnosis.chronic:
        chance, interval = 0.35, rnd.choice([28, 30, 30, 14])
    else:
        chance, interval = 0.05, 7
    if rnd.random() >= chance:
        return None
    when = visit.discharged.date() + timedelta(days=interval)
    if when.weekday() == 6:  # no clinics on Sunday
        when += timedelta(days=1)
    return datetime.combine(when, time(7, 30)) + timedelta(minutes=15 * rnd.randint(0, 12))


def _schedule_return(rnd, state: FacilityState, due: date, person: int, diagnosis) -> None:
    u = rnd.random()
    if u < _APPOINTMENT_KEPT:
        state.returns[due + timedelta(days=rnd.choice(_KEPT_OFFSETS))].append((person, diagnosis))
    elif u < _APPOINTMENT_KEPT + _APPOINTMENT_LATE:
        state.returns[due + timedelta(days=rnd.randint(4, 10))].append((person, diagnosis))


def _imaging_chance(setting: str, diagnosis: Diagnosis) -> float:
    chance = _IMAGING_SHARE[setting]
    return min(0.7, chance * 3) if diagnosis.imaging != "none" else chance


def _service_cost(rnd: random.Random, visit: _Visit) -> int:
    """Fees other than drugs, in whole thousands of VND."""
    if visit.setting == "inpatient":
        nights = max(1, (visit.discharged.date() - visit.admitted.date()).days)
        vnd = nights * rnd.lognormvariate(14.3, 0.5)
    elif visit.setting == "emergency":
        vnd = rnd.lognormvariate(13.6, 0.6)
    else:
        vnd = rnd.lognormvariate(12.2, 0.6)
    return int(vnd // 1000) * 1000


def _insurance_paid(person: Person, cost: int, episode: dict) -> int:
    if not person.insurance:
        return 0
    share = _BENEFIT_SHARE[BENEFIT_LEVEL[person.insurance[:2]]]
    if episode["doituong"] == "3":  # outside the registered level: the fund pays less
        share *= 0.4 if episode["setting"] == "inpatient" else 0.0
    return round(cost * share)


def _weight(rnd: random.Random, person: Person) -> float:
    if person.age < 16:
        kg = 3.2 + person.age * 2.8 + rnd.gauss(0, 1.5)
    else:
        kg = rnd.gauss(62, 8) if person.sex == "male" else rnd.gauss(52, 6)
    return round(max(2.0, kg), 1)
