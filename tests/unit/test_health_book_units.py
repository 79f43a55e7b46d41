"""The health book's building blocks: field encryption, keys, the opt-out list, the outbox."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest

from hanoi_health_lake.health_book import keys
from hanoi_health_lake.health_book.cipher import IdentityCipher, UndecryptableError
from hanoi_health_lake.health_book.outbox import day_dir, read_documents, write_day
from hanoi_health_lake.health_book.policy import category_of, load_policy, opt_out_path

KEY = bytes(range(32))


def test_a_value_decrypts_only_in_its_row_and_column_under_its_key() -> None:
    cipher = IdentityCipher(KEY)
    blob = cipher.encrypt("pk1", "citizen_id", "001234567890")
    assert b"001234567890" not in blob
    assert cipher.encrypt("pk1", "citizen_id", "001234567890") != blob  # a fresh nonce each time
    assert cipher.decrypt("pk1", "citizen_id", blob) == "001234567890"
    for patient_key, field in (("pk2", "citizen_id"), ("pk1", "phone")):
        with pytest.raises(UndecryptableError):
            cipher.decrypt(patient_key, field, blob)
    with pytest.raises(UndecryptableError):
        IdentityCipher(bytes(32)).decrypt("pk1", "citizen_id", blob)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(UndecryptableError):
        cipher.decrypt("pk1", "citizen_id", tampered)
    assert cipher.encrypt("pk1", "phone", None) is None


def test_the_identity_key_comes_from_the_environment_or_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(keys.ENV_KEY, raising=False)
    monkeypatch.delenv(keys.ENV_KEY_FILE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(keys.IdentityKeyError):
        keys.identity_key(create=False)
    created = keys.identity_key(create=True)
    path = tmp_path / "hanoi-health-lake" / "identity.key"
    assert len(created) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv(keys.ENV_KEY)  # identity_key put it there for Dagster's workers
    assert keys.identity_key() == created
    monkeypatch.setenv(keys.ENV_KEY, "abcd")
    with pytest.raises(keys.IdentityKeyError):
        keys.identity_key()
    assert keys.key_id(KEY) != keys.key_id(created)


def test_opt_outs_and_restrictions_are_read_per_citizen(tmp_path: Path) -> None:
    assert load_policy(tmp_path).opted_out == frozenset()
    path = opt_out_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(
        "citizen_id,scope\n001234567890,all\n0012 3456 7891,mental_health\n123,all\n",
        encoding="utf-8",
    )
    policy = load_policy(tmp_path)
    assert policy.opted_out == {"001234567890"}
    assert policy.categories_for("001234567891") == {"hiv", "mental_health"}
    assert policy.categories_for("009999999999") == {"hiv"}
    assert category_of("B20.1", frozenset({"hiv"})) == "hiv"
    assert category_of("F32.9", frozenset({"hiv"})) is None
    assert category_of("F32.9", policy.categories_for("001234567891")) == "mental_health"
    path.write_text("citizen_id,scope\n001234567890,dental\n", encoding="utf-8")
    with pytest.raises(ValueError, match="dental"):
        load_policy(tmp_path)


def test_the_outbox_is_owner_only_and_checked_on_reading(tmp_path: Path) -> None:
    day = date(2026, 3, 2)
    lines = [json.dumps({"resourceType": "Bundle", "id": str(i)}) for i in range(3)]
    folder = write_day(tmp_path, day, lines, {"service_date": day.isoformat()})
    assert folder == day_dir(tmp_path, day)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    assert [d["id"] for d in read_documents(tmp_path, day)] == ["0", "1", "2"]
    assert list(read_documents(tmp_path, date(2026, 3, 3))) == []
    part = folder / "part-0001.ndjson"
    part.write_text(part.read_text() + "{}\n")
    with pytest.raises(ValueError, match="sha256"):
        list(read_documents(tmp_path, day))
