"""Which pseudonymisation key a lake was written with, so a different key is refused, not mixed in.

patient_key is an HMAC under the key: a run with another key gives every returning patient a new
key, and silver then holds two unrelated people for one. The lake keeps a fingerprint of its key
(`<lake>/pseudonym_key_fingerprint.json`): HMAC-SHA256 of a fixed label under the key. It says
whether two keys are the same and nothing else; the key itself is never written to the lake.

Changing the key on purpose is `hhl rekey` (commands/rekey.py): it records the new fingerprint
with the old one as `rekeying_from` and re-ingests every day from the immutable landing zone,
then clears `rekeying_from`. While that marker stands only the new key is accepted, so a rekey
that was stopped is finished by running it again with the same new key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from hanoi_health_lake.lake.locks import table_writer_lock

FINGERPRINT_FILE = "pseudonym_key_fingerprint.json"
_LABEL = b"hanoi-health-lake/pseudonym-key-fingerprint/v1"


class KeyMismatchError(RuntimeError):
    """The key in use is not the one the lake was written with."""


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    rekeying_from: str | None = None


def fingerprint(key: bytes) -> str:
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()


def record_path(lake_root: Path) -> Path:
    return Path(lake_root) / FINGERPRINT_FILE


def read_record(lake_root: Path) -> KeyRecord | None:
    path = record_path(lake_root)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return KeyRecord(data["fingerprint"], data.get("rekeying_from"))


def write_record(lake_root: Path, record: KeyRecord) -> None:
    """Replace the record atomically (write a sibling, then rename)."""
    path = record_path(lake_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_suffix(".json.tmp")
    body = {"algorithm": "HMAC-SHA256 of a fixed label", "fingerprint": record.fingerprint}
    if record.rekeying_from:
        body["rekeying_from"] = record.rekeying_from
    fresh.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(fresh, path)


def check_key(lake_root: Path, key: bytes) -> None:
    """Accept the lake's key (recording it on a lake that has none yet); refuse any other."""
    mine = fingerprint(key)
    with table_writer_lock(str(record_path(lake_root))):
        record = read_record(lake_root)
        if record is None:
            write_record(lake_root, KeyRecord(mine))
            return
    if record.fingerprint == mine:
        return
    path = record_path(lake_root)
    if record.rekeying_from == mine:
        raise KeyMismatchError(
            f"the lake at {lake_root} is being re-keyed to a new pseudonymisation key and this is "
            f"the old one: set HHL_PSEUDONYM_KEY to the new key and run `hhl rekey` again to "
            f"finish ({path})"
        )
    raise KeyMismatchError(
        f"HHL_PSEUDONYM_KEY is not the key the lake at {lake_root} was written with "
        f"(fingerprint {record.fingerprint[:12]}… in {path}, this key gives {mine[:12]}…): with "
        "another key every returning patient would get a new patient_key. Use the lake's key, or "
        "change it on purpose with `hhl rekey --old-key-file FILE`, which rewrites the history."
    )
