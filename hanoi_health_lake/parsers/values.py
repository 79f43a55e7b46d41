"""Typed values from delivered text: QĐ 130 dates and times, FHIR dates, numbers, codes.

Each parser raises ValueError on text that does not parse, so callers can turn it into a record
error; blank text is the caller's business (it means "absent", not "wrong").
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from hanoi_health_lake.config import TIMEZONE

LOCAL_ZONE = ZoneInfo(TIMEZONE)


def nfc(text: str) -> str:
    """Vietnamese arrives precomposed or decomposed (Windows-1258 is decomposed); store NFC."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _digits(text: str, sizes: tuple[int, ...], what: str) -> str:
    if len(text) not in sizes or not text.isascii() or not text.isdigit():
        raise ValueError(f"{text!r} is not a {what}")
    return text


@lru_cache(maxsize=8192)
def qd130_time(text: str) -> datetime:
    """`yyyymmddHHMM` (QĐ 130 time, 12 digits) → naive local datetime."""
    s = _digits(text, (12,), "time yyyymmddHHMM")
    try:
        return datetime(int(s[:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]))
    except ValueError:
        raise ValueError(f"{text!r} is not a valid time yyyymmddHHMM") from None


@lru_cache(maxsize=8192)
def qd130_date(text: str) -> date:
    """`yyyymmdd` → date. A 12-digit time is accepted too (QĐ 130 types some dates as str12)."""
    s = _digits(text, (8, 12), "date yyyymmdd")
    try:
        return date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date yyyymmdd") from None


@lru_cache(maxsize=8192)
def qd130_birth(text: str) -> tuple[date, int]:
    """Birth date `yyyymmdd[HHMM]` where `00` marks an unknown day or month (→ the 1st)."""
    s = _digits(text, (8, 12), "birth date yyyymmdd")
    year, month, day = int(s[:4]), int(s[4:6]), int(s[6:8])
    if month == 0:
        month, day = 1, 1 if day == 0 else day
    try:
        return date(year, month, day or 1), year
    except ValueError:
        raise ValueError(f"{text!r} is not a valid birth date yyyymmdd") from None


def integer(text: str) -> int:
    """Whole numbers (money in VND): `1500000`; `1500000.0` is tolerated, `1500000.5` is not."""
    try:
        return int(text)
    except ValueError:
        value = real(text)
        if not value.is_integer():
            raise ValueError(f"{text!r} is not a whole number") from None
        return int(value)


def real(text: str) -> float:
    """Decimals with `.` (quantities, weights); a comma decimal or NaN is rejected."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def fhir_datetime(text: object) -> datetime:
    """FHIR date/dateTime/instant → naive Asia/Ho_Chi_Minh time; a partial date → its first day.

    A time with an offset is converted; one without is already local (docs/landing-formats.md §4).
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a FHIR dateTime")
    if len(text) <= 10:
        d = fhir_date(text)
        return datetime(d.year, d.month, d.day)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a FHIR dateTime") from None
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    return value


def fhir_date(text: object) -> date:
    """FHIR `date` (`1974`, `1974-12`, `1974-12-25`) → date, the missing parts set to 1."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a FHIR date")
    if len(text) > 10:
        return fhir_datetime(text).date()
    parts = text.split("-")
    try:
        if len(parts) > 3 or len(parts[0]) != 4 or any(len(p) != 2 for p in parts[1:]):
            raise ValueError
        numbers = [int(p) for p in parts] + [1] * (3 - len(parts))
        return date(*numbers)
    except ValueError:
        raise ValueError(f"{text!r} is not a FHIR date") from None


def dicom_datetime(da: str, tm: str | None) -> datetime:
    """DICOM DA `YYYYMMDD` plus optional TM `HH[MM[SS[.F]]]` → naive datetime (as recorded)."""
    da = da.strip()
    if len(da) == 10 and da[4] == da[7] == ".":
        da = da.replace(".", "")  # ACR-NEMA `YYYY.MM.DD`, still found in old archives
    d = qd130_date(_digits(da, (8,), "DICOM date YYYYMMDD"))
    hms = (tm or "").strip().split(".")[0].replace(":", "")
    if hms and (not hms.isdigit() or len(hms) not in (2, 4, 6)):
        raise ValueError(f"{tm!r} is not a DICOM time HHMMSS")
    hh, mm, ss = (int(hms[i : i + 2] or 0) for i in (0, 2, 4))
    try:
        return datetime(d.year, d.month, d.day, hh, mm, ss)
    except ValueError:
        raise ValueError(f"{tm!r} is not a valid DICOM time") from None
