"""The QĐ 130 XML dossier (`hoso__<export_ts>.xml`) → canonical records of several datasets.

The file is what every Vietnamese hospital system already sends to the insurance gateway
(STANDARDS.md §1): `GIAMDINHHS` › `THONGTINDONVI/MACSKCB` · `THONGTINHOSO` › `NGAYLAP`,
`SOLUONGHOSO`, `DANHSACHHOSO` › one `HOSO` per episode › one `FILEHOSO` per table (`LOAIHOSO`,
base64 `NOIDUNGFILE`) · `CHUKYDONVI` (the facility's XML signature, parsers/xml_signature.py).

Mapped tables become records in the same staged shapes as the CSV parser's (the rows go through
csv_qd130's converters, so formats and codes are read identically): XML1 → encounters, XML2 →
prescriptions, XML13 → referrals, XML14 → appointments, XML3 → services, XML4 → lab_results.
Tables XML5–XML12 and XML15 are kept whole in bronze as auxiliary records (counted there as
"received, not yet used"), never dropped.

A dossier is judged whole, as the insurance gateway judges it: a broken envelope or inner table,
bad base64, an unknown LOAIHOSO, an episode count that differs from SOLUONGHOSO, an episode whose
tables disagree on MA_LK, or an envelope MACSKCB that differs from the landing folder rejects the
file with its own rule (`xml.*`) and a reason naming the episode and table; other files go on.
The check-in table (`checkin__<export_ts>.xml`, root CHI_TIEU_TRANG_THAI_KCB, one TRANG_THAI_KCB
per check-in) is a file of its own, sent when care starts: `parse_checkins` reads it into
`checkins` records the same way (a wrong root is `xml.malformed_envelope`, a wrong MA_CSKCB a
record verdict as in the CSV).
Parsing itself is hardened against entity bombs, external entities and oversized input
(parsers/xml_safety.py).
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import orjson
from lxml import etree

from hanoi_health_lake.formats import qd130
from hanoi_health_lake.parsers import csv_qd130, values
from hanoi_health_lake.parsers import rejection as r
from hanoi_health_lake.parsers.landing_paths import LandingName
from hanoi_health_lake.parsers.xml_safety import (
    XmlLimits,
    check_size,
    parse_small,
    parse_untrusted,
)
from hanoi_health_lake.records import RECORD_ID_FIELD, ParsedRecord

MALFORMED_ENVELOPE = "xml.malformed_envelope"
MALFORMED_TABLE = "xml.malformed_table"
BAD_BASE64 = "xml.bad_base64"
UNKNOWN_TABLE = "xml.unknown_loaihoso"
COUNT_MISMATCH = "xml.count_mismatch"
EPISODE_MISMATCH = "xml.episode_mismatch"
FACILITY_MISMATCH = "xml.facility_mismatch"

ENVELOPE_ROOT = "GIAMDINHHS"
KNOWN_TABLES = tuple(f"XML{n}" for n in range(1, 16))


@dataclass
class DossierContent:
    facility_code: str
    created: str | None  # NGAYLAP as written (yyyyMMdd)
    episodes: int
    records: list[ParsedRecord] = field(default_factory=list)
    auxiliary: list[ParsedRecord] = field(default_factory=list)
    root: etree._Element | None = None  # the envelope, for the signature check


def _local(tag: object) -> str:
    """`{ns}NAME` or `NAME` → `NAME`; comments and processing instructions → ``."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[1] if tag[:1] == "{" else tag


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    for child in parent:
        if _local(child.tag) == name:
            return child
    return None


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in parent if _local(child.tag) == name]


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _required(parent: etree._Element, path: str) -> etree._Element:
    node = parent
    for name in path.split("/"):
        found = _child(node, name)
        if found is None:
            raise r.FileRejected(MALFORMED_ENVELOPE, f"the envelope lacks {path}")
        node = found
    return node


