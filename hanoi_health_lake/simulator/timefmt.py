"""Date and time layouts of the delivery formats, written without strftime (it dominates
profiles when called a million times a day)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

_UTC_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh has no daylight saving


def qd_time(dt: datetime) -> str:
    """QĐ 130 time: yyyymmddHHMM."""
    return f"{dt.year:04d}{dt.month:02d}{dt.day:02d}{dt.hour:02d}{dt.minute:02d}"


def qd_date(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def fhir_time(dt: datetime, utc: bool) -> str:
    """FHIR dateTime with its zone: local +07:00, or converted to UTC (Z)."""
    if utc:
        u = dt - _UTC_OFFSET
        return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}+07:00"
    )


def dicom_date(d: date) -> str:
    return qd_date(d)


def dicom_time(dt: datetime) -> str:
    return f"{dt.hour:02d}{dt.minute:02d}{dt.second:02d}"
