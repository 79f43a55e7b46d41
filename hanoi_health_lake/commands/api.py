"""`hhl api …`: the look-up API's administration: client keys, simulated VNeID consent,
loading the serving store by hand, and "who looked at my book"."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hanoi_health_lake.commands import add_home_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "api",
        help="look-up API administration: client keys, VNeID consent (simulated), who looked",
    )
    add_home_option(parser)
    sub = parser.add_subparsers(dest="api_command", metavar="ACTION", required=True)

    reg = sub.add_parser("register-client", help="register a facility's public key (JWK file)")
    reg.add_argument("--client-id", required=True)
    reg.add_argument("--facility", required=True, help="the facility's mã CSKCB")
    reg.add_argument("--public-jwk", required=True, type=Path)
    reg.add_argument("--scope", default="system/*.read")
    reg.set_defaults(func=_register)

    new = sub.add_parser(
        "new-client",
        help="make a key pair for a client (testing, demos), register its public key",
    )
    new.add_argument("--client-id", required=True)
    new.add_argument("--facility", required=True)
    new.add_argument("--scope", default="system/*.read")
    new.add_argument("--private-out", required=True, type=Path, help="private JWK (mode 0600)")
    new.set_defaults(func=_new_client)

    vneid = sub.add_parser("vneid-key", help="make the simulated VNeID signing key")
    vneid.add_argument("--private-out", required=True, type=Path)
    vneid.set_defaults(func=_vneid_key)

    qr = sub.add_parser("consent-qr", help="print a simulated VNeID consent QR payload")
    qr.add_argument("--vneid-private", required=True, type=Path)
    qr.add_argument("--cccd", required=True)
    qr.add_argument("--facility", required=True)
    qr.add_argument("--days", type=int, default=30)
    qr.set_defaults(func=_consent_qr)

    load = sub.add_parser("load", help="load a day's health-book outbox into the serving store")
    load.add_argument("--day", required=True)
    load.set_defaults(func=_load)

    who = sub.add_parser("who-looked", help="who looked at a citizen's book (from the audit)")
    who.add_argument("--cccd", required=True)
    who.set_defaults(func=_who_looked)


def _write_private(path: Path, jwk: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(jwk, indent=2), encoding="utf-8")


def _registry(args) -> Path:
    from hanoi_health_lake.config import hhl_home

    return hhl_home(args.home) / "registry"


def _register(args) -> int:
    from hanoi_health_lake.lookup.clients import register_client

    jwk = json.loads(args.public_jwk.read_text(encoding="utf-8"))
    path = register_client(_registry(args), args.client_id, args.facility, jwk, args.scope)
    print(f"registered {args.client_id} for facility {args.facility}: {path}")
    return 0


def _new_client(args) -> int:
    from hanoi_health_lake.lookup.clients import register_client
    from hanoi_health_lake.lookup.keys import new_ec_key

    private, public = new_ec_key()
    _write_private(args.private_out, private)
    path = register_client(_registry(args), args.client_id, args.facility, public, args.scope)
    print(f"registered {args.client_id} ({path}); private key in {args.private_out}")
    return 0


def _vneid_key(args) -> int:
    from hanoi_health_lake.lookup.consent import register_vneid_key
    from hanoi_health_lake.lookup.keys import new_ec_key

    private, public = new_ec_key()
    _write_private(args.private_out, private)
    print(f"simulated VNeID key: {register_vneid_key(_registry(args), public)}")
    return 0


def _consent_qr(args) -> int:
    from hanoi_health_lake.lookup.consent import simulated_qr

    private = json.loads(args.vneid_private.read_text(encoding="utf-8"))
    print(simulated_qr(private, args.cccd, args.facility, args.days))
    return 0


def _load(args) -> int:
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.lookup.serving import load_day
    from hanoi_health_lake.lookup.settings import LookupConfigError

    try:
        counts = load_day(hhl_home(args.home), args.day)
    except LookupConfigError as error:
        print(f"hhl api load: {error}", file=sys.stderr)
        return 2
    print(json.dumps(counts.as_metadata()))
    return 0


def _who_looked(args) -> int:
    from hanoi_health_lake.lookup.citizen_hash import CitizenHasher
    from hanoi_health_lake.lookup.settings import dsn, lookup_key
    from hanoi_health_lake.lookup.store import connect

    citizen = CitizenHasher(lookup_key()).citizen_hash(args.cccd)
    conn = connect(dsn())
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT recorded_at, facility_code, client_id, action, reason_kind, status, "
                "outcome FROM lookup.audit WHERE citizen_hash = %s ORDER BY recorded_at",
                (citizen,),
            )
            rows = cur.fetchall()
    finally:
        conn.close()
    for at, facility, client, action, reason, status, outcome in rows:
        print(
            f"{at:%Y-%m-%d %H:%M:%S%z}  {facility or '-':>8}  {client or '-':<20} "
            f"{action:<15} {reason or '-':<12} {status} {outcome}"
        )
    print(f"{len(rows)} look-up(s)")
    return 0
