"""The simulated registry mirrors Hanoi's facilities and the city's connection plan."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from hanoi_health_lake.reference.wards import hanoi_wards
from hanoi_health_lake.simulator.registry import build_registry, registry_csv
from hanoi_health_lake.simulator.scales import SCALES

START = date(2026, 3, 2)


@pytest.fixture(scope="module")
def city():
    return build_registry(SCALES["city"], 1, START)


def test_city_scale_has_hanois_facility_mix(city):
    counts = Counter(f.facility_type for f in city)
    assert counts == {
        "central_hospital": 30, "city_hospital": 42, "private_hospital": 43,
        "health_centre": 30, "health_station": 126, "private_clinic": 15_000,
    }  # fmt: skip
    stations = [f.ward.code for f in city if f.facility_type == "health_station"]
    assert sorted(stations) == sorted(w.code for w in hanoi_wards())  # one in every ward


def test_facility_codes_are_unique_five_character_hanoi_codes(city):
    codes = [f.code for f in city]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"01[0-9A-Z]{3}", c) for c in codes)
    assert "01000" not in codes  # the temporary code for Hanoi residents
    public = [f.code for f in city if f.facility_type != "private_clinic"]
    assert all(c[2:].isdigit() for c in public)
    clinics = [f.code for f in city if f.facility_type == "private_clinic"]
    assert all(c[2].isalpha() for c in clinics)


def test_go_live_follows_the_phase_plan(city):
    for f in city:
        if f.go_live_date:
            assert f.go_live_date >= f.opened_date
        if f.facility_type in ("central_hospital", "city_hospital"):
            assert f.go_live_date and f.go_live_date <= date(2025, 12, 30)
    clinics = [f for f in city if f.facility_type == "private_clinic"]
    never = sum(f.go_live_date is None for f in clinics) / len(clinics)
    late = sum(bool(f.go_live_date and f.go_live_date > date(2026, 3, 1)) for f in clinics)
    on_time = sum(bool(f.go_live_date and f.go_live_date <= date(2026, 3, 1)) for f in clinics)
    assert 0.1 < never < 0.3 and late > 1000 and on_time > len(clinics) / 2
    assert any(f.opened_date > START for f in clinics)  # some open while the simulation runs


def test_levels_and_datasets_by_type(city):
    for f in city:
        if f.facility_type == "central_hospital":
            assert f.level == "specialised"
        if f.facility_type in ("health_station", "private_clinic"):
            assert f.level == "initial"
        assert f.datasets[:2] == ("encounters", "prescriptions")
        assert ("imaging_studies" in f.datasets) == bool(f.imaging_format)
    formats = Counter(f.export_format for f in city)
    assert formats["csv"] > formats["fhir_json"] > formats["fhir_ndjson"] > 0


def test_registry_csv_is_sorted_and_readable(city):
    text = registry_csv(city[:50]).decode("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("facility_code,name,facility_type,ownership,level,ward_code")
    assert [ln.split(",")[0] for ln in lines[1:]] == sorted(f.code for f in city[:50])


def test_smaller_scales_keep_every_type():
    for name, total in (("tiny", 30), ("small", 300)):
        reg = build_registry(SCALES[name], 1, START)
        assert len(reg) == total
        assert len({f.facility_type for f in reg}) == 6


def test_another_seed_gives_another_registry():
    a = registry_csv(build_registry(SCALES["tiny"], 1, START))
    assert a == registry_csv(build_registry(SCALES["tiny"], 1, START))
    assert a != registry_csv(build_registry(SCALES["tiny"], 2, START))


def test_most_facilities_name_a_contact_for_their_deliveries_some_none(city, tmp_path):
    from hanoi_health_lake.reference.registry import CONTACT_COLUMNS, load_registry
    from hanoi_health_lake.simulator.names import pools

    path = tmp_path / "facilities.csv"
    path.write_bytes(registry_csv(city))
    loaded = load_registry(path)
    assert list(loaded.columns[-3:]) == list(CONTACT_COLUMNS)
    named = loaded.filter(loaded["contact_name"].is_not_null())
    assert 0.75 < named.height / loaded.height < 0.95  # most, not all
    blank = loaded.filter(loaded["contact_name"].is_null())
    assert blank["contact_phone"].null_count() == blank.height  # a blank row is blank throughout
    assert named["contact_phone"].null_count() == 0
    assert 0.6 < named["contact_email"].is_not_null().mean() < 0.95
    families = set(pools()["family"].values)
    for name, phone, email in named.select(CONTACT_COLUMNS).head(2000).iter_rows():
        assert name.split()[0] in families, name  # family name first, as in Vietnam
        digits = re.sub(r"\D", "", phone)
        assert 9 <= len(digits) <= 11 and phone.startswith(("0", "(0", "+84")), phone
        assert email is None or re.fullmatch(r"[a-z0-9.]+@[a-z.]+", email), email
