"""`hhl rekey`: change the pseudonymisation key on purpose, rewriting every patient_key in one step.

An HMAC cannot be turned from one key to another, but the landing zone keeps every delivered file
as sent, and a day's ingest is idempotent: re-ingesting every day in the lake under the new key
rewrites each silver, quarantine and gold partition and the warehouse's copies and marts, so
links between visits hold as before, under new keys. The old key must be given (proof of intent,
and that it is this lake's key); the new one is HHL_PSEUDONYM_KEY. A rekey that was stopped is
finished by running the command again (lake/key_fingerprint.py keeps the state).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hanoi_health_lake.commands import add_home_option

ENV_OLD_KEY = "HHL_OLD_PSEUDONYM_KEY"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rekey",
        help="re-key the lake: every patient_key rewritten under a new pseudonymisation key",
        description=(
            "Change the pseudonymisation key of the lake under HHL_HOME: the new key is "
            "HHL_PSEUDONYM_KEY, the old one comes from --old-key-file (or HHL_OLD_PSEUDONYM_KEY). "
            "Every service day in the lake is ingested again from the landing zone under the new "
            "key, with the marts; until it has finished only the new key is accepted, and running "
            "the command again finishes a rekey that was stopped."
        ),
    )
    parser.add_argument("--old-key-file", type=Path, help="file holding the lake's current key")
    add_home_option(parser)
    parser.set_defaults(func=_rekey)


def _old_key(args: argparse.Namespace) -> str:
    if args.old_key_file is not None:
        return args.old_key_file.read_text(encoding="utf-8").strip()
    from hanoi_health_lake.config import setting

    if setting(ENV_OLD_KEY):
        return setting(ENV_OLD_KEY)
    raise ValueError(f"give the lake's current key: --old-key-file FILE or {ENV_OLD_KEY}")


def rekey(home: Path, old_key: str) -> list:
    """Re-key the lake under `home` from `old_key` to HHL_PSEUDONYM_KEY; the day runs."""
    from hanoi_health_lake.automation.inprocess import run_days
    from hanoi_health_lake.config import lake_dir
    from hanoi_health_lake.lake.catalog import table_path
    from hanoi_health_lake.lake.delta_io import partitions
    from hanoi_health_lake.lake.key_fingerprint import (
        KeyRecord,
        fingerprint,
        read_record,
        write_record,
    )
    from hanoi_health_lake.pseudonym_key import ensure_pseudonym_key

    lake = lake_dir(home)
    old, new = (
        fingerprint(old_key.encode()),
        fingerprint(ensure_pseudonym_key(create=False).encode()),
    )
    record = read_record(lake)
    resuming = record is not None and record == KeyRecord(new, old)
    if not resuming:
        if record is not None and record.fingerprint != old:
            raise ValueError(
                f"the old key given is not the key the lake at {lake} was written with"
            )
        if old == new:
            raise ValueError("HHL_PSEUDONYM_KEY is the old key: set it to the new key")
    days = partitions(table_path(lake, "bronze_files"))
    write_record(lake, KeyRecord(new, rekeying_from=old))
    if not days:
        write_record(lake, KeyRecord(new))
        return []
    print(f"[hhl rekey] re-ingesting {days[0]} … {days[-1]} under the new key", file=sys.stderr)
    runs = run_days(home, days[0], days[-1])
    if all(r.success for r in runs):
        write_record(lake, KeyRecord(new))
    return runs


def _rekey(args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home

    try:
        runs = rekey(hhl_home(args.home), _old_key(args))
    except (ValueError, FileNotFoundError, RuntimeError, OSError) as exc:
        print(f"hhl rekey: error: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in runs if not r.success]
    for r in failed:
        print(f"day {r.service_date} failed: see run {r.run_id}; run `hhl rekey` again to finish")
    if not failed:
        print(f"re-keyed {sum(r.scope == 'day' for r in runs)} day(s); every patient_key rewritten")
    return 1 if failed else 0
