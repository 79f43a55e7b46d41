"""One service day of the surveillance pipeline: read what the day needs from the lake, compute.

Each step reads only the days it needs (its look-back), so any day can be computed or rerun on
its own once its inputs are there. The Dagster assets write each table themselves;
`surveil_days` computes and writes them all for callers outside Dagster.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from hanoi_health_lake.lake.catalog import table_path
from hanoi_health_lake.lake.delta_io import read_table, table_exists
from hanoi_health_lake.outbreaks.cases import DIAGNOSIS_COLUMNS, count_cases, lookback_days
from hanoi_health_lake.outbreaks.reporting import (
    DELIVERY_COLUMNS,
    days_back,
    facility_silence,
    reporting_completeness,
)
from hanoi_health_lake.outbreaks.settings import OutbreakSettings
from hanoi_health_lake.outbreaks.signals import BASELINE_REACH, compute_signals, evaluation_days
from hanoi_health_lake.outbreaks.tables import SCHEMAS, gold_path
from hanoi_health_lake.reference.wards import hanoi_wards

# The lake tables it reads (lake/catalog.py says where they live).
DIAGNOSES = "diagnoses"
BRONZE_FILES = "bronze_files"
VISIT_COLUMNS = ["service_date", "facility_code", "ward_code", "is_primary"]


class MissingInput(RuntimeError):
    """A table the step reads has never been written."""


def read_days(
    lake_root: Path, table: str, days: Sequence[date], columns: list[str]
) -> pl.DataFrame:
    path = table_path(lake_root, table)
    if not table_exists(path):
        raise MissingInput(f"{path} does not exist yet: materialise {table} first")
    return pl.from_arrow(read_table(path, list(days), columns))


def read_gold(lake_root: Path, name: str, days: Sequence[date]) -> pl.DataFrame:
    """A gold table's rows for `days`; an empty frame if the table does not exist yet."""
    path = gold_path(lake_root, name)
    schema = SCHEMAS[name]
    if not table_exists(path):
        return pl.DataFrame(schema=schema)
    return pl.from_arrow(read_table(path, list(days), list(schema))).cast(schema)


def case_counts_for(lake_root: Path, day: date, settings: OutbreakSettings) -> pl.DataFrame:
    diagnoses = read_days(
        lake_root, DIAGNOSES, lookback_days(day, settings.window_days), DIAGNOSIS_COLUMNS
    )
    return count_cases(diagnoses, [day], settings.window_days, primary_only=settings.primary_only)


def reporting_for(
    lake_root: Path, registry: pl.DataFrame, day: date, settings: OutbreakSettings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(facility_silence, reporting_completeness) rows of `day`."""
    deliveries = read_days(
        lake_root, BRONZE_FILES, days_back(day, settings.silence_lookback_days), DELIVERY_COLUMNS
    )
    weight_days = [day - timedelta(days=k) for k in range(settings.weight_days, 0, -1)]
    visits = read_days(lake_root, DIAGNOSES, weight_days, VISIT_COLUMNS).filter(
        pl.col("is_primary")
    )
    silence = facility_silence(
        registry, deliveries, [day], settings.silence_days, settings.silence_lookback_days
    )
    completeness = reporting_completeness(
        registry,
        deliveries.filter(pl.col("service_date") == day),
        visits,
        [day],
        [w.code for w in hanoi_wards()],
        weight_days=settings.weight_days,
        threshold=settings.completeness_threshold,
    )
    return silence, completeness


def signals_for(lake_root: Path, day: date, settings: OutbreakSettings) -> pl.DataFrame:
    counts = read_gold(lake_root, "case_counts", evaluation_days(day, settings))
    if counts.filter(pl.col("service_date") == day).is_empty():
        raise MissingInput(f"no case_counts for {day}: materialise case_counts for that day first")
    reach = days_back(day, max(BASELINE_REACH.values()) + 1)
    completeness = read_gold(lake_root, "reporting_completeness", reach)
    return compute_signals(counts, [day], settings, completeness)


def surveil_days(
    lake_root: Path,
    registry: pl.DataFrame,
    days: Sequence[date],
    settings: OutbreakSettings | None = None,
    run_id: str = "hhl",
) -> dict[str, int]:
    """Compute and write every gold table for `days`, in the order the assets run them; rows
    written per table. For callers outside Dagster: the benchmark and test lakes."""
    from hanoi_health_lake.lake.delta_io import write_partition
    from hanoi_health_lake.outbreaks.tables import to_arrow

    settings = settings or OutbreakSettings()
    written = dict.fromkeys(SCHEMAS, 0)

    def write(name: str, day: date, frame: pl.DataFrame) -> None:
        write_partition(gold_path(lake_root, name), to_arrow(name, frame), day, run_id=run_id)
        written[name] += frame.height

    for day in sorted(days):
        write("case_counts", day, case_counts_for(lake_root, day, settings))
        silence, completeness = reporting_for(lake_root, registry, day, settings)
        write("facility_silence", day, silence)
        write("reporting_completeness", day, completeness)
    for day in sorted(days):  # signals read the completeness of earlier and later days
        write("outbreak_signals", day, signals_for(lake_root, day, settings))
    return written