def parse_dossier(
    data: bytes, name: LandingName, limits: XmlLimits | None = None
) -> DossierContent:
    limits = limits or XmlLimits.from_env()
    check_size(len(data), limits.max_file_bytes, "the file")
    root = parse_untrusted(data, limits, "the envelope", MALFORMED_ENVELOPE)
    if _local(root.tag) != ENVELOPE_ROOT:
        raise r.FileRejected(
            MALFORMED_ENVELOPE, f"the root element is {_local(root.tag)!r}, not {ENVELOPE_ROOT}"
        )
    facility = _text(_required(root, "THONGTINDONVI/MACSKCB"))
    if facility != name.facility_code:
        raise r.FileRejected(
            FACILITY_MISMATCH,
            f"the envelope's MACSKCB {facility!r} differs from the landing folder "
            f"{name.facility_code!r}",
        )
    info = _required(root, "THONGTINHOSO")
    declared_text = _text(_required(info, "SOLUONGHOSO"))
    if not declared_text.isdigit():
        raise r.FileRejected(
            MALFORMED_ENVELOPE, f"SOLUONGHOSO {declared_text!r} is not a whole number"
        )
    episodes = _children(_required(info, "DANHSACHHOSO"), "HOSO")
    if len(episodes) != int(declared_text):
        raise r.FileRejected(
            COUNT_MISMATCH,
            f"SOLUONGHOSO says {int(declared_text)} episode(s) but the file holds {len(episodes)}",
        )
    content = DossierContent(
        facility_code=facility,
        created=_text(_child(info, "NGAYLAP")) or None,
        episodes=len(episodes),
        root=root,
    )
    for number, episode in enumerate(episodes, start=1):
        _read_episode(content, number, episode, limits)
    return content


def _read_episode(
    content: DossierContent, number: int, episode: etree._Element, limits: XmlLimits
) -> None:
    where = f"episode {number}"
    ma_lk: tuple[str, str] | None = None  # (value, table it came from)
    tables = _children(episode, "FILEHOSO")
    if not tables:
        raise r.FileRejected(MALFORMED_ENVELOPE, f"{where} has no FILEHOSO")
    for file_element in tables:
        table = _text(_child(file_element, "LOAIHOSO")).upper()
        if table not in KNOWN_TABLES:
            raise r.FileRejected(
                UNKNOWN_TABLE, f"{where}: LOAIHOSO {table!r} is not one of XML1…XML15"
            )
        what = f"{table} of {where}"
        inner = _decode(_child(file_element, "NOIDUNGFILE"), what, limits)
        table_root = parse_small(inner, limits, what, MALFORMED_TABLE)
        plain = _plain_table(inner)
        for value in _episode_ids(table_root):
            if ma_lk is None:
                ma_lk = (value, table)
            elif value != ma_lk[0]:
                raise r.FileRejected(
                    EPISODE_MISMATCH,
                    f"{where}: {table} has MA_LK {value!r} where {ma_lk[1]} has {ma_lk[0]!r}",
                )
        if table in qd130.DOSSIER_TABLE_DATASET:
            _map_table(content, table, table_root, where, plain)
        else:
            content.auxiliary.append(
                ParsedRecord(
                    dataset="hoso",
                    record_no=len(content.records) + len(content.auxiliary) + 1,
                    locator=f"{where} {table}",
                    record_id=ma_lk[0] if ma_lk else None,
                    fields={},
                    payload=values.nfc(inner.decode("utf-8", errors="replace")),
                    resource_type=table,
                )
            )


def _decode(element: etree._Element | None, what: str, limits: XmlLimits) -> bytes:
    if element is None or not (element.text or "").strip():
        raise r.FileRejected(BAD_BASE64, f"{what}: NOIDUNGFILE is missing or empty")
    raw = element.text.encode("ascii", errors="replace").translate(None, b" \t\r\n")
    # Checked before decoding, so an oversized table is never held decoded.
    check_size(len(raw) // 4 * 3, limits.max_table_bytes, f"{what} (decoded)")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise r.FileRejected(
            BAD_BASE64, f"{what}: NOIDUNGFILE is not valid base64 ({exc})"
        ) from None


def _plain_table(inner: bytes) -> bool:
    """True when the table's cells can be read as they are: no namespace (so every tag is
    bare), and its text already NFC with no character reference (which could hide a decomposed
    letter). That is every table a hospital system writes; for the others each cell is stripped
    of its namespace and normalised one by one."""
    if b"xmlns" in inner or b"xml:" in inner or b"&#" in inner:
        return False
    try:
        return unicodedata.is_normalized("NFC", inner.decode("utf-8"))
    except UnicodeDecodeError:  # another declared encoding: take the careful path
        return False


