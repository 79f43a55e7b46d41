"""`hhl serve`: the Dagster UI and daemon (sensors, schedule, backfills) on one instance profile."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from hanoi_health_lake.commands import add_home_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="start the Dagster UI (dagster-webserver) and dagster-daemon; Ctrl-C stops both",
        description=(
            "Start dagster-webserver and dagster-daemon on the instance of --profile: 'embedded' "
            "keeps run, event and schedule storage in SQLite under HHL_HOME/dagster; "
            "'production' uses PostgreSQL from HHL_PG_URL or HHL_PG_HOST, HHL_PG_PORT, "
            "HHL_PG_USER, HHL_PG_PASSWORD, HHL_PG_DB (instance files under "
            "HHL_HOME/dagster-production). The daemon runs the landing sensor, the 09:00 "
            "schedule, backfills and the run queue (HHL_MAX_CONCURRENT_RUNS runs at once, pool "
            "lake_ingest limited to HHL_POOL_LIMIT, default 1). Prints where to open the UI."
        ),
    )
    parser.add_argument("--profile", choices=["embedded", "production"], default="embedded")
    parser.add_argument("--host", default="127.0.0.1", help="address the UI listens on")
    parser.add_argument("--port", type=int, default=3000, help="port of the UI (default 3000)")
    add_home_option(parser)
    parser.add_argument("--log-dir", help="write webserver.log and daemon.log here, not stdout")
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hanoi_health_lake.automation.services import prepare_instance, start_services
    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.instance import MissingConnection

    home = hhl_home(args.home)
    try:
        directory = prepare_instance(home, args.profile)
    except (MissingConnection, RuntimeError) as error:
        print(f"hhl serve: {error}", file=sys.stderr)
        return 2
    # Ctrl-C even when started in the background (where SIGINT comes ignored), and a service
    # manager's SIGTERM, both stop the UI and the daemon in order.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"hhl serve: starting the UI and the daemon ({args.profile}) …", flush=True)
    services = start_services(
        host=args.host, port=args.port, log_dir=Path(args.log_dir) if args.log_dir else None
    )
    try:
        services.wait_until_ready()
        print(
            f"Dagster UI: {services.url}  (profile {args.profile}, instance {directory}, "
            f"HHL_HOME {home}). Ctrl-C stops the UI and the daemon.",
            flush=True,
        )
        while not services.exited():
            time.sleep(1)
        print(f"hhl serve: stopped unexpectedly: {services.exited()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hhl serve: stopping the UI and the daemon …", file=sys.stderr, flush=True)
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"hhl serve: {error}", file=sys.stderr)
        return 1
    finally:
        services.stop()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
