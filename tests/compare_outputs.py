"""Same outputs: simulate a fortnight, run it through two checkouts, compare every table.

    .venv/bin/python -m tests.compare_outputs --old /tmp/base --new . [--days 14 --scale tiny]

The old checkout is an earlier commit's tree (`git worktree add /tmp/base 80587d0`, or
`mkdir /tmp/base && git archive 80587d0 | tar -x -C /tmp/base`). Each checkout runs its own
code (PYTHONPATH points at it; this venv's packages serve both) on the same landing files,
written once by the old checkout's simulator, with the same pseudonymisation key. Then every
Delta table under lake/ and every table and view of both DuckDB warehouses (engineers' and
analysts') is compared row for row, ignoring only the columns that record when or by which run
something was done. Exit status 1 when any table differs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
from deltalake import DeltaTable

# Columns that say when or in which run a row was written: they differ on every run.
VOLATILE = {"run_id", "completed_at"}
KEY = "0" * 63 + "1"  # a fixed test key: both runs must give each patient the same key


@dataclass(frozen=True)
class Difference:
    table: str
    what: str


def run_checkout(checkout: Path, home: Path, first: date, last: date) -> None:
    """`hhl run` of the checkout's own code over the days, under `home`."""
    env = os.environ | {
        "PYTHONPATH": str(checkout),
        "HHL_HOME": str(home),
        "HHL_PSEUDONYM_KEY": KEY,
        "DAGSTER_HOME": str(home / "dagster"),
    }
    command = [sys.executable, "-m", "hanoi_health_lake.cli", "run"]
    command += ["--from", first.isoformat(), "--to", last.isoformat(), "--home", str(home)]
    done = subprocess.run(command, env=env, cwd=checkout, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: a day failed; its tables are compared all the same
        raise RuntimeError(f"{checkout}: hhl run failed:\n{done.stdout}\n{done.stderr}")
    print(done.stdout.strip().splitlines()[0] if done.stdout.strip() else done.stderr[-500:])


def simulate(checkout: Path, home: Path, first: date, days: int, scale: str, seed: int) -> None:
    env = os.environ | {"PYTHONPATH": str(checkout)}
    command = [sys.executable, "-m", "hanoi_health_lake.cli", "simulate", "--quiet"]
    command += ["--start", first.isoformat(), "--days", str(days), "--scale", scale]
    command += ["--seed", str(seed), "--out", str(home)]
    subprocess.run(command, env=env, cwd=checkout, check=True)


def delta_tables(home: Path) -> dict[str, pl.DataFrame]:
    lake = home / "lake"
    found = {}
    for log in sorted(lake.rglob("_delta_log")):
        table = log.parent
        rows = DeltaTable(str(table)).to_pyarrow_table()
        found[str(table.relative_to(lake))] = pl.from_arrow(rows)
    return found


def warehouse_tables(home: Path) -> dict[str, pl.DataFrame]:
    found = {}
    for path in sorted((home / "warehouse").glob("*.duckdb")):
        with duckdb.connect(str(path), read_only=True) as con:
            names = con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database() union all "
                "select schema_name, view_name from duckdb_views() "
                "where database_name = current_database() and not internal"
            ).fetchall()
            for schema, table in sorted(names):
                frame = pl.from_arrow(
                    con.sql(f'select * from "{schema}"."{table}"').to_arrow_table()
                )
                found[f"{path.name}:{schema}.{table}"] = frame
    return found


def normalised(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.drop([c for c in frame.columns if c in VOLATILE])
    frame = frame.select(sorted(frame.columns))
    # Sorting needs orderable columns: nested values sort by their hash (same process, same seed).
    keys = [pl.col(c).hash() if frame.schema[c].is_nested() else pl.col(c) for c in frame.columns]
    return frame.with_row_index("_i").sort(keys, nulls_last=True).drop("_i")


def compare(old: dict[str, pl.DataFrame], new: dict[str, pl.DataFrame]) -> list[Difference]:
    out = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            out.append(Difference(name, "only in the old outputs"))
            continue
        if name not in old:
            out.append(Difference(name, "only in the new outputs"))
            continue
        a, b = normalised(old[name]), normalised(new[name])
        if a.schema != b.schema:
            out.append(Difference(name, f"schema {dict(a.schema)} → {dict(b.schema)}"))
        elif a.height != b.height:
            out.append(Difference(name, f"{a.height} rows → {b.height} rows"))
        elif not a.equals(b, null_equal=True):
            rows = a.with_row_index("_row").join(
                b.with_row_index("_row"), on="_row", suffix="__new"
            )
            changed = (
                [
                    c
                    for c in a.columns
                    if not rows.select(pl.col(c).eq_missing(pl.col(f"{c}__new")).all()).item()
                ]
                if all(not a.schema[c].is_nested() for c in a.columns)
                else ["(nested columns)"]
            )
            only_old = a.join(b, on=a.columns, how="anti", nulls_equal=True).height
            out.append(Difference(name, f"{only_old} of {a.height} rows differ; columns {changed}"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="old checkout (git worktree)")
    parser.add_argument("--new", type=Path, default=Path.cwd(), help="new checkout (default: .)")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small", "city"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 3, 1))
    parser.add_argument("--work", type=Path, help="directory for both homes (default: a temp dir)")
    parser.add_argument(
        "--compare-only", action="store_true", help="compare the homes under --work as they are"
    )
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hhl-compare-"))
    old_home, new_home = work / "old", work / "new"
    if not args.compare_only:
        for home in (old_home, new_home):
            shutil.rmtree(home, ignore_errors=True)
        simulate(args.old.resolve(), old_home, args.start, args.days, args.scale, args.seed)
        shutil.copytree(old_home, new_home)
        last = args.start + timedelta(days=args.days - 1)
        for checkout, home in ((args.old, old_home), (args.new, new_home)):
            run_checkout(checkout.resolve(), home, args.start, last)
    tables = 0
    differences = []
    for read in (delta_tables, warehouse_tables):
        old, new = read(old_home), read(new_home)
        tables += len(old.keys() | new.keys())
        differences += compare(old, new)
    for d in differences:
        print(f"DIFFERS {d.table}: {d.what}")
    print(f"{tables} tables compared, {len(differences)} differ (homes under {work})")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