def _cells(row: etree._Element, plain: bool) -> tuple[tuple[str, ...], list[str]]:
    """Tags and texts of a row's child elements, comments and processing instructions skipped."""
    children = list(row.iterchildren(etree.Element))
    if plain:
        return tuple(c.tag for c in children), [c.text or "" for c in children]
    return tuple(_local(c.tag) for c in children), [values.nfc(c.text or "") for c in children]


def _payload(tags: tuple[str, ...], texts: list[str]) -> str:
    """The row as delivered, as compact JSON (orjson: the same text as the standard encoder's
    with ensure_ascii off, several times faster on the city's millions of cells)."""
    return orjson.dumps(dict(zip(tags, texts, strict=True))).decode()


def _episode_ids(table_root: etree._Element) -> set[str]:
    return {_text(e) for e in table_root.iter("MA_LK") if _text(e)}


def _rows(table: str, table_root: etree._Element, where: str) -> list[etree._Element]:
    expected = qd130.DOSSIER_ROOT_TAG[table]
    if _local(table_root.tag) != expected:
        raise r.FileRejected(
            MALFORMED_TABLE,
            f"{table} of {where} has root {_local(table_root.tag)!r}, expected {expected}",
        )
    row_tag = qd130.DOSSIER_ROW_TAG.get(table)
    return list(table_root.iter(row_tag)) if row_tag else [table_root]


@lru_cache(maxsize=256)
def _plan(table: str, tags: tuple[str, ...]) -> csv_qd130.Plan:
    columns = [csv_qd130.COLUMN_ALIASES.get(tag, tag) for tag in tags]
    return csv_qd130.compile_plan(table, columns)


def _map_table(
    content: DossierContent, table: str, table_root: etree._Element, where: str, plain: bool
) -> None:
    dataset = qd130.DOSSIER_TABLE_DATASET[table]
    id_field = RECORD_ID_FIELD[dataset]
    for line, row in enumerate(_rows(table, table_root, where), start=1):
        tags, texts = _cells(row, plain)
        fields, errors = csv_qd130.convert_row(_plan(table, tags), texts)
        if table in csv_qd130.LINE_TABLES:  # XML2–4 carry no MA_CSKCB: the envelope's
            fields["facility_code"] = content.facility_code
        locator = f"{where} {table}" + (f" row {line}" if table in qd130.DOSSIER_ROW_TAG else "")
        content.records.append(
            ParsedRecord(
                dataset=dataset,
                record_no=len(content.records) + len(content.auxiliary) + 1,
                locator=locator,
                record_id=fields[id_field],
                fields=fields,
                payload=_payload(tags, texts),
                errors=errors,
                resource_type=table,
            )
        )


@dataclass
class CheckinContent:
    records: list[ParsedRecord] = field(default_factory=list)


def parse_checkins(
    data: bytes, name: LandingName, limits: XmlLimits | None = None
) -> CheckinContent:
    """A check-in file → one `checkins` record per TRANG_THAI_KCB, as delivered."""
    limits = limits or XmlLimits.from_env()
    check_size(len(data), limits.max_file_bytes, "the file")
    root = parse_untrusted(data, limits, "the check-in table", MALFORMED_ENVELOPE)
    if _local(root.tag) != qd130.CHECKIN_ROOT_TAG:
        raise r.FileRejected(
            MALFORMED_ENVELOPE,
            f"the root element is {_local(root.tag)!r}, not {qd130.CHECKIN_ROOT_TAG}",
        )
    rows = list(root.iter(f"{{*}}{qd130.CHECKIN_ROW_TAG}"))  # in any namespace, or none
    # A table with no row is the sender's "no check-in since the last file", as an empty CSV is.
    content = CheckinContent()
    plain = _plain_table(data)
    for number, row in enumerate(rows, start=1):
        tags, texts = _cells(row, plain)
        fields, errors = csv_qd130.convert_row(_plan(qd130.CHECKIN_TABLE, tags), texts)
        content.records.append(
            ParsedRecord(
                dataset="checkins",
                record_no=number,
                locator=f"check-in {number}",
                record_id=fields["encounter_id"],
                fields=fields,
                payload=_payload(tags, texts),
                errors=errors,
                resource_type=qd130.CHECKIN_ROW_TAG,
                facility_source="MA_CSKCB",
            )
        )
    return content
