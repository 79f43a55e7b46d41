"""`hhl rekey-identities`: rotate the identity key of the health book's restricted tables.

The new key is HHL_IDENTITY_KEY (or its key file); the old one comes from --old-key-file or
HHL_OLD_IDENTITY_KEY. Every encrypted field is decrypted with the old key and encrypted with the
new one, partition by partition (health_book/rotation.py); running it again finishes a rotation
that was stopped. Afterwards, destroy the old key.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

from hanoi_health_lake.commands import add_home_option
from hanoi_health_lake.config import setting


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rekey-identities",
        help="rotate the identity key: re-encrypt the health book's restricted identities",
        description=(
            "Re-encrypt every identity held in the restricted zone under HHL_HOME with the new "
            "identity key (HHL_IDENTITY_KEY or HHL_IDENTITY_KEY_FILE); the old key comes from "
            "--old-key-file or HHL_OLD_IDENTITY_KEY. Nothing is lost; rerun to finish."
        ),
    )
    parser.add_argument("--old-key-file", type=Path, help="file holding the current identity key")
    add_home_option(parser)
    parser.set_defaults(func=_rekey)


def _rekey(args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home, lake_dir
    from hanoi_health_lake.health_book.keys import (
        ENV_OLD_KEY,
        IdentityKeyError,
        identity_key,
        parse_key,
    )
    from hanoi_health_lake.health_book.rotation import rotate

    try:
        if args.old_key_file is not None:
            old = parse_key(args.old_key_file.read_text(), f"in {args.old_key_file}")
        elif setting(ENV_OLD_KEY):
            old = parse_key(setting(ENV_OLD_KEY), f"in {ENV_OLD_KEY}")
        else:
            raise IdentityKeyError(f"give the current key: --old-key-file FILE or {ENV_OLD_KEY}")
        done = rotate(lake_dir(hhl_home(args.home)), old, identity_key(), f"rekey-{uuid.uuid4()}")
    except (IdentityKeyError, ValueError, OSError, RuntimeError) as exc:
        print(f"hhl rekey-identities: error: {exc}", file=sys.stderr)
        return 2
    print(", ".join(f"{name}: {n} rows re-encrypted" for name, n in done.items()))
    return 0
