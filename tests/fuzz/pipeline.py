"""Run a (mutated) delivery through the ingest, the marts and the reports, in process, with the
same functions the Dagster assets call, and check what must hold whatever was delivered."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from deltalake import DeltaTable

from hanoi_health_lake.config import lake_dir, landing_dir, registry_path, warehouse_path
from hanoi_health_lake.lake.catalog import table_path
from hanoi_health_lake.lake.delta_io import overwrite_table
from hanoi_health_lake.pipeline.ingest_day import ingest_day
from hanoi_health_lake.pipeline.write_day import write_day
from hanoi_health_lake.reference import tables
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from tests.fuzz.deliveries import FORMULAS
from tests.identifiers import delivered_identifiers

KEY = b"fuzz-tests-key-0123456789abcdef"
RUN_ID = "fuzz"
# What identifies a row of each silver table within a facility-day.
SILVER_KEYS = {
    "encounters": ("encounter_id",),
    "diagnoses": ("encounter_id", "seq"),
    "prescriptions": ("prescription_code",),
    "prescription_items": ("line_id",),
    "referrals": ("referral_id",),
    "appointments": ("appointment_id",),
    "imaging_studies": ("study_uid",),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_reference(home: Path, run_id: str = RUN_ID) -> None:
    """Write the five reference tables into the lake under `home`, as the reference assets do
    (the facilities from the home's registry)."""
    reference = {
        "facilities": tables.facilities_table(registry_path(home)),
        "wards": tables.wards_table(),
        "icd10": tables.icd10_table(),
        "disease_groups": tables.disease_groups_table(),
        "drugs": tables.drugs_table(),
    }
    for name, table in reference.items():
        overwrite_table(lake_dir(home) / "reference" / name, table, run_id=run_id)


def ingest(home: Path, days: list[date]) -> None:
    """The ingest asset's work for each day: parse, validate, conform, write the partitions."""
    codes = registry_codes(load_registry(registry_path(home)))
    for day in days:
        ingested = ingest_day(landing_dir(home), day, registry_codes=codes, key=KEY, run_id=RUN_ID)
        write_day(lake_dir(home), ingested, RUN_ID)


def publish(home: Path, day: date) -> list[Path]:
    """Build every SQL model and write the day's reports; returns the workbooks written."""
    from hanoi_health_lake.reports import day_period, write_reports
    from tests.browser.report_page import build_marts

    build_marts(home)
    files = write_reports(home, day_period(day))
    return [files.coverage_xlsx, files.dashboard_xlsx]


def read(home: Path, name: str) -> pl.DataFrame:
    path = table_path(lake_dir(home), name)
    return pl.from_arrow(DeltaTable(str(path)).to_pyarrow_table())


# --- invariants --------------------------------------------------------------------------------


@dataclass
class Verdict:
    broken: list[str] = field(default_factory=list)

    def check(self, holds: bool, message: str) -> None:
        if not holds:
            self.broken.append(message)


def delivered_per_day(home: Path, days: list[date]) -> dict[date, list[bytes]]:
    """Delivered files of each day (any facility folder), as raw relative paths."""
    landing = landing_dir(home)
    out: dict[date, list[bytes]] = {d: [] for d in days}
    for day in days:
        for folder in landing.iterdir():
            day_dir = folder / day.isoformat()
            if day_dir.is_dir():
                out[day] += [os.fsencode(p.relative_to(landing)) for p in day_dir.iterdir()]
    return out


def lake_invariants(home: Path, days: list[date], verdict: Verdict) -> None:
    files = read(home, "bronze_files")
    delivered = delivered_per_day(home, days)
    for day in days:
        rows = files.filter(pl.col("service_date") == day)["source_file"].to_list()
        verdict.check(
            len(rows) == len(delivered[day]),
            f"{day}: {len(delivered[day])} files delivered, {len(rows)} bronze_files rows",
        )
        named = {p.decode() for p in delivered[day] if _utf8(p)}
        verdict.check(named <= set(rows), f"{day}: no bronze_files row for {named - set(rows)}")
    rec = read(home, "reconciliation")
    unbalanced = rec.filter(
        pl.col("delivered") != pl.col("accepted") + pl.col("quarantined") + pl.col("superseded")
    )
    verdict.check(unbalanced.is_empty(), f"reconciliation does not balance: {unbalanced.rows()}")
    for table, key in SILVER_KEYS.items():
        frame = read(home, table)
        dup = frame.group_by("facility_code", "service_date", *key).len().filter(pl.col("len") > 1)
        # A record belongs to one service day: one copied into another day's folder is a
        # misplaced delivery, not a second record.
        days_held = frame.group_by("facility_code", *key).agg(pl.col("service_date").n_unique())
        twice = days_held.filter(pl.col("service_date") > 1)
        verdict.check(twice.is_empty(), f"{table}: {key} in two service days: {twice.rows()[:3]}")
        verdict.check(
            dup.is_empty(), f"{table}: duplicate {key} per facility-day: {dup.rows()[:3]}"
        )


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def identifiers(home: Path) -> set[str]:
    """Every personal value delivered, less the formulas the fuzzer plants (one may land in a
    Patient field and in a ward code: it is not an identifier of a person)."""
    return delivered_identifiers(read(home, "bronze_records"), ignore=FORMULAS)


def _strings(frame: pl.DataFrame) -> set[str]:
    values: set[str] = set()
    for column, dtype in frame.schema.items():
        if dtype == pl.Utf8:
            values |= set(frame[column].drop_nulls().unique())
        elif dtype == pl.List(pl.Utf8):
            values |= set(frame[column].explode().drop_nulls().unique())
    return values


def silver_privacy(home: Path, verdict: Verdict) -> None:
    found = identifiers(home)
    for table in SILVER_KEYS:
        leaked = _strings(read(home, table)) & found
        verdict.check(not leaked, f"identifiers in silver {table}: {sorted(leaked)[:3]}")


def warehouse_privacy(home: Path, verdict: Verdict) -> None:
    import duckdb

    found = identifiers(home)
    con = duckdb.connect(str(warehouse_path(home)), read_only=True)
    try:
        relations = con.sql(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        for schema, name in relations:
            frame = con.sql(f'select * from "{schema}"."{name}"').pl()
            leaked = _strings(frame) & found
            verdict.check(
                not leaked, f"identifiers in warehouse {schema}.{name}: {sorted(leaked)[:3]}"
            )
    finally:
        con.close()


def workbook_formulas(workbooks: list[Path], verdict: Verdict) -> None:
    from openpyxl import load_workbook

    for path in workbooks:
        book = load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if isinstance(value, str) and value.startswith(FORMULA_START):
                        # A negative number written as text is not a formula.
                        if re.fullmatch(r"-[\d.,\s%]*", value):
                            continue
                        verdict.check(
                            False, f"{path.name}!{sheet.title}!{cell.coordinate}: {value!r}"
                        )
