"""Reading the lake and the simulator's ground truth the way a test (not the pipeline) does."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import polars as pl
from deltalake import DeltaTable

START = date(2026, 3, 1)
SIM_DAYS = 4
INGESTED = (date(2026, 3, 1), date(2026, 3, 3))  # a backfill of three days
TEST_KEY = "integration-test-key-0123456789abcdef"

SILVER = (
    "encounters", "diagnoses", "prescriptions", "prescription_items", "referrals",
    "appointments", "imaging_studies", "services", "lab_results", "checkins",
)  # fmt: skip
ZONES = {
    "bronze_files": "bronze",
    "bronze_records": "bronze",
    "quarantine": "quarantine",
    "reconciliation": "audit",
    **{name: "silver" for name in SILVER},
}


def table_path(home: Path, name: str) -> Path:
    return home / "lake" / ZONES[name] / name


def read(home: Path, name: str) -> pl.DataFrame:
    return pl.from_arrow(DeltaTable(str(table_path(home, name))).to_pyarrow_table())


def day_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("service_date").cast(pl.Utf8))


def ground_truth(home: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(
        home / "ground_truth" / f"{name}.csv",
        schema_overrides={"facility_code": pl.Utf8, "service_date": pl.Utf8, "record_no": pl.Int64},
    )


def missed_faults(faults: pl.DataFrame, home: Path) -> pl.DataFrame:
    """The injected faults (ground_truth/faults.csv rows) that no quarantine row of the lake
    holds under their file, record and rule."""
    quarantine = day_text(read(home, "quarantine")).explode("rule_ids")
    found = faults.join(
        quarantine,
        left_on=["file", "record_no", "rule_id"],
        right_on=["source_file", "record_no", "rule_ids"],
        how="left",
        nulls_equal=True,
    )
    return found.filter(pl.col("run_id").is_null())


def assert_counts_reconcile(expected: pl.DataFrame, home: Path) -> None:
    """The lake's reconciliation under `home` has, for each facility, dataset and day that
    delivered records, the accepted, superseded, quarantined and delivered counts of `expected`
    (ground_truth/clean_counts.csv rows of days that delivered), and no other day."""
    got = day_text(read(home, "reconciliation")).filter(pl.col("delivered") > 0)
    cols = ["facility_code", "dataset", "service_date"]
    joined = expected.join(got, on=cols, how="full", coalesce=True, suffix="_lake")
    for measure in ("accepted", "superseded", "quarantined", "delivered"):
        differ = joined.filter(
            pl.col(measure).fill_null(-1) != pl.col(f"{measure}_lake").fill_null(-1)
        )
        assert differ.height == 0, (measure, differ.head(10).to_dicts())


def unexplained_quarantine(faults: pl.DataFrame, home: Path) -> pl.DataFrame:
    """The quarantine rows of the lake that no injected fault (ground_truth/faults.csv row) of
    the same file and record explains: clean data the pipeline wrongly rejected."""
    return day_text(read(home, "quarantine")).join(
        faults,
        left_on=["source_file", "record_no"],
        right_on=["file", "record_no"],
        how="anti",
        nulls_equal=True,
    )


def assert_quarantine_holds_exactly(faults: pl.DataFrame, home: Path) -> None:
    """The lake's quarantine under `home` holds every injected fault (`faults`, rows of
    ground_truth/faults.csv) under its rule, and nothing else."""
    missed = missed_faults(faults, home)
    assert missed.height == 0, missed.select("kind", "file", "locator").to_dicts()
    extra = unexplained_quarantine(faults, home)
    assert extra.height == 0, extra.select("source_file", "locator", "reason").to_dicts()


def kill_at_first_bronze_commit(home: Path, command: list[str], what: str, **popen) -> None:
    """Start `command` (something that ingests into the lake under `home`) and SIGKILL it as soon
    as bronze_files, the first table it writes, has a new commit: a run stopped half-written.
    `what` names it in the failure message when it never gets that far."""
    log = table_path(home, "bronze_files") / "_delta_log"
    commits_before = len(list(log.glob("*.json")))
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    deadline = time.monotonic() + 300
    while len(list(log.glob("*.json"))) == commits_before and proc.poll() is None:
        assert time.monotonic() < deadline, f"{what} never committed bronze_files"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def copy_home(src: Path, dst: Path, dirs_exist_ok: bool = False) -> Path:
    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=dirs_exist_ok)
    return dst


def committed_partitions(home: Path, name: str) -> list[str]:
    """The partitions named in the commit metadata of every write to a table."""
    history = DeltaTable(str(table_path(home, name))).history()
    return sorted(h["partition"] for h in history if "partition" in h)


def days(*texts: str) -> list[date]:
    return [date.fromisoformat(t) for t in texts]
