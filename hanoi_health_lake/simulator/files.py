"""Files as a facility delivers them, and the damage that gets a whole file rejected.

A file knows the records it counts (docs/landing-formats.md §2) and the record-level faults put
into them, so the ground truth is written from the same objects as the bytes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime

# One encoder for all: json.dumps with non-default options builds a new one per call, which
# doubles the cost of encoding a resource.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(obj: dict | list) -> str:
    """Compact JSON with Vietnamese text as UTF-8, as the exports are written."""
    return _ENCODER.encode(obj)


@dataclass(frozen=True)
class RecordSlot:
    record_no: int  # 1-based position in its file: CSV data row, NDJSON line, Bundle entry
    locator: str
    record_id: str
    fault: str | None = None


@dataclass
class OutFile:
    name: str  # within landing/<facility>/<service_date>/
    data: bytes
    fmt: str
    records: list[RecordSlot] = field(default_factory=list)
    counted: bool = True  # False for the Patient and Condition files beside NDJSON Encounters
    fault: str | None = None  # file-level fault kind


def file_name(dataset: str, export_ts: datetime, ext: str, part: str | None = None) -> str:
    stamp = export_ts.strftime("%Y%m%dT%H%M%S")
    return f"{dataset}__{stamp}.{part}.{ext}" if part else f"{dataset}__{stamp}.{ext}"


# Names that break the landing grammar the way real uploads do: a browser's "(1)", a stray
# separator or shell character, a doubled dot.
_UNSAFE_RENAMES = (
    lambda stem, ext: f"{stem} (1).{ext}",
    lambda stem, ext: f"{stem};1.{ext}",
    lambda stem, ext: f"${stem}.{ext}",
    lambda stem, ext: f"{stem}..{ext}",
    lambda stem, ext: f"{stem.replace('__', '..__', 1)}.{ext}",
)
NOT_DICOM_BODY = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>PACS gateway timed out.</p></body></html>\n"
)


def damage(f: OutFile, kind: str, rnd: random.Random) -> OutFile:
    """The file with a file-level fault that does not depend on its format's structure."""
    data = f.data
    name = f.name
    if kind == "empty_file":
        data = b""
    elif kind == "unsafe_path":
        stem, ext = name.rsplit(".", 1)
        name = rnd.choice(_UNSAFE_RENAMES)(stem, ext)
    elif kind == "malformed_json":
        data = _break_json(data, rnd)
    elif kind == "truncated_file":
        data = data[: max(1, int(len(data) * rnd.uniform(0.3, 0.9)))]
    elif kind == "not_dicom":
        data = NOT_DICOM_BODY
    else:
        raise ValueError(f"{kind} is not a generic file fault")
    return replace(f, name=name, data=data, fault=kind, records=[])


def _break_json(data: bytes, rnd: random.Random) -> bytes:
    """Replace one name/value colon past the middle with a space: brackets stay balanced, so the
    file is complete but does not parse (a truncated file is another fault)."""
    middle = len(data) // 2
    at = data.find(b'":', middle)
    if at < 0:
        at = data.find(b'":')
    return data[: at + 1] + b" " + data[at + 2 :]
