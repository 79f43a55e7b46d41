"""Bronze rows: one per delivered file and one per delivered record, exactly as delivered."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hanoi_health_lake.lake.catalog import schema
from hanoi_health_lake.parsers.landing_paths import DOSSIER
from hanoi_health_lake.pipeline.delivered import DeliveredFile

BRONZE_FILES_SCHEMA = schema("bronze_files")  # declared in lake/catalog.py
BRONZE_RECORDS_SCHEMA = schema("bronze_records")


def bronze_files(service_date: date, files: list[DeliveredFile], run_id: str) -> pa.Table:
    parsed = [f.parsed for f in files]
    n = len(files)
    columns = {
        "service_date": [service_date] * n,
        "facility_code": [f.facility_code for f in files],
        "dataset": [f.dataset for f in files],
        "source_file": [p.path for p in parsed],
        "format": [p.format for p in parsed],
        "encoding": [p.encoding for p in parsed],
        "delimiter": [p.delimiter for p in parsed],
        "table_name": [p.table for p in parsed],
        "size_bytes": [p.size for p in parsed],
        "sha256": [p.sha256 for p in parsed],
        "export_ts": [f.name.export_ts if f.name else None for f in files],
        "arrived_at": [f.arrived_at for f in files],
        "silver_at": [None] * n,  # set when written (pipeline/write_day.py)
        "status": [p.status for p in parsed],
        "error_rule": [p.error_rule for p in parsed],
        "error_message": [p.error_message for p in parsed],
        "n_records": [len(p.records) for p in parsed],
        "run_id": [run_id] * n,
        "kept_tables": [_kept_tables(f) for f in files],
    }
    return pa.table(columns, schema=BRONZE_FILES_SCHEMA)


def _kept_tables(f: DeliveredFile) -> list[dict] | None:
    if f.dataset != DOSSIER:
        return None
    counts = Counter(a.resource_type for a in f.parsed.auxiliary if a.resource_type)
    return [{"table_name": t, "records": n} for t, n in sorted(counts.items())]


def bronze_records(service_date: date, files: list[DeliveredFile], run_id: str) -> pa.Table:
    """Per file with a safe name: its counted records in order, then its auxiliary ones."""
    named = [f for f in files if f.name is not None]
    counted = [len(f.parsed.records) for f in named]
    auxiliary = [len(f.parsed.auxiliary) for f in named]
    records = [rec for f in named for rec in (*f.parsed.records, *f.parsed.auxiliary)]
    n = len(records)
    # File facts once per file, repeated for each of its records by index.
    # int64 even when no file has a name (empty lists would make float64 and fail the chunk).
    per_file_rows = np.add(np.asarray(counted, np.int64), np.asarray(auxiliary, np.int64))
    of_file = pa.array(np.repeat(np.arange(len(named)), per_file_rows))

    def per_file(values: list, type: pa.DataType) -> pa.Array:
        return pa.array(values, type).take(of_file)

    flags = np.zeros(n, dtype=bool)
    start = 0
    for n_counted, n_auxiliary in zip(counted, auxiliary, strict=True):
        start += n_counted
        flags[start : start + n_auxiliary] = True
        start += n_auxiliary
    table_names = per_file([f.parsed.table for f in named], pa.string())
    types = pa.array([rec.resource_type for rec in records], pa.string())
    columns = {
        "service_date": pa.repeat(pa.scalar(service_date, pa.date32()), n),
        "facility_code": per_file([f.facility_code for f in named], pa.string()),
        "dataset": _record_datasets(
            named, records, per_file([f.dataset for f in named], pa.string())
        ),
        "source_file": per_file([f.parsed.path for f in named], pa.string()),
        "sha256": per_file([f.parsed.sha256 for f in named], pa.string()),
        "export_ts": per_file([f.name.export_ts for f in named], pa.timestamp("us")),
        "record_no": pa.array([rec.record_no for rec in records], pa.int64()),
        "locator": pa.array([rec.locator for rec in records], pa.string()),
        "record_id": pa.array([rec.record_id for rec in records], pa.string()),
        # The record's own resource type, else its file's table (`rec.resource_type or p.table`).
        "resource_type": pc.if_else(pc.equal(types, ""), table_names, types).fill_null(table_names)
        if n
        else types,
        "is_auxiliary": pa.array(flags, pa.bool_()),
        "payload": pa.array([rec.payload for rec in records], pa.string()),
        "run_id": pa.repeat(pa.scalar(run_id, pa.string()), n),
    }
    return pa.table(columns, schema=BRONZE_RECORDS_SCHEMA)


def _record_datasets(named: list[DeliveredFile], records: list, of_file: pa.Array) -> pa.Array:
    """The file's dataset for each record, except in an XML dossier (`hoso`), whose counted
    records each name their own dataset (its kept tables XML5–15 stay `hoso`)."""
    if not any(f.dataset == DOSSIER for f in named):
        return of_file
    return pa.array(
        [
            rec.dataset if own == DOSSIER else own
            for rec, own in zip(records, of_file.to_pylist(), strict=True)
        ],
        pa.string(),
    )
