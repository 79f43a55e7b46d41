"""`hhl serve-api`: the health-book look-up API (FHIR R4) under uvicorn (docs/lookup-api.md)."""

from __future__ import annotations

import argparse
import sys

from hanoi_health_lake.commands import add_home_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve-api",
        help="start the FHIR look-up API for facilities' software (127.0.0.1 by default)",
        description=(
            "Serve the health-book look-up API (docs/lookup-api.md) with uvicorn. Reads "
            "HHL_LOOKUP_DSN (the serving store in PostgreSQL), HHL_LOOKUP_KEY (citizen hash "
            "key), HHL_API_TOKEN_KEY (access-token key), client keys from "
            "HHL_HOME/registry/api_clients. Binds 127.0.0.1: put a TLS-terminating reverse "
            "proxy in front to reach it from the network."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8180, help="port (default 8180)")
    add_home_option(parser)
    parser.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies whose X-Forwarded-For/Proto are trusted (default 127.0.0.1)",
    )
    parser.set_defaults(func=_serve_api)


def _serve_api(args: argparse.Namespace) -> int:
    import uvicorn

    from hanoi_health_lake.config import hhl_home
    from hanoi_health_lake.lookup.app import create_app
    from hanoi_health_lake.lookup.settings import ApiSettings, LookupConfigError

    try:
        app = create_app(ApiSettings.from_env(hhl_home(args.home)))
    except LookupConfigError as error:
        print(f"hhl serve-api: {error}", file=sys.stderr)
        return 2
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"hhl serve-api: binding {args.host}: without a TLS proxy in front, tokens and "
            "health records cross the network in clear",
            file=sys.stderr,
        )
    print(f"hhl serve-api: http://{args.host}:{args.port}/fhir/metadata", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,  # request line and headers at most 16 KiB
        log_level="info",
        access_log=False,  # its lines carry the query (a CCCD); the audit table is the log
    )
    return 0
