"""The simulated tiny city the simulator tests read, and readers that share no code with it.

The readers use only the standard library, pydicom and the shared format definitions (column
names, identifier systems), so a test that passes shows the files are readable by any careful
consumer, not merely by the code that wrote them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from hanoi_health_lake.formats import fhir_conventions as fc
from hanoi_health_lake.formats.qd130 import TABLE_COLUMNS
from hanoi_health_lake.simulator import simulate
from tests.shared_cache import built_once, shared_root

SIM_START = date(2026, 3, 2)  # a Monday
SIM_DAYS = 4
SIM_SEED = 3  # at this seed and rate every one of the 19 fault kinds occurs
SIM_FAULT_RATE = 0.06

NAME_RE = re.compile(
    r"^(?P<dataset>encounters|prescriptions|referrals|appointments|imaging_studies)"
    r"__(?P<ts>\d{8}T\d{6})(?:\.(?P<part>[A-Za-z0-9]+))?\.(?P<ext>json|ndjson|csv|dcm)$"
)
FHIR_RECORD_TYPES = {
    "encounters": "Encounter",
    "prescriptions": "MedicationRequest",
    "referrals": "ServiceRequest",
    "appointments": "Appointment",
}
RECORD_ID_SYSTEMS = {
    "Encounter": fc.SID_EPISODE,
    "MedicationRequest": fc.SID_PRESCRIPTION_LINE,
    "ServiceRequest": fc.SID_REFERRAL,
    "Appointment": fc.SID_APPOINTMENT,
}
CSV_ID_COLUMNS = {"XML1": ("MA_LK",), "XML2": ("MA_LK", "STT"), "XML13": ("SO_CHUYENTUYEN",),
                  "XML14": ("SO_GIAYHEN_KL",)}  # fmt: skip


@pytest.fixture(scope="session")
def simulated_tiny(tmp_path_factory) -> Path:
    """HHL home holding a 4-day tiny simulation with a high fault rate (so every kind occurs);
    built once for all xdist workers, read-only."""
    args = (SIM_START, SIM_DAYS, "tiny", SIM_SEED)
    return built_once(
        shared_root(tmp_path_factory),
        # The CSV, FHIR and DICOM profiles in depth: every hospital keeps them here (--no-xml);
        # the XML senders' files have their own tests (test_simulator_xml_*.py).
        lambda out: simulate(*args, out, SIM_FAULT_RATE, xml_share=0.0),
        "sim",
        *args,
        SIM_FAULT_RATE,
        "no-xml",
    )


# --- ground truth and landing ------------------------------------------------------------------


def read_truth(home: Path, name: str) -> list[dict[str, str]]:
    with (home / "ground_truth" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def registry_codes(home: Path) -> set[str]:
    with (home / "registry" / "facilities.csv").open(encoding="utf-8", newline="") as fh:
        return {row["facility_code"] for row in csv.DictReader(fh)}


def landing_files(home: Path) -> list[str]:
    """Every landing file as a path relative to the landing root, sorted."""
    root = home / "landing"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def file_faults(home: Path) -> dict[str, str]:
    return {r["file"]: r["kind"] for r in read_truth(home, "faults.csv") if r["level"] == "file"}


def record_faults(home: Path) -> dict[tuple[str, int], str]:
    return {
        (r["file"], int(r["record_no"])): r["kind"]
        for r in read_truth(home, "faults.csv")
        if r["level"] == "record"
    }


# --- CSV ---------------------------------------------------------------------------------------


@dataclass
class CsvFile:
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[dict[str, str]]

    @property
    def table(self) -> str | None:
        return next((t for t, cols in TABLE_COLUMNS.items() if list(cols) == self.header), None)


def decode_csv(data: bytes) -> tuple[str, str]:
    """(encoding, NFC text): a BOM means UTF-8 with BOM, else UTF-8 if it decodes, else
    Windows-1258 (whose Vietnamese comes decomposed)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data.decode("utf-8-sig")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1258", unicodedata.normalize("NFC", data.decode("cp1258"))


