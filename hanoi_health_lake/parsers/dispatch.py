"""`parse_file`: one landed file → one ParsedFile, whatever is wrong with it.

The name is validated before anything is read; the bytes are read once (hashed and parsed from
the same buffer); a file that cannot be used comes back with `status="error"`, its file-level
rule (faults.py) and a message naming the file — the run goes on with the other files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hanoi_health_lake.config import megabytes
from hanoi_health_lake.formats import qd130
from hanoi_health_lake.parsers import csv_qd130, dicom, encodings, fhir, xml_qd130, xml_signature
from hanoi_health_lake.parsers import rejection as r
from hanoi_health_lake.parsers.fhir_mapping import COUNTED_TYPE
from hanoi_health_lake.parsers.fhir_refs import Resource
from hanoi_health_lake.parsers.landing_paths import (
    CHECKINS,
    LandingName,
    UnsafePathError,
    display_path,
    parse_landing_path,
    refuse_links,
)
from hanoi_health_lake.records import ParsedFile, ParsedRecord, RecordError

_LITERALS = ("true", "false", "null")
# Rejections where the sender needs to know what encoding their file is in.
_ENCODING_HINTED = frozenset({r.ENCODING, r.UNKNOWN_LAYOUT, r.MISSING_COLUMN, r.MALFORMED_JSON})
# Size caps, checked before a byte is read. Text files (CSV, JSON, NDJSON) become Python
# records that take ~35x the file's size at the peak of a day's parse (a 40 MB XML1 CSV: 1.5 GB),
# so they have their own, lower cap; a DICOM file is mostly pixels, and only its header is parsed.
MAX_FILE_MB_ENV = "HHL_MAX_FILE_MB"
DEFAULT_MAX_FILE_MB = 256
MAX_TEXT_FILE_MB_ENV = "HHL_MAX_TEXT_FILE_MB"
DEFAULT_MAX_TEXT_FILE_MB = 64  # ~2 GB of parsing; a busy hospital's day of XML2 is ~15 MB


def parse_file(
    landing_root: Path,
    relpath: str,
    *,
    registry_codes: frozenset[str] | None = None,
    signature_trust: xml_signature.SignatureTrust | None = None,
) -> ParsedFile:
    """Parse `landing_root/relpath`; never raises on bad input (see module docstring).

    With `registry_codes`, a record whose facility (or referral destination) is not in the
    registry also gets `conformance.facility_known` (`conformance.referral_target_known`).
    XML dossier signatures are checked against `signature_trust`, by default the certificates
    beside the registry (`<landing_root>/../registry/`, parsers/xml_signature.py).
    """
    try:
        refuse_links(Path(landing_root), relpath)
        name = parse_landing_path(relpath)
        # No component below the root is a link and the name has exactly three plain parts
        # (no '..'), so the path cannot lead out of the landing root: `safe_landing_path`'s
        # realpath check would add nothing here but cost (two realpaths for each of a city
        # day's 28,000 files).
        path = Path(landing_root) / relpath
    except UnsafePathError as exc:
        return _rejected(display_path(relpath), "unknown", 0, "", r.UNSAFE_PATH, str(exc))
    try:
        data = read_capped(path, relpath, name.format)
    except r.FileRejected as exc:
        return _rejected(relpath, name.format, exc.size, "", exc.rule_id, f"{relpath}: {exc}")
    except OSError as exc:
        return _rejected(relpath, name.format, 0, "", r.UNREADABLE, f"{relpath}: {exc.strerror}")
    parsed = ParsedFile(
        path=relpath, format=name.format, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )
    try:
        if not data.strip():
            raise r.FileRejected(r.EMPTY, "the file is empty" if not data else "only whitespace")
        _parse_into(parsed, data, name, Path(landing_root), signature_trust)
        _check_holds_records(parsed, name)
    except r.FileRejected as exc:
        named = "the bytes are " in exc.message  # the parser named the encoding already
        hint = encodings.hint(data) if exc.rule_id in _ENCODING_HINTED and not named else ""
        _fail(parsed, exc.rule_id, f"{relpath}: {exc.message}{hint}")
    except Exception as exc:  # the contract is to never raise on bad input
        _fail(parsed, r.UNREADABLE, f"{relpath}: cannot be parsed ({type(exc).__name__}: {exc})")
    if registry_codes is not None:
        _check_registry(parsed.records, registry_codes, parsed.format)
    return parsed


def _check_holds_records(parsed: ParsedFile, name: LandingName) -> None:
    """A file meant to carry its dataset's records that holds other things only (a Patient-only
    "encounters" Bundle, a bulk-export log named as NDJSON data) gets a file-level verdict, so
    the facility hears of it; what it held stays in bronze. A file with nothing at all (a header
    row, an empty Bundle) is a facility's way of saying "none today" and passes. An NDJSON file
    of another resource type of an export set (`….Patient.ndjson`) is meant to hold no records."""
    if parsed.records or not parsed.auxiliary or name.dataset not in COUNTED_TYPE:
        return  # (a QĐ 130 dossier judges its own contents: parsers/xml_qd130.py)
    counted = COUNTED_TYPE[name.dataset]
    if name.format == "fhir_ndjson" and name.part not in (None, counted):
        return
    found = Counter(a.resource_type or "entry without a resource" for a in parsed.auxiliary)
    listing = ", ".join(f"{n} {kind}" for kind, n in found.most_common())
    parsed.status, parsed.error_rule = "error", r.NO_RECORDS
    parsed.error_message = (
        f"{parsed.path}: no {name.dataset} record ({counted}) in the file; found {listing}"
    )


def _rejected(path: str, fmt: str, size: int, sha: str, rule: str, message: str) -> ParsedFile:
    return ParsedFile(
        path=path,
        format=fmt,
        size=size,
        sha256=sha,
        status="error",
        error_rule=rule,
        error_message=message,
    )


def _fail(parsed: ParsedFile, rule: str, message: str) -> None:
    parsed.status, parsed.error_rule, parsed.error_message = "error", rule, message
    parsed.records, parsed.auxiliary = [], []


def max_file_bytes(fmt: str = "dicom") -> tuple[int, str]:
    """(cap in bytes, the setting that set it) for a file of format `fmt` (a name's guess):
    HHL_MAX_FILE_MB (default 256) for every file, HHL_MAX_TEXT_FILE_MB (default 64) too for
    the text formats. Read when called."""
    cap = (megabytes(MAX_FILE_MB_ENV, DEFAULT_MAX_FILE_MB), MAX_FILE_MB_ENV)
    if fmt == "dicom":
        return cap
    text = (megabytes(MAX_TEXT_FILE_MB_ENV, DEFAULT_MAX_TEXT_FILE_MB), MAX_TEXT_FILE_MB_ENV)
    return min(cap, text)


def read_capped(path: Path, relpath: str, fmt: str = "dicom") -> bytes:
    """The file's bytes, never through a symlink (O_NOFOLLOW), and only when it is within the
    size cap: its size is checked on the open file before a byte is read, so an oversized
    delivery costs no memory (`file.too_large`, its size kept)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        size, (cap, setting) = os.fstat(fd).st_size, max_file_bytes(fmt)
        if size > cap:
            raise r.FileRejected(
                r.TOO_LARGE,
                f"{size / 2**20:.1f} MB is over the {cap / 2**20:.0f} MB per-file limit "
                f"({setting}); split the export into smaller files",
                size=size,
            )
        return handle.read()


def _parse_into(
    parsed: ParsedFile,
    data: bytes,
    name: LandingName,
    root: Path,
    trust: xml_signature.SignatureTrust | None = None,
) -> None:
    if name.format == "csv":
        content = csv_qd130.parse_csv(data, name)
        parsed.encoding, parsed.delimiter, parsed.table = (
            content.encoding,
            content.delimiter,
            content.table,
        )
        parsed.records = content.records
    elif name.format == "fhir_ndjson":
        if encodings.looks_utf16(data):  # else every line would be one malformed record
            raise r.FileRejected(r.ENCODING, "UTF-16 or NUL bytes; NDJSON must be UTF-8")
        parsed.encoding = "utf-8"
        result = fhir.parse_ndjson(data, name, lambda: _sibling_resources(root, name))
        parsed.table, parsed.records, parsed.auxiliary = (
            result.table,
            result.records,
            result.auxiliary,
        )
    elif name.format == "dicom":
        parsed.records = dicom.parse_part10(data, name).records
    elif name.format == "qd130_xml" and name.dataset == CHECKINS:
        parsed.encoding, parsed.table = "utf-8", qd130.CHECKIN_ROOT_TAG
        parsed.records = xml_qd130.parse_checkins(data, name).records
    elif name.format == "qd130_xml":
        dossier = xml_qd130.parse_dossier(data, name)
        parsed.encoding, parsed.table = "utf-8", xml_qd130.ENVELOPE_ROOT
        trust = trust or xml_signature.load_trust(root.parent / "registry")
        verdict = xml_signature.check_signature(dossier.root, dossier.facility_code, trust, data)
        if verdict is not None:
            policy = trust.policy(dossier.facility_code)
            if policy == "quarantine":
                raise r.FileRejected(verdict.rule_id, verdict.message)
            # Reported only: the verdict stays on the file, its records go on.
            parsed.error_rule = verdict.rule_id
            parsed.error_message = f"{name.relpath}: {verdict.message} (signature policy: report)"
        parsed.records, parsed.auxiliary = dossier.records, dossier.auxiliary
    else:
        _parse_json_file(parsed, data, name)


def _parse_json_file(parsed: ParsedFile, data: bytes, name: LandingName) -> None:
    """FHIR Bundle JSON and DICOM JSON share the extension: the content decides."""
    document = load_json(data)
    parsed.encoding = "utf-8"
    if dicom.looks_like_dicom_json(document) or (name.format == "dicom_json" and document == []):
        parsed.format = "dicom_json"
        parsed.records = dicom.parse_dicom_json(document, name).records
    else:
        parsed.format = "fhir_json"
        result = fhir.parse_json(document, name)
        parsed.table, parsed.records, parsed.auxiliary = (
            result.table,
            result.records,
            result.auxiliary,
        )


def load_json(data: bytes) -> Any:
    """Parse JSON, telling a file cut short (`file.truncated`) from one that is malformed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise r.FileRejected(r.TRUNCATED, "the file ends inside a UTF-8 character") from None
        raise r.FileRejected(
            r.ENCODING, f"JSON is not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        rest = exc.doc[exc.pos :].strip()
        cut_short = (
            not rest
            or exc.msg.startswith("Unterminated string")
            or any(lit.startswith(rest) for lit in _LITERALS)
        )
        if cut_short:
            raise r.FileRejected(
                r.TRUNCATED, f"the JSON ends before its structure closes ({exc.msg})"
            ) from None
        raise r.FileRejected(
            r.MALFORMED_JSON, f"the JSON does not parse: {exc.msg} at line {exc.lineno}"
        ) from None
    except RecursionError:
        raise r.FileRejected(r.MALFORMED_JSON, "the JSON nests too deeply") from None


def _sibling_resources(root: Path, name: LandingName) -> Iterator[Resource]:
    """Resources of the other NDJSON files of the same export (Patient, Condition, …)."""
    folder = root / name.facility_code / name.service_date.isoformat()
    prefix = f"{name.dataset}__{name.export_ts_text}."
    own = name.relpath.rsplit("/", 1)[-1]
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if (
            entry.name.startswith(prefix)
            and entry.name.endswith(".ndjson")
            and entry.name != own
            and entry.is_file(follow_symlinks=False)
        ):
            try:
                data = read_capped(Path(entry.path), entry.name, "fhir_ndjson")
            except (OSError, r.FileRejected):
                continue  # that file's own parse reports it
            yield from fhir.resources_of_ndjson(data)


# Where each format carries the referral destination (to_facility_code).
_TARGET_SOURCE = {"csv": "MA_NOI_DEN", "fhir_json": "ServiceRequest.performer"}


def _check_registry(records: list[ParsedRecord], registry: frozenset[str], fmt: str) -> None:
    for record in records:
        facility = record.fields.get("facility_code")
        if facility and facility not in registry:
            source = record.facility_source or "facility_code"
            record.errors.append(
                RecordError(
                    r.FACILITY_KNOWN,
                    "facility_code",
                    f"facility {facility!r} (from {source}) is not registered",
                )
            )
        target = record.fields.get("to_facility_code")
        if target and target not in registry:
            record.errors.append(
                RecordError(
                    r.REFERRAL_TARGET_KNOWN,
                    "to_facility_code",
                    f"referral destination {target!r} (from "
                    f"{_TARGET_SOURCE.get(fmt, 'ServiceRequest.performer')}) is not registered",
                )
            )
