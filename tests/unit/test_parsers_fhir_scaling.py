"""A Bundle that repeats one fullUrl on every entry (invalid FHIR, but delivered) parses in
linear time, and links each Condition to the one encounter its reference resolves to.

Work is counted as Python function calls (generator resumptions included), so the test does not
depend on how loaded the machine is."""

from __future__ import annotations

import sys

from hanoi_health_lake.parsers import fhir
from hanoi_health_lake.parsers.landing_paths import parse_landing_path

NAME = parse_landing_path("01012/2026-03-01/encounters__20260302T080000.json")
ICD10 = "http://hl7.org/fhir/sid/icd-10"
CODES = ["J06.9", "A97.0", "I10", "E11.9"]


def _bundle(n: int) -> dict:
    """`n` encounters and `2n` conditions, all under one fullUrl: condition `a{i}` points at the
    shared fullUrl, condition `b{i}` at `Encounter/e{i}`."""
    entries = []
    for i in range(n):
        for resource in (
            {"resourceType": "Encounter", "id": f"e{i}", "class": {"code": "AMB"}},
            _condition(f"a{i}", "urn:uuid:same", "J06.9"),
            _condition(f"b{i}", f"Encounter/e{i}", CODES[i % len(CODES)]),
        ):
            entries.append({"fullUrl": "urn:uuid:same", "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _condition(cid: str, encounter: str, icd: str) -> dict:
    return {
        "resourceType": "Condition",
        "id": cid,
        "encounter": {"reference": encounter},
        "code": {"coding": [{"system": ICD10, "code": icd}]},
    }


def _calls(document: dict) -> int:
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        fhir.parse_json(document, NAME)
    finally:
        sys.setprofile(None)
    return count


def test_twenty_thousand_repeated_full_urls_link_each_condition_once():
    n = 20_000
    content = fhir.parse_json(_bundle(n), NAME)
    assert len(content.records) == n and len(content.auxiliary) == 2 * n
    by_id = {r.record_id: r.fields for r in content.records}
    # The shared fullUrl resolves to the first resource that holds it: encounter e0 alone.
    assert by_id["e0"]["primary_icd10"] == "J06.9"
    for i in (1, 2, 3, 4999, n - 1):
        fields = by_id[f"e{i}"]
        assert (fields["primary_icd10"], fields["secondary_icd10"]) == (CODES[i % 4], [])


def test_doubling_the_bundle_roughly_doubles_the_work():
    small, double = _calls(_bundle(500)), _calls(_bundle(1000))
    # Linear work gives 2x (plus a constant); the list scan it replaces gave well over 4x.
    assert double < 2.2 * small, (small, double)
