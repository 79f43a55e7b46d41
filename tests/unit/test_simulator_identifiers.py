"""Identifiers follow their Vietnamese structure (STANDARDS.md §2) and never collide."""

from __future__ import annotations

import random
import re
from collections import Counter

import numpy as np
import pytest

from hanoi_health_lake.simulator.population import BENEFIT_LEVEL, Population
from hanoi_health_lake.simulator.rand import stable_int, unit, unit_of

CCCD = re.compile(r"^(0\d{2})([0-5])(\d{2})(\d{6})$")
INSURANCE = re.compile(r"^([A-Z]{2})([1-5])(\d{2})(\d{10})$")
PHONE = re.compile(r"^0(3|5|7|8|9)\d{8}$")


@pytest.fixture(scope="module")
def population():
    return Population(200_000, seed=4, ref_year=2026)


def test_citizen_ids_agree_with_sex_and_birth_year(population):
    for i in random.Random(1).sample(range(population.size), 3000):
        p = population.person(i)
        province, digit, yy, _ = CCCD.match(p.citizen_id).groups()
        assert 1 <= int(province) <= 96
        century = 1900 + 100 * (int(digit) // 2)
        assert century + int(yy) == p.birth_date.year
        assert int(digit) % 2 == (p.sex == "female")


def test_citizen_ids_are_unique_even_within_one_birth_year_and_sex(population):
    start, stop = population.age_range(30, 31)  # four (age, sex) strata, thousands of people
    ids = [population.person(i).citizen_id for i in range(start, stop)]
    assert len(ids) > 5000 and len(set(ids)) == len(ids)


def test_a_person_is_the_same_whenever_and_wherever_asked(population):
    twin = Population(200_000, seed=4, ref_year=2026)
    for i in (0, 17, 99_999, 199_999):
        assert population.person(i) == twin.person(i)
    assert Population(200_000, seed=5, ref_year=2026).person(17) != population.person(17)


def test_insurance_cards_and_phones_have_their_shapes(population):
    people = [population.person(i) for i in range(0, population.size, 97)]
    cards = [p.insurance for p in people if p.insurance]
    assert 0.85 < len(cards) / len(people) < 0.97  # most people are insured
    for p in people:
        if p.insurance:
            category, level, province, number = INSURANCE.match(p.insurance).groups()
            assert BENEFIT_LEVEL[category] == level
            assert number[:2] == province
            if p.age < 6:
                assert category == "TE"  # children under six: the TE card
        assert p.phone == "" or PHONE.match(p.phone)
    assert len(set(cards)) == len(cards)


def test_ages_follow_a_population_pyramid(population):
    ages = Counter(population.person(i).age // 10 for i in range(0, population.size, 53))
    assert ages[0] > ages[5] > ages[8]
    assert all(p.birth_date.year < 2026 for p in map(population.person, range(0, 200_000, 999)))


def test_scalar_and_vectorised_hashes_agree():
    key = stable_int(9, "x")
    from hanoi_health_lake.simulator.rand import mixed_key

    idx = np.array([0, 1, 2**20, 8_499_999])
    assert unit(key, idx).tolist() == [unit_of(mixed_key(key), int(i)) for i in idx]


def test_ward_residents_live_in_their_ward(population):
    for w in (0, 50, 125):
        residents = population.residents(w)
        assert len(residents) > 500
        for i in residents[:200].tolist():
            assert population.person(i).ward == population.wards[w]
