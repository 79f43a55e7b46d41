"""Faults in QĐ 130 CSV files: one cell (or two rows) changed per record fault; a wrong
encoding, a dropped required column or an unrecognisable header per file fault."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from hanoi_health_lake.formats.qd130 import TABLE_COLUMNS, TABLE_REQUIRED
from hanoi_health_lake.simulator.fault_values import (
    FaultContext,
    citizen_id_for,
    later_birth_date,
    mismatched_citizen_id,
    qd_bad_date,
    qd_bad_time,
)
from hanoi_health_lake.simulator.timefmt import qd_date, qd_time

# Date and time columns whose value maps to a canonical field, by table: (column, is_time).
DATE_COLUMNS = {
    "XML1": (("NGAY_VAO", True), ("NGAY_RA", True), ("NGAY_SINH", False)),
    "XML2": (("NGAY_YL", True),),
    "XML13": (("NGAY_VAO", True), ("NGAY_RA", True)),
    "XML14": (("NGAY_HEN_KL", True), ("NGAY_CT", False)),
}
# Columns that make up the record id (docs/landing-formats.md §2).
ID_COLUMNS = {"XML1": ("MA_LK",), "XML2": ("MA_LK", "STT"), "XML13": ("SO_CHUYENTUYEN",),
              "XML14": ("SO_GIAYHEN_KL",)}  # fmt: skip
# What a vendor's "friendly" export puts in the header instead of QĐ 130 names.
_FRIENDLY_HEADER = {
    "MA_LK": "Mã liên kết", "STT": "Số thứ tự", "MA_BN": "Mã bệnh nhân", "HO_TEN": "Họ và tên",
    "SO_CCCD": "Số CCCD", "NGAY_SINH": "Ngày sinh", "GIOI_TINH": "Giới tính",
    "MA_THE_BHYT": "Mã thẻ BHYT", "MA_BENH_CHINH": "Bệnh chính", "NGAY_VAO": "Ngày vào",
    "NGAY_RA": "Ngày ra", "MA_CSKCB": "Mã cơ sở KCB", "MA_THUOC": "Mã thuốc",
    "TEN_THUOC": "Tên thuốc", "SO_LUONG": "Số lượng",
}  # fmt: skip


def _parse_time(text: str) -> datetime:
    return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]),
                    int(text[10:12]))  # fmt: skip


def _parse_date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]) or 1, int(text[6:8]) or 1)


def apply_record_fault(
    kind: str,
    table: str,
    rows: list[dict[str, str]],
    i: int,
    partner: int | None,
    ctx: FaultContext,
) -> None:
    row = rows[i]
    rnd = ctx.rnd
    if kind == "bad_date_format":
        column, is_time = rnd.choice(DATE_COLUMNS[table])
        value = row[column]
        if is_time:
            row[column] = qd_bad_time(_parse_time(value), rnd)
        else:
            row[column] = qd_bad_date(_parse_date(value), rnd)
    elif kind == "birth_after_visit":
        born = later_birth_date(_parse_time(row["NGAY_VAO"]).date(), rnd)
        row["NGAY_SINH"] = qd_date(born)
        # Re-stamp the citizen id so that only the birth date is wrong, not the id as well.
        row["SO_CCCD"] = citizen_id_for(row["SO_CCCD"], row["GIOI_TINH"] == "2", born.year)
    elif kind == "discharge_before_admission":
        admitted = _parse_time(row["NGAY_RA"]) + timedelta(minutes=rnd.randint(10, 180))
        row["NGAY_VAO"] = qd_time(admitted)
        if row["NGAY_VAO_NOI_TRU"]:
            row["NGAY_VAO_NOI_TRU"] = row["NGAY_VAO"]
    elif kind == "invalid_icd10":
        row["MA_BENH_CHINH"] = ctx.invalid_icd10()
    elif kind == "citizen_id_mismatch":
        row["SO_CCCD"] = mismatched_citizen_id(row["SO_CCCD"], rnd)
    elif kind == "duplicate_record_id":
        if partner is not None:
            for column in ID_COLUMNS[table]:
                row[column] = rows[partner][column]
    elif kind == "negative_quantity":
        quantity = -float(row["SO_LUONG"]) if rnd.random() < 0.7 else 0.0
        row["SO_LUONG"] = f"{quantity:g}"
        row["THANH_TIEN_BV"] = str(round(quantity * int(row["DON_GIA"])))
    elif kind == "unknown_facility_code":
        row["MA_CSKCB"] = ctx.unregistered_code()
    elif kind == "unknown_referral_target":
        row["MA_NOI_DEN"] = ctx.unregistered_code()
    elif kind == "missing_required_field":
        # The record id stays, so the fault can be found by it.
        candidates = [c for c in TABLE_REQUIRED[table] if c not in ID_COLUMNS[table]]
        row[rnd.choice(candidates)] = ""
    else:
        raise ValueError(f"{kind} is not a CSV record fault")


def apply_file_fault(
    kind: str, table: str, rows: list[dict[str, str]], encoding: str, rnd: random.Random
) -> tuple[tuple[str, ...], list[dict[str, str]], str]:
    """(header, rows, encoding) of a CSV file rejected whole for `kind`."""
    columns = TABLE_COLUMNS[table]
    if kind == "wrong_encoding":
        return columns, rows, "utf-16"
    elif kind == "missing_required_column":
        dropped = rnd.choice(TABLE_REQUIRED[table])
        columns = tuple(c for c in columns if c != dropped)
    elif kind == "unknown_column_set":
        renamed = [
            {_FRIENDLY_HEADER.get(c, f"Cột {k}"): r[c] for k, c in enumerate(columns, 1)}
            for r in rows
        ]
        header = tuple(_FRIENDLY_HEADER.get(c, f"Cột {k}") for k, c in enumerate(columns, 1))
        return header, renamed, encoding
    else:
        raise ValueError(f"{kind} is not a CSV file fault")
    return columns, rows, encoding
