"""Activity, disease, prescribing, referral and appointment marts on hand-made silver rows.

Facilities: A 01001 city hospital in ward 00004, B 01A01 private clinic in ward 00008,
D 01004 central hospital in ward 00010. The day under test is T = 2026-03-10; appointments
due on 2026-03-05 are judged on 2026-03-08.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import date

import pytest
from test_marts_lake import build_project, facility, make_lake, query

from hanoi_health_lake.reference import icd10
from hanoi_health_lake.reference.disease_groups import disease_groups
from hanoi_health_lake.reference.drugs import INJECTION_ROUTES, drugs_by_code

T = date(2026, 3, 10)
DUE = date(2026, 3, 5)
A, B, D = "01001", "01A01", "01004"
WARD = {A: "00004", B: "00008", D: "00010"}
REGISTRY = [
    facility(A, "city_hospital", "public_city", WARD[A]),
    facility(B, "private_clinic", "private", WARD[B]),
    facility(D, "central_hospital", "public_central", WARD[D]),
]


def person(code: str, service_date: date, key: str, **values) -> dict:
    return {
        "facility_code": code,
        "service_date": service_date,
        "patient_key": key,
        "patient_key_type": "cccd",
        **values,
    }


def d(day: int) -> date:
    return date(2026, 3, day)


# T's encounters, by type.
ENCOUNTERS = [
    *(
        person(A, T, f"t{i}", encounter_id=f"A{i}", encounter_type=kind)
        for i, kind in enumerate(["outpatient"] * 3 + ["inpatient", "emergency", "home"])
    ),
    *(person(B, T, f"b{i}", encounter_id=f"B{i}", encounter_type="outpatient") for i in range(2)),
]

# Appointments A issued, with the later encounters that keep them or not (see the test).
APPOINTMENTS = [
    person(A, d(1), "p1", appointment_id="a1", appointment_date=DUE),
    person(A, d(1), "p2", appointment_id="a2", appointment_date=DUE),
    person(A, d(1), "p3", appointment_id="a3", appointment_date=DUE),
    person(A, d(1), "p4", appointment_id="a4", appointment_date=DUE),
    person(A, d(1), "p5", appointment_id="a5", appointment_date=DUE, patient_key_type="episode"),
    person(A, d(1), "p6", appointment_id="a6", appointment_date=DUE),
    person(A, d(4), "p7", appointment_id="a7", appointment_date=DUE),
    person(A, date(2025, 11, 1), "p8", appointment_id="a8", appointment_date=DUE),
    person(A, d(1), "p9", appointment_id="a9", appointment_date=DUE),
    person(A, T, "t0", appointment_id="a10", appointment_date=date(2026, 3, 20)),
    person(A, T, "t1", appointment_id="a11", appointment_date=date(2026, 3, 20)),
]
VISITS = [
    ("p1", A, d(4)),  # a day early, same facility
    ("p2", D, d(8)),  # three days late, elsewhere
    ("p3", B, d(5)),
    ("p3", A, d(2)),  # on the day (and earlier at A)
    ("p4", A, d(9)),  # four days late: missed
    ("p5", A, d(5)),  # an episode key cannot be followed
    ("p6", A, d(1)),  # only on the day it was issued, before the window
    ("p7", A, d(4)),  # the issuing visit itself: not later than the issue
    ("p8", A, d(5)),  # issued 124 days before: not judged
    ("p9", A, d(4)),
    ("p9", A, d(6)),  # tie at one day: the earlier counts
]

PRESCRIPTION_ITEMS = [
    (A, "pa1", "D006", "AMOXICILLIN ", "J01CA04", "oral"),
    (A, "pa1", "D001", "Paracetamol 500mg", "N02BE01", "oral"),
    (A, "pa1", "D001", "Panadol", "N02BE01", "oral"),
    (A, "pa2", "D010", "Rocephin 1g", "J01DD04", "IM"),
    (A, "pa2", "D017", "Métronidazole", "P01AB01", "oral"),
    (A, None, "D024", "Omeprazole", None, "Tiêm tĩnh mạch"),
    (A, "pa4", "X999", "Thuốc nam", None, "oral"),
    (B, "pb1", "D013", "Azithromycin", None, "oral"),
]

REFERRALS = [(A, D)] * 6 + [(B, A)] * 2 + [(A, "79999")]
MODALITIES = ["CR", "DX", "CT", "MR", "US", "NM"]

# (encounter, ward, codes)
DIAGNOSES = [
    *((f"E{i}", WARD[A], ["J06.9"]) for i in range(6)),
    ("E6", WARD[A], ["A90"]),
    ("E7", WARD[A], ["A97.0"]),
    ("E8", WARD[A], ["J11.1", "J06.9"]),
    ("E9", WARD[A], ["B08.4"]),
    ("E10", WARD[A], ["B08.5"]),
    ("E11", WARD[A], ["B05.9"]),
    ("E12", WARD[B], ["J06.9"]),
    ("E13", None, ["A09"]),
]


def silver_rows() -> dict[str, list[dict]]:
    encounters = list(ENCOUNTERS)
    encounters += [
        person(code, day, key, encounter_id=f"v{n}", encounter_type="outpatient")
        for n, (key, code, day) in enumerate(VISITS)
    ]
    items = [
        person(
            code,
            T,
            "x",
            line_id=f"l{n}",
            prescription_code=rx,
            encounter_id=f"enc-{n}",
            drug_code=drug,
            drug_name=name,
            atc_code=atc,
            route=route,
        )
        for n, (code, rx, drug, name, atc, route) in enumerate(PRESCRIPTION_ITEMS)
    ]
    diagnoses = [
        person(
            A,
            T,
            "y",
            encounter_id=enc,
            ward_code=ward,
            icd10=code,
            is_primary=seq == 0,
            icd10_chapter=icd10.chapter(code),
            seq=seq + 1,
        )
        for enc, ward, codes in DIAGNOSES
        for seq, code in enumerate(codes)
    ]
    return {
        "encounters": encounters,
        "appointments": APPOINTMENTS,
        "prescription_items": items,
        "referrals": [
            person(src, T, "z", referral_id=f"r{n}", from_facility_code=src, to_facility_code=dst)
            for n, (src, dst) in enumerate(REFERRALS)
        ],
        "imaging_studies": [
            person(A, T, "s", study_uid=f"1.2.{n}", modality=m) for n, m in enumerate(MODALITIES)
        ],
        "diagnoses": diagnoses,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("clinical")
    lake = make_lake(root, REGISTRY, silver_rows())
    return root, lake, build_project(root, lake)


@pytest.fixture(scope="module")
def warehouse(built):
    return built[2]


def test_facility_activity_counts_each_kind_of_record(warehouse):
    rows = query(
        warehouse, "select * from mart_facility_activity_daily where service_date = ?", [T]
    )
    by_code = {r["facility_code"]: r for r in rows}
    a, b, dest = by_code[A], by_code[B], by_code[D]
    assert (a["encounters"], a["encounters_outpatient"], a["encounters_inpatient"]) == (6, 3, 1)
    assert (a["encounters_emergency"], a["encounters_other"]) == (1, 1)
    # pa1, pa2, the episode without a code and pa4; seven lines.
    assert (a["prescriptions"], a["drug_lines"]) == (4, 7)
    assert (a["referrals_out"], a["referrals_in"], b["referrals_out"], dest["referrals_in"]) == (
        7,
        2,
        2,
        6,
    )
    assert a["appointments_issued"] == 2
    assert (a["imaging_studies"], a["imaging_xray"], a["imaging_ct"], a["imaging_mr"]) == (
        6,
        2,
        1,
        1,
    )
    assert (a["imaging_us"], a["imaging_other"]) == (1, 1)
    assert (b["encounters"], b["prescriptions"], b["facility_type"]) == (2, 1, "private_clinic")
    assert (dest["encounters"], dest["ward_code"]) == (0, WARD[D])


def expected_disease_counts() -> dict[tuple, int]:
    """Distinct encounters per (ward, classification, category), from the reference code."""
    members: dict[tuple, set[str]] = defaultdict(set)
    for encounter, ward, codes in DIAGNOSES:
        for code in codes:
            members[(ward, "icd10_chapter", icd10.chapter(code))].add(encounter)
            for group in disease_groups():
                if group.contains(code):
                    members[(ward, "disease_group", group.group_id)].add(encounter)
    return {key: len(found) for key, found in members.items()}


def test_disease_counts_by_chapter_and_group_with_small_counts_suppressed(warehouse):
    rows = query(warehouse, "select * from mart_disease_counts_daily where service_date = ?", [T])
    expected = expected_disease_counts()
    got = {(r["ward_code"], r["classification"], r["category"]): r for r in rows}
    assert set(got) == set(expected)
    for key, n in expected.items():
        row = got[key]
        assert row["suppressed"] == (n < 5), key
        assert row["cases"] == (None if n < 5 else n), key
    # ILI counts E0-E5 and E8 once although E8 has two ILI codes; B08.5 is no HFMD.
    assert got[(WARD[A], "disease_group", "ili")]["cases"] == 7
    assert got[(WARD[A], "disease_group", "hfmd")]["suppressed"]
    assert (WARD[A], "disease_group", "measles") in got
    dengue = got[(WARD[A], "disease_group", "dengue")]
    assert (dengue["category_name_en"], dengue["notifiable_class"]) == ("Dengue", "B")


def normalised(text: str | None) -> str | None:
    if text is None:
        return None
    words = text.split()
    # The strength ("500mg") and what follows it are how names are written, not the name.
    cut = next((i for i, w in enumerate(words) if i and w[0].isdigit()), len(words))
    decomposed = unicodedata.normalize("NFD", " ".join(words[:cut]).lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def expected_indicators() -> dict[str, dict]:
    listed = drugs_by_code()
    prescriptions: dict[tuple, list] = defaultdict(list)
    for n, (code, rx, drug, name, atc, route) in enumerate(PRESCRIPTION_ITEMS):
        prescriptions[(code, rx or f"enc-{n}")].append((drug, name, atc, route))
    out: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for (code, _), lines in prescriptions.items():
        known = [(listed.get(drug), name, atc, route) for drug, name, atc, route in lines]
        out[code]["prescriptions"] += 1
        out[code]["lines"] += len(lines)
        out[code]["drugs"] += len({drug for drug, *_ in lines})
        out[code]["antibiotic"] += any(
            (atc or (ref.atc_code if ref else "")).startswith("J01") for ref, _, atc, _ in known
        )
        out[code]["injection"] += any(
            route.lower() in INJECTION_ROUTES or "tiem" in normalised(route) for *_, route in lines
        )
        out[code]["generic"] += sum(
            ref is not None and normalised(name) == normalised(ref.generic_name)
            for ref, name, _, _ in known
        )
    return out


def test_prescribing_indicators_follow_who_inrud_definitions(warehouse):
    rows = query(
        warehouse, "select * from mart_prescribing_indicators_daily where service_date = ?", [T]
    )
    expected = expected_indicators()
    assert {r["facility_code"] for r in rows} == set(expected)
    for row in rows:
        e = expected[row["facility_code"]]
        assert row["prescriptions"] == e["prescriptions"]
        assert row["drug_lines"] == e["lines"]
        assert row["drugs_per_prescription"] == pytest.approx(e["drugs"] / e["prescriptions"])
        assert row["antibiotic_share"] == pytest.approx(e["antibiotic"] / e["prescriptions"])
        assert row["injection_share"] == pytest.approx(e["injection"] / e["prescriptions"])
        assert row["generic_share"] == pytest.approx(e["generic"] / e["lines"])
    a = next(r for r in rows if r["facility_code"] == A)
    # Amoxicillin (pa1) and ceftriaxone (pa2); metronidazole is P01, not J01.
    assert a["prescriptions_with_antibiotic"] == 2
    # Rocephin by IM and omeprazole "tiêm tĩnh mạch".
    assert a["prescriptions_with_injection"] == 2
    # AMOXICILLIN, Paracetamol 500mg, Métronidazole, Omeprazole; not Panadol, Rocephin 1g.
    assert a["lines_generic"] == 4


def test_referral_flows_by_type_and_by_ward_with_small_counts_suppressed(warehouse):
    rows = query(warehouse, "select * from mart_referral_flows_daily where service_date = ?", [T])
    by_type = {
        (r["from_facility_type"], r["to_facility_type"]): (r["referrals"], r["suppressed"])
        for r in rows
        if r["level"] == "facility_type"
    }
    assert by_type == {
        ("city_hospital", "central_hospital"): (6, False),
        ("private_clinic", "city_hospital"): (None, True),
        ("city_hospital", "unknown"): (None, True),
    }
    by_ward = {
        (r["from_ward_code"], r["to_ward_code"]): (r["referrals"], r["suppressed"])
        for r in rows
        if r["level"] == "ward"
    }
    assert by_ward == {
        (WARD[A], WARD[D]): (6, False),
        (WARD[B], WARD[A]): (None, True),
        (WARD[A], None): (None, True),
    }


def test_appointment_adherence_judged_three_days_after_the_due_date(warehouse):
    rows = query(warehouse, "select * from mart_appointment_adherence_daily")
    # Only the appointments due on 2026-03-05 have a closed window: those due on 03-20 wait.
    (row,) = rows
    assert (row["service_date"], row["due_date"], row["facility_code"]) == (d(8), DUE, A)
    # a1-a7 and a9 are due (a8 was issued too early to be judged); a5 cannot be followed.
    assert (
        row["appointments_due"],
        row["appointments_untracked"],
        row["appointments_tracked"],
    ) == (
        8,
        1,
        7,
    )
    # Kept: a1 (early, at A), a2 (late, elsewhere), a3 (on the day), a9 (tie: early, at A).
    assert (row["kept"], row["kept_early"], row["kept_on_day"], row["kept_late"]) == (4, 2, 1, 1)
    assert (row["kept_same_facility"], row["missed"]) == (3, 3)
    assert row["adherence_share"] == pytest.approx(4 / 7)


def test_refreshing_the_judgement_day_alone_gives_the_same_row(built):
    root, lake, warehouse = built
    before = query(warehouse, "select * from mart_appointment_adherence_daily")
    build_project(root, lake, start=d(8), end=d(8))
    assert query(warehouse, "select * from mart_appointment_adherence_daily") == before
