"""`hhl check FILE`: validate one delivery offline and print the verdicts (no lake needed)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate one file offline (any landing format) and print the verdicts",
        description=(
            "Parse FILE and validate its records exactly as the ingest would (same parsers, same "
            "data contracts), without writing anything: for vendors checking their exports and "
            "engineers reading a rejected file. A file inside <facility>/<YYYY-MM-DD>/ is judged "
            "under that landing name; elsewhere, name it with --facility/--date/--name (an XML "
            "dossier's facility defaults to its own MACSKCB). Registry rules are judged only with "
            "--registry (or HHL_HOME's registry when --home is given). Exit 0 when the file and "
            "every record would be accepted, 1 when anything would be rejected."
        ),
    )
    parser.add_argument("file", type=Path, help="the file to check")
    parser.add_argument("--facility", help="facility code of the landing folder (e.g. 01012)")
    parser.add_argument("--date", type=date.fromisoformat, help="service day (default: today)")
    parser.add_argument("--name", help="landing file name, e.g. encounters__20260302T061500.csv")
    parser.add_argument(
        "--registry", type=Path, help="facility registry CSV (facility_code column)"
    )
    parser.add_argument(
        "--home", help="HHL_HOME whose registry (facility codes, signing certificates) to use"
    )
    parser.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from hanoi_health_lake.config import hhl_home, registry_path
    from hanoi_health_lake.pipeline.check_file import check_file

    if not args.file.is_file():
        print(f"hhl check: error: {args.file} is not a file", file=sys.stderr)
        return 2
    verdict = check_file(
        args.file,
        facility=args.facility,
        service_date=args.date,
        name=args.name,
        registry_codes=_registry(args),
        registry_dir=registry_path(hhl_home(args.home)).parent if args.home else None,
    )
    for line in report_lines(verdict):
        print(line)
    return 0 if verdict.ok else 1


def _registry(args: argparse.Namespace) -> frozenset[str] | None:
    path = args.registry
    if path is None and args.home:
        from hanoi_health_lake.config import hhl_home, registry_path

        path = registry_path(hhl_home(args.home))
    if path is None:
        return None
    import polars as pl

    return frozenset(pl.read_csv(path, infer_schema=False)["facility_code"].to_list())


def report_lines(verdict) -> list[str]:
    p = verdict.parsed
    lines = [f"{verdict.path}: judged as landing/{verdict.landing_name} (format {p.format})"]
    if p.status != "ok":
        lines.append(f"REJECTED whole file [{p.error_rule}]: {p.error_message}")
        return lines
    if p.error_rule:  # a verdict reported, not enforced (the signature policy `report`)
        lines.append(f"reported [{p.error_rule}]: {p.error_message}")
    if not p.records:
        lines.append("no records")
    for dataset, n in verdict.delivered.items():
        lines.append(f"{dataset}: {n} record(s), {verdict.accepted[dataset]} accepted")
    if p.auxiliary:
        kept = sorted({a.resource_type or "" for a in p.auxiliary})
        lines.append(f"kept in bronze, not yet used: {len(p.auxiliary)} ({', '.join(kept)})")
    for record in verdict.rejected:
        lines.append(f"REJECTED {record.dataset} {record.locator} [{', '.join(record.rule_ids)}]")
        lines.append(f"    {record.reason}")
    for (dataset, rule_id), n in sorted(verdict.warnings.items()):
        lines.append(f"warning {dataset} [{rule_id}]: {n} record(s)")
    if not verdict.registry_checked:
        lines.append("registry rules not judged (give --registry to judge facility codes)")
    lines.append("OK: every record would be accepted" if verdict.ok else "NOT OK")
    return lines