def read_csv(data: bytes) -> CsvFile:
    encoding, text = decode_csv(data)
    first = text.split("\r\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    rows = [dict(zip(header, r, strict=True)) for r in reader]
    return CsvFile(encoding, delimiter, header, rows)


def csv_record_id(table: str, row: dict[str, str]) -> str:
    return "-".join(row[c] for c in CSV_ID_COLUMNS[table])


# --- FHIR --------------------------------------------------------------------------------------


@dataclass
class FhirRecord:
    """A counted resource with what travels with it, resolved through references."""

    file: str
    record_no: int
    resource: dict | None  # None when the NDJSON line does not parse
    patient: dict | None = None
    conditions: list[dict] = field(default_factory=list)

    @property
    def record_id(self) -> str | None:
        if self.resource is None:
            return None
        system = RECORD_ID_SYSTEMS[self.resource["resourceType"]]
        return next(i["value"] for i in self.resource["identifier"] if i["system"] == system)


def _index(resources: list[dict], bundle_urls: dict[str, dict]) -> dict[str, dict]:
    out = dict(bundle_urls)
    for r in resources:
        out[f"{r['resourceType']}/{r['id']}"] = r
    return out


@cache
def _ndjson_lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8").splitlines())


def fhir_records(landing: Path, rel: str, skip_files: set[str]) -> list[FhirRecord]:
    """The counted records of one FHIR file (a Bundle, or the counted NDJSON file)."""
    path = landing / rel
    m = NAME_RE.match(path.name)
    assert m, rel
    rtype = FHIR_RECORD_TYPES[m["dataset"]]
    if m["ext"] == "json":
        bundle = json.loads(path.read_bytes())
        entries = bundle.get("entry", [])
        refs = _index([], {e["fullUrl"]: e["resource"] for e in entries})
        items = [(k, e["resource"]) for k, e in enumerate(entries, 1)
                 if e["resource"]["resourceType"] == rtype]  # fmt: skip
    else:
        assert m["part"] == rtype, rel
        siblings = []
        for part in ("Patient", "Condition"):
            aux = path.with_name(f"{m['dataset']}__{m['ts']}.{part}.ndjson")
            if aux.exists() and str(aux.relative_to(landing)) not in skip_files:
                siblings += [json.loads(line) for line in _ndjson_lines(aux)]
        refs = _index(siblings, {})
        items = []
        for k, line in enumerate(_ndjson_lines(path), 1):
            try:
                items.append((k, json.loads(line)))
            except json.JSONDecodeError:
                items.append((k, None))
    out = []
    for k, res in items:
        rec = FhirRecord(rel, k, res)
        if res is not None and "subject" in res:
            rec.patient = refs.get(res["subject"].get("reference", ""))
        if res is not None and rtype == "Encounter":
            rec.patient = refs.get(res["subject"]["reference"])
            rec.conditions = [refs[d["condition"]["reference"]] for d in res.get("diagnosis", [])]
        if res is not None and rtype == "Appointment":
            actor = res["participant"][0]["actor"]
            rec.patient = refs.get(actor.get("reference", ""))
        out.append(rec)
    return out


def identifier(resource: dict, system: str) -> str | None:
    return next((i["value"] for i in resource.get("identifier", []) if i["system"] == system),
                None)  # fmt: skip


# --- JSON and DICOM structure -------------------------------------------------------------------


def json_ends_early(data: bytes) -> bool:
    """True when brackets are still open (or a string unterminated) at the end of the text:
    the mark of a file cut short, as opposed to a complete but malformed one."""
    depth, in_string, escaped = 0, False, False
    for ch in data.decode("utf-8", errors="replace"):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return in_string or depth > 0


_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT",
             b"UV"}  # fmt: skip


def dicom_walk_complete(data: bytes) -> bool:
    """Walk an explicit-VR little-endian Part 10 file element by element (descending into
    sequences); True when the last element ends exactly at the end of the file."""
    if len(data) < 132 or data[128:132] != b"DICM":
        return False
    pos = 132
    while pos < len(data):
        if pos + 8 > len(data):
            return False
        if data[pos : pos + 2] == b"\xfe\xff":  # item or delimiter: tag + length, no VR
            pos += 8  # walk into the item
            continue
        vr = data[pos + 4 : pos + 6]
        if vr in _LONG_VRS:
            if pos + 12 > len(data):
                return False
            length = int.from_bytes(data[pos + 8 : pos + 12], "little")
            pos += 12
        else:
            length = int.from_bytes(data[pos + 6 : pos + 8], "little")
            pos += 8
        if vr == b"SQ":
            continue  # walk into the sequence's items
        if pos + length > len(data):
            return False
        pos += length
    return pos == len(data)


def export_stamp(rel: str) -> str:
    """The export_ts of a landing file, even one whose name breaks the grammar."""
    m = re.search(r"__(\d{8}T\d{6})", rel)
    assert m, rel
    return m[1]


# --- grouping ----------------------------------------------------------------------------------


def groups(home: Path) -> dict[tuple[str, str, str], list[str]]:
    """(facility, dataset, service_date) → landing files, for files whose name parses."""
    out: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for rel in landing_files(home):
        facility, day, name = rel.split("/")
        m = NAME_RE.match(name)
        dataset = m["dataset"] if m else name.split("__")[0].lstrip("$").split("..")[0]
        out[(facility, dataset, day)].append(rel)
    return out
