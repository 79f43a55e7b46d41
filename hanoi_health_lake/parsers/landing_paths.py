"""Landing file names are untrusted input: validate them before they become paths or partitions.

Grammar (docs/landing-formats.md §1), relative to the landing root:
`<facility_code>/<service_date>/<dataset>__<export_ts>[.<part>].<ext>`.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from hanoi_health_lake.parsers.values import LOCAL_ZONE
from hanoi_health_lake.records import DATASETS

_SAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_FACILITY = re.compile(r"^01[0-9A-Z]{3}$")
_SERVICE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXPORT_TS = re.compile(r"^\d{8}T\d{6}$")
_PART = re.compile(r"^[A-Za-z0-9]+$")
EXTENSIONS = ("json", "ndjson", "csv", "dcm", "xml")
# A QĐ 130 XML dossier (`hoso__<export_ts>.xml`) holds several datasets: its records each name
# their own dataset (parsers/xml_qd130.py).
DOSSIER = "hoso"
# The QĐ 130 check-in table (`checkin__<export_ts>.xml`), sent on its own when care starts; its
# records are the `checkins` dataset (parsers/xml_qd130.py parse_checkins).
CHECKIN_FILE = "checkin"
CHECKINS = "checkins"
XML_FILES = {DOSSIER: DOSSIER, CHECKIN_FILE: CHECKINS}  # name prefix → dataset


class UnsafePathError(ValueError):
    """A landing path that breaks the grammar; the message names the file and the problem."""


@dataclass(frozen=True)
class LandingName:
    relpath: str
    facility_code: str
    service_date: date
    dataset: str
    export_ts: datetime
    export_ts_text: str  # as in the name, to find sibling files of one export
    part: str | None
    ext: str
    format: str  # a guess from the name; JSON content may turn out to be the other JSON format


def display_path(relpath: str) -> str:
    """A landing path as text that can be stored and printed: bytes of a name that are not
    UTF-8 (os.scandir hands them over as lone surrogates) become backslash escapes (`\\xed`)."""
    try:
        relpath.encode("utf-8")
        return relpath
    except UnicodeEncodeError:
        return relpath.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def quoted_path(relpath: str) -> str:
    """The path quoted for a message; escapes of non-UTF-8 bytes are shown once, not doubled."""
    shown = display_path(relpath)
    return repr(relpath) if shown == relpath else f"'{shown}'"


def _reject(relpath: str, problem: str) -> UnsafePathError:
    return UnsafePathError(f"{quoted_path(relpath)}: {problem}")


def _format_guess(ext: str, part: str | None) -> str:
    if ext == "json":
        return "dicom_json" if part == "dicom" else "fhir_json"
    return {"ndjson": "fhir_ndjson", "csv": "csv", "dcm": "dicom", "xml": "qd130_xml"}[ext]


def _check_components(relpath: str) -> list[str]:
    if not relpath:
        raise _reject(relpath, "empty path")
    if relpath.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", relpath):
        raise _reject(relpath, "absolute path")
    if display_path(relpath) != relpath:
        raise _reject(relpath, "the name is not valid UTF-8 (bytes shown as \\x escapes)")
    parts = relpath.split("/")
    for part in parts:
        if part in ("..", "."):
            raise _reject(relpath, f"path component {part!r} is not allowed")
        if not part:
            raise _reject(relpath, "empty path component")
        if part.startswith("."):
            raise _reject(relpath, f"component {part!r} starts with a dot")
        bad = _SAFE_CHARS.search(part)
        if bad:
            raise _reject(relpath, f"character {bad.group()!r} outside [A-Za-z0-9._-]")
    if len(parts) != 3:
        raise _reject(
            relpath, f"expected <facility>/<service_date>/<file>, got {len(parts)} component(s)"
        )
    return parts


def parse_landing_path(relpath: str) -> LandingName:
    """Validate a path relative to the landing root; raise UnsafePathError saying what is wrong."""
    facility, day, filename = _check_components(relpath)
    if not _FACILITY.match(facility):
        raise _reject(relpath, f"facility code {facility!r} does not match ^01[0-9A-Z]{{3}}$")
    if not _SERVICE_DATE.match(day):
        raise _reject(relpath, f"service date {day!r} is not YYYY-MM-DD")
    try:
        service_date = date.fromisoformat(day)
    except ValueError:
        raise _reject(relpath, f"service date {day!r} is not a valid date") from None
    dataset, sep, rest = filename.partition("__")
    if not sep:
        raise _reject(relpath, "file name lacks '__' between dataset and export time")
    if dataset not in XML_FILES and (dataset not in DATASETS or dataset == CHECKINS):
        expected = (*(d for d in DATASETS if d != CHECKINS), *XML_FILES)
        raise _reject(relpath, f"unknown dataset {dataset!r} (expected one of {expected})")
    pieces = rest.split(".")
    if len(pieces) not in (2, 3):
        raise _reject(relpath, "file name is not <dataset>__<export_ts>[.<part>].<ext>")
    ts_text, ext, part = pieces[0], pieces[-1], (pieces[1] if len(pieces) == 3 else None)
    if not _EXPORT_TS.match(ts_text):
        raise _reject(relpath, f"export time {ts_text!r} is not YYYYMMDDTHHMMSS")
    try:
        export_ts = datetime(
            *(int(ts_text[a:b]) for a, b in ((0, 4), (4, 6), (6, 8), (9, 11), (11, 13), (13, 15)))
        )
    except ValueError:
        raise _reject(relpath, f"export time {ts_text!r} is not a valid time") from None
    if part is not None and not _PART.match(part):
        raise _reject(relpath, f"part {part!r} is not [A-Za-z0-9]+")
    if ext not in EXTENSIONS:
        raise _reject(relpath, f"unknown extension {ext!r} (expected one of {EXTENSIONS})")
    if (dataset in XML_FILES) != (ext == "xml"):
        raise _reject(
            relpath,
            f"unknown extension {ext!r} for {dataset} (hoso__<export_ts>.xml is the XML dossier,"
            " checkin__<export_ts>.xml the check-in table)",
        )
    dataset = XML_FILES.get(dataset, dataset)
    return LandingName(
        relpath=relpath,
        facility_code=facility,
        service_date=service_date,
        dataset=dataset,
        export_ts=export_ts,
        export_ts_text=ts_text,
        part=part,
        ext=ext,
        format=_format_guess(ext, part),
    )


@functools.lru_cache(maxsize=1 << 16)  # an arrival batch asks for each of its slices' files
def named_dataset(relpath: str) -> str | None:
    """The dataset a landing path's name says, or None for a name `parse_landing_path` refuses."""
    try:
        return parse_landing_path(relpath).dataset
    except UnsafePathError:
        return None


