"""Bronze rows: one per delivered file and one per delivered record, exactly as delivered."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from hanoi_health_lake.pipeline.parse_day import DeliveredFile

BRONZE_FILES_SCHEMA = pa.schema(
    [
        ("service_date", pa.date32()),
        ("facility_code", pa.string()),
        ("dataset", pa.string()),
        ("source_file", pa.string()),
        ("format", pa.string()),
        ("encoding", pa.string()),
        ("delimiter", pa.string()),
        ("table_name", pa.string()),
        ("size_bytes", pa.int64()),
        ("sha256", pa.string()),
        ("export_ts", pa.timestamp("us")),
        ("status", pa.string()),
        ("error_rule", pa.string()),
        ("error_message", pa.string()),
        ("n_records", pa.int64()),
        ("run_id", pa.string()),
    ]
)

BRONZE_RECORDS_SCHEMA = pa.schema(
    [
        ("service_date", pa.date32()),
        ("facility_code", pa.string()),
        ("dataset", pa.string()),
        ("source_file", pa.string()),
        ("sha256", pa.string()),
        ("export_ts", pa.timestamp("us")),
        ("record_no", pa.int64()),
        ("locator", pa.string()),
        ("record_id", pa.string()),
        ("resource_type", pa.string()),
        ("is_auxiliary", pa.bool_()),
        ("payload", pa.string()),
        ("run_id", pa.string()),
    ]
)


def bronze_files(service_date: date, files: list[DeliveredFile], run_id: str) -> pa.Table:
    rows: dict[str, list] = {name: [] for name in BRONZE_FILES_SCHEMA.names}
    for f in files:
        p = f.parsed
        values = (
            service_date, f.facility_code, f.dataset, p.path, p.format, p.encoding, p.delimiter,
            p.table, p.size, p.sha256, f.name.export_ts if f.name else None, p.status,
            p.error_rule, p.error_message, len(p.records), run_id,
        )  # fmt: skip
        for column, value in zip(BRONZE_FILES_SCHEMA.names, values, strict=True):
            rows[column].append(value)
    return pa.table(rows, schema=BRONZE_FILES_SCHEMA)


def bronze_records(service_date: date, files: list[DeliveredFile], run_id: str) -> pa.Table:
    rows: dict[str, list] = {name: [] for name in BRONZE_RECORDS_SCHEMA.names}
    for f in files:
        if f.name is None:
            continue
        p = f.parsed
        for is_aux, records in ((False, p.records), (True, p.auxiliary)):
            for rec in records:
                values = (
                    service_date, f.facility_code, f.dataset, p.path, p.sha256, f.name.export_ts,
                    rec.record_no, rec.locator, rec.record_id, rec.resource_type or p.table,
                    is_aux, rec.payload, run_id,
                )  # fmt: skip
                for column, value in zip(BRONZE_RECORDS_SCHEMA.names, values, strict=True):
                    rows[column].append(value)
    return pa.table(rows, schema=BRONZE_RECORDS_SCHEMA)
