"""Judge one file offline, exactly as the ingest would: `hhl check FILE` for vendors and engineers.

The file is parsed by the same `parse_file` and its records validated by the same contracts as
in a run, but nothing is written: no lake, no Dagster. Where the file sits outside a landing
folder, its landing name is made up from what is known (the options, else the dossier's own
MACSKCB, else the Hanoi temporary code 01000 and today).
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from hanoi_health_lake.conform.staging import staged_frame
from hanoi_health_lake.contracts.context import ValidationContext
from hanoi_health_lake.formats.qd130 import CHECKIN_ROOT_TAG
from hanoi_health_lake.parsers.dispatch import parse_file
from hanoi_health_lake.parsers.landing_paths import (
    CHECKIN_FILE,
    DOSSIER,
    UnsafePathError,
    parse_landing_path,
)
from hanoi_health_lake.parsers.xml_safety import XmlLimits, parse_untrusted
from hanoi_health_lake.parsers.xml_signature import load_trust
from hanoi_health_lake.records import DATASETS, ParsedFile

DEFAULT_FACILITY = "01000"  # Hanoi's temporary code (STANDARDS.md §2)
# Fields the registry rules look up.
_FACILITY_FIELDS = (
    "facility_code", "to_facility_code", "from_facility_code", "referred_to", "referred_from",
)  # fmt: skip


@dataclass
class RecordVerdict:
    dataset: str
    locator: str
    rule_ids: list[str]
    reason: str


@dataclass
class FileVerdict:
    path: str
    landing_name: str
    parsed: ParsedFile
    registry_checked: bool
    delivered: Counter = field(default_factory=Counter)  # dataset → records
    accepted: Counter = field(default_factory=Counter)
    rejected: list[RecordVerdict] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)  # (dataset, rule id) → records

    @property
    def ok(self) -> bool:
        return self.parsed.status == "ok" and not self.rejected


def landing_name_for(
    path: Path, facility: str | None, service_date: date | None, name: str | None
) -> str:
    """`<facility>/<day>/<file>` for `path`: its own folders when they form a landing path."""
    parts = path.resolve().parts
    if facility is None and service_date is None and name is None and len(parts) >= 3:
        own = "/".join(parts[-3:])
        try:
            parse_landing_path(own)
            return own
        except UnsafePathError:
            pass
    filename = name or path.name
    if name is None and path.suffix.lower() == ".xml":
        try:
            parse_landing_path(f"{DEFAULT_FACILITY}/2000-01-01/{filename}")
        except UnsafePathError:
            # A check-in table is named as one; anything else is judged as a dossier.
            prefix = CHECKIN_FILE if _xml_root(path) == CHECKIN_ROOT_TAG else DOSSIER
            filename = f"{prefix}__{date.today():%Y%m%d}T000000.xml"
    if facility is None:
        facility = _dossier_facility(path) if filename.endswith(".xml") else None
    day = (service_date or date.today()).isoformat()
    return f"{facility or DEFAULT_FACILITY}/{day}/{filename}"


def _parsed_xml(path: Path):
    try:
        return parse_untrusted(path.read_bytes(), XmlLimits.from_env(), "the envelope", "")
    except Exception:  # the real parse reports whatever is wrong
        return None


def _xml_root(path: Path) -> str | None:
    root = _parsed_xml(path)
    return root.tag if root is not None and isinstance(root.tag, str) else None


def _dossier_facility(path: Path) -> str | None:
    """The envelope's MACSKCB, or a check-in table's first MA_CSKCB."""
    root = _parsed_xml(path)
    if root is None:
        return None
    code = root.findtext("THONGTINDONVI/MACSKCB") or root.findtext(".//MA_CSKCB")
    return code.strip() if code and code.strip() else None


def check_file(
    path: Path,
    *,
    facility: str | None = None,
    service_date: date | None = None,
    name: str | None = None,
    registry_codes: frozenset[str] | None = None,
    registry_dir: Path | None = None,
) -> FileVerdict:
    """Parse and validate one file; `registry_codes` None leaves the registry rules unchecked.
    Dossier signatures are checked against the certificates under `registry_dir` (none: every
    signature is `signature.unknown_signer`, reported)."""
    relpath = landing_name_for(path, facility, service_date, name)
    with tempfile.TemporaryDirectory(prefix="hhl-check-") as tmp:
        try:
            parse_landing_path(relpath)  # only a safe name becomes a path
            target = Path(tmp) / relpath
            target.parent.mkdir(parents=True)
            shutil.copyfile(path, target)
        except UnsafePathError:
            pass  # parse_file says why, unread
        trust = load_trust(registry_dir or Path(tmp) / "no-registry")
        parsed = parse_file(
            Path(tmp), relpath, registry_codes=registry_codes, signature_trust=trust
        )
    verdict = FileVerdict(
        path=str(path), landing_name=relpath, parsed=parsed, registry_checked=bool(registry_codes)
    )
    if parsed.status != "ok":
        return verdict
    seen = {
        code
        for record in parsed.records
        for name in _FACILITY_FIELDS
        if (code := record.fields.get(name))
    }
    # Without a registry every code the file names counts as known: those rules are not judged.
    ctx = ValidationContext(registry_codes=registry_codes or frozenset(seen))
    from hanoi_health_lake.contracts.validate import validate  # GX: imported only when needed

    for dataset in DATASETS:
        pairs = [(parsed, record) for record in parsed.records if record.dataset == dataset]
        if not pairs:
            continue
        day = parse_landing_path(relpath).service_date
        frame = staged_frame(dataset, pairs, service_date=day)
        outcome = validate(dataset, frame, ctx)
        rejected = outcome.rejected(frame)
        verdict.delivered[dataset] = frame.height
        verdict.accepted[dataset] = frame.height - rejected.height
        for row in rejected.select("locator", "rule_ids", "reason").iter_rows(named=True):
            verdict.rejected.append(
                RecordVerdict(dataset, row["locator"], row["rule_ids"], row["reason"])
            )
        warned = outcome.warnings.explode().drop_nulls()
        for rule_id, n in pl.DataFrame({"r": warned}).group_by("r").len().iter_rows():
            verdict.warnings[(dataset, rule_id)] = n
    return verdict
