"""patient_key: keyed, stable, normalised, with the typed fallback of docs/lake-tables.md."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest

from hanoi_health_lake.conform import Pseudonymizer

KEY = b"a secret key of 32 bytes, really"
CID = "001085012345"


def _hmac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def test_the_key_is_the_hmac_of_the_typed_identifier():
    assert Pseudonymizer(KEY).patient_key(citizen_id=CID) == (_hmac(KEY, f"cccd:{CID}"), "cccd")


def test_stable_across_instances_and_calls():
    one, two = Pseudonymizer(KEY), Pseudonymizer(KEY)
    assert one.patient_key(citizen_id=CID) == two.patient_key(citizen_id=CID)
    assert one.patient_key(citizen_id=CID) == one.patient_key(citizen_id=CID)


def test_a_different_key_gives_a_different_value():
    other = Pseudonymizer(b"another secret key, 32 bytes !!!")
    assert Pseudonymizer(KEY).patient_key(citizen_id=CID)[0] != other.patient_key(citizen_id=CID)[0]


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Pseudonymizer(b"short")


@pytest.mark.parametrize("written", ["001 085 012345", "001-085-012345", " 001085012345\n"])
def test_citizen_ids_are_compared_by_digits(written):
    p = Pseudonymizer(KEY)
    assert p.patient_key(citizen_id=written) == p.patient_key(citizen_id=CID)


def test_insurance_numbers_are_upper_cased_and_the_first_card_counts():
    p = Pseudonymizer(KEY)
    expected = (_hmac(KEY, "bhyt:DN4010123456789"), "bhyt")
    assert p.patient_key(insurance_number="dn4010123456789") == expected
    assert p.patient_key(insurance_number=" DN4010123456789;HC4010999999999") == expected


@pytest.mark.parametrize(
    ("identifiers", "typed"),
    [
        ({"citizen_id": CID, "insurance_number": "DN4010123456789"}, f"cccd:{CID}"),
        ({"citizen_id": "B1234567", "insurance_number": "DN4010123456789"}, "bhyt:DN4010123456789"),
        ({"patient_local_id": "BN77", "facility_code": "01012"}, "local:01012:BN77"),
        ({"citizen_id": "", "episode_id": "LK9", "facility_code": "01012"}, "episode:01012:LK9"),
    ],
)
def test_the_strongest_identifier_present_is_used(identifiers, typed):
    key, key_type = Pseudonymizer(KEY).patient_key(**identifiers)
    assert key == _hmac(KEY, typed)
    assert key_type == typed.split(":")[0]


def test_nothing_to_key_on_gives_null():
    assert Pseudonymizer(KEY).patient_key(episode_id="LK1") == (None, None)  # no facility


def test_a_frame_is_keyed_row_by_row_like_single_calls():
    frame = pl.DataFrame(
        {
            "citizen_id": [CID, None, None, CID],
            "insurance_number": [None, "hc4010123456789", None, None],
            "patient_local_id": [None, None, "BN1", None],
            "facility_code": ["01012", "01012", None, "01012"],
            "facility_folder": ["01012", "01012", "01A3F", "01012"],
            "encounter_id": ["LK1", "LK2", "LK3", "LK4"],
        }
    )
    p = Pseudonymizer(KEY)
    keys = p.patient_keys(frame, "encounter_id")
    assert keys["patient_key_type"].to_list() == ["cccd", "bhyt", "local", "cccd"]
    assert keys["patient_key"][0] == keys["patient_key"][3]
    # a record without its own facility code falls back to the landing folder's
    assert keys["patient_key"][2] == _hmac(KEY, "local:01A3F:BN1")
    assert keys["patient_key"][1] == p.patient_key(insurance_number="HC4010123456789")[0]
