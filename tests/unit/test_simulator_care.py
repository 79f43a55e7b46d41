"""What happens in the simulated city: returns, referrals, seasons, weekdays, outbreaks."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from hanoi_health_lake.simulator import diagnoses
from hanoi_health_lake.simulator.delivery import schedule, silences_for, sla
from hanoi_health_lake.simulator.episodes import ExtraCases, FacilityState, generate_day
from hanoi_health_lake.simulator.outbreaks import allocate, plan_outbreaks
from hanoi_health_lake.simulator.population import Population
from hanoi_health_lake.simulator.registry import build_registry
from hanoi_health_lake.simulator.scales import SCALES
from hanoi_health_lake.simulator.world import LEVEL_RANK, World

START = date(2026, 3, 2)
E_PRESCRIPTION = re.compile(r"^[0-9a-z]{12}-[cnhy]$")


@pytest.fixture(scope="module")
def world():
    scale = SCALES["small"]
    population = Population(scale.population, 1, START.year)
    return World(1, scale, START, 28, 0.0, population, build_registry(scale, 1, START))


def _hospital(world, name="Bệnh viện Bạch Mai"):
    return next(f for f in world.registry if f.name == name)


def test_appointments_are_partly_kept_as_new_encounters(world):
    fac = _hospital(world, "Bệnh viện Đa khoa Đống Đa")
    state = FacilityState()
    days = [generate_day(world, fac, START + timedelta(days=d), state) for d in range(20)]
    visits = {(e.person.citizen_id, day.day) for day in days for e in day.encounters}
    horizon = START + timedelta(days=16)  # returns up to three days late are still generated
    due = [(a.episode.person.citizen_id, a.at.date()) for day in days
           for a in day.appointments if a.at.date() <= horizon]  # fmt: skip
    assert len(due) > 50
    kept = sum(
        any((cid, when + timedelta(days=k)) in visits for k in range(-3, 4)) for cid, when in due
    )
    assert 0.5 < kept / len(due) < 0.9  # most come back within three days, some never


def test_episodes_and_their_records_are_consistent(world):
    fac = _hospital(world)
    day = generate_day(world, fac, START, FacilityState())
    ids = [e.ma_lk for e in day.encounters]
    assert len(set(ids)) == len(ids) > 500
    for e in day.encounters:
        assert e.admitted < e.discharged and e.discharged.date() == START
        assert 0 <= e.insurance_paid <= e.cost
    codes = {d.prescription_code for d in day.prescriptions}
    assert all(E_PRESCRIPTION.match(c) and c.startswith(fac.code.lower()) for c in codes)
    per_rx = Counter(d.prescription_code for d in day.prescriptions)
    assert set(per_rx.values()) <= set(range(1, 7))
    for r in day.referrals:
        target = next(f for f in world.registry if f.code == r.to_code)
        assert r.to_code != fac.code and target.level in ("basic", "specialised")


def test_referrals_go_mostly_up_the_levels(world):
    up = total = 0
    by_code = {f.code: f for f in world.registry}
    for fac in [f for f in world.registry if f.facility_type == "health_station"][:12]:
        state = FacilityState()
        for d in range(5):
            for r in generate_day(world, fac, START + timedelta(days=d), state).referrals:
                total += 1
                up += LEVEL_RANK[by_code[r.to_code].level] > LEVEL_RANK[fac.level]
    assert total > 10 and up == total


def test_weekends_are_quiet_at_public_outpatient_clinics(world):
    fac = _hospital(world)
    monday = generate_day(world, fac, START, FacilityState())
    sunday = generate_day(world, fac, START + timedelta(days=6), FacilityState())
    assert len(sunday.encounters) < 0.5 * len(monday.encounters)


def _share(day, codes, setting="outpatient"):
    rnd = random.Random(5)
    draws = [diagnoses.draw(rnd, day, setting, "adult", "female", "").code for _ in range(20000)]
    return sum(c in codes for c in draws) / len(draws)


def test_dengue_peaks_in_autumn_and_flu_like_illness_in_winter():
    dengue = {"A97.0", "A90"}
    assert _share(date(2026, 10, 1), dengue) > 5 * _share(date(2026, 3, 1), dengue)
    ili = {"J06.9", "J02.9", "J00", "J11.1", "J10.1"}
    assert _share(date(2026, 2, 1), ili) > 1.3 * _share(date(2026, 8, 1), ili)


def test_outbreak_cases_are_residents_of_the_ward_with_the_disease(world):
    outbreaks = plan_outbreaks(world)
    assert 1 <= len(outbreaks) <= 5
    extra = allocate(world, outbreaks, {})
    ob = outbreaks[0]
    for day, ward, n in ob.cases:
        assert ward in ob.wards and ob.start_date <= day <= ob.end_date
        allocated = sum(c.n for (_, d), cases in extra.items() if d == day
                        for c in cases if world.population.wards[c.ward_index].code == ward
                        and c.code == ob.icd10)  # fmt: skip
        assert allocated >= n  # another outbreak may share the ward and code
    (code, day), cases = next(iter(extra.items()))
    fac = next(f for f in world.registry if f.code == code)
    plain = generate_day(world, fac, day, FacilityState())
    with_cases = generate_day(world, fac, day, FacilityState(), cases)
    added = [e for e in with_cases.encounters if e.person.index not in
             {p.person.index for p in plain.encounters}]  # fmt: skip
    case = cases[0]
    ward = world.population.wards[case.ward_index]
    hits = [e for e in added if e.primary.code == case.code and e.person.ward == ward]
    assert len(hits) >= case.n


def test_extra_cases_respect_the_age_band(world):
    fac = _hospital(world)
    cases = (ExtraCases(ward_index=3, code="B08.4", n=30, ages=(0, 5)),)
    day = generate_day(world, fac, START, FacilityState(), cases)
    hfmd = [e for e in day.encounters if e.primary.code == "B08.4" and e.person.ward.code ==
            world.population.wards[3].code]  # fmt: skip
    assert len(hfmd) >= 30 and all(e.person.age <= 5 for e in hfmd)


def test_silences_fall_inside_the_window_on_connected_days(world):
    found = []
    for fac in world.registry:
        for s in silences_for(world, fac):
            assert START <= s.start <= s.end <= START + timedelta(days=27)
            assert fac.is_live(s.start)
            found.append(s)
    assert found


def test_exports_mostly_arrive_before_eight_the_next_morning(world):
    on_time = total = resent = 0
    for fac in world.registry[:120]:
        for d in range(7):
            day = START + timedelta(days=d)
            for versions in schedule(world, fac, day).values():
                total += 1
                on_time += versions[0].export_ts <= sla(day)
                resent += len(versions) > 1
                assert all(v.export_ts > versions[0].export_ts for v in versions[1:])
    assert 0.7 < on_time / total < 0.99 and resent > 0