def arrival_day(path: str | os.PathLike[str]) -> date:
    """The day an entry arrived: its own modification time (links not followed), in Hanoi."""
    return datetime.fromtimestamp(os.lstat(path).st_mtime, LOCAL_ZONE).date()


def discover(landing_root: Path, service_date: date) -> list[str]:
    """Every entry delivered for `service_date`, as sorted relative paths.

    That is every file under `<landing_root>/*/<service_date>/`, and what the folders cannot
    place, listed on the day it arrived (`arrival_day`) so that it is rejected with a reason
    rather than silently skipped: a facility or day folder that is a symlink (listed itself,
    never entered; a linked folder named for a date is listed on that date), every file under
    a day folder whose name is not a date, a file lying in a facility folder or at the root.

    Symlinks are listed but never followed (`parse_file` rejects them); names are not
    validated here so that unsafe ones can be rejected with a reason.
    """
    root = Path(landing_root)
    found: list[str] = []
    try:
        facilities = list(os.scandir(root))
    except FileNotFoundError:
        return []
    for facility in facilities:
        if not facility.is_dir(follow_symlinks=False):
            if arrival_day(facility.path) == service_date:
                found.append(facility.name)  # a link in place of a folder, or a stray file
            continue
        found.extend(_facility_entries(root, facility.path, facility.name, service_date))
    return sorted(found)


def discover_facility(landing_root: Path, service_date: date, facility: str) -> list[str]:
    """What `discover` lists for `service_date` inside one facility's folder: the arrival-batch
    ingest reads one (service day, facility) slice without listing every facility's folder."""
    root = Path(landing_root)
    folder = root / facility
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(_facility_entries(root, str(folder), facility, service_date))


def _facility_entries(root: Path, folder: str, facility: str, service_date: date) -> list[str]:
    day = service_date.isoformat()
    found: list[str] = []
    for entry in os.scandir(folder):
        relpath = f"{facility}/{entry.name}"
        if entry.name == day:
            if entry.is_dir(follow_symlinks=False):
                found.extend(_walk(entry.path, relpath))
            else:
                found.append(relpath)  # a link (or a file) where the day folder belongs
        elif _is_day_name(entry.name):
            continue  # another day's folder
        elif entry.is_dir(follow_symlinks=False):
            found.extend(
                p for p in _walk(entry.path, relpath) if arrival_day(root / p) == service_date
            )
        elif arrival_day(entry.path) == service_date:
            found.append(relpath)
    return found


def _is_day_name(name: str) -> bool:
    if not _SERVICE_DATE.match(name):
        return False
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def _walk(directory: str, relative: str) -> list[str]:
    """Files and links under `directory` (`relative` to the landing root), as relative paths;
    built as strings: at city scale this runs for some 28,000 files a day."""
    out: list[str] = []
    for entry in os.scandir(directory):
        if entry.is_dir(follow_symlinks=False):
            out.extend(_walk(entry.path, f"{relative}/{entry.name}"))
        elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
            out.append(f"{relative}/{entry.name}")
    return out


_LINK_PLACES = ("the facility folder", "the day folder", "the file")


def refuse_links(root: Path, relpath: str) -> None:
    """Reject a path that passes through a symlink anywhere below the root: a link is never
    followed, even one that stays inside the landing root (it would deliver another facility's
    file under this facility's name). Paths the name check rejects anyway are left to it."""
    parts = relpath.split("/")
    if relpath.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return
    for i in range(len(parts)):
        if os.path.islink(root.joinpath(*parts[: i + 1])):
            if i == len(parts) - 1 and len(parts) >= 3:
                place = "the file"
            elif i < 2:
                place = _LINK_PLACES[i]
            else:
                place = f"folder {'/'.join(parts[: i + 1])!r}"
            raise UnsafePathError(
                f"{quoted_path(relpath)}: {place} is a symlink; links are never followed"
            )


def safe_landing_path(root: Path, relpath: str) -> Path:
    """`root / relpath`, refusing a path that a symlink leads out of the landing root (the
    parsers open files only through it; so does the ingest when it records a crashed file)."""
    path = root / relpath
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
        raise UnsafePathError(f"{relpath!r}: a symlink leads out of the landing root")
    return path
