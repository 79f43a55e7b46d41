"""QĐ 130 tables delivered as CSV (XML1, XML2, XML13, XML14) → canonical records.

Speed matters (a city day is ~15k files, ~400k rows): the C `csv` reader splits rows, each
table's columns are compiled once into a list of converters, and value parsers are memoised.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from hanoi_health_lake.formats import qd130
from hanoi_health_lake.parsers import encodings, mojibake, values
from hanoi_health_lake.parsers import rejection as r
from hanoi_health_lake.parsers.landing_paths import LandingName
from hanoi_health_lake.records import (
    DATASET_FIELDS,
    LANDING_FOLDER,
    PERSON_FIELDS,
    RECORD_ID_FIELD,
    ParsedRecord,
    RecordError,
)
from hanoi_health_lake.reference.icd10 import normalise

# Older exports name the referral number GIAY_CHUYEN_TUYEN (STANDARDS.md §1).
COLUMN_ALIASES = {"GIAY_CHUYEN_TUYEN": "SO_CHUYENTUYEN"}
_KNOWN_COLUMNS = frozenset(c for cols in qd130.TABLE_COLUMNS.values() for c in cols)
# Columns that only one table has: they identify the table.
_OWN_COLUMNS = {
    table: frozenset(cols) - {c for t, o in qd130.TABLE_COLUMNS.items() if t != table for c in o}
    for table, cols in qd130.TABLE_COLUMNS.items()
}


@dataclass
class CsvContent:
    encoding: str
    delimiter: str
    table: str
    records: list[ParsedRecord]


def decode(data: bytes) -> tuple[Iterator[str], str]:
    """Bytes → (NFC lines, encoding name); UTF-16 or NUL bytes are not an accepted encoding.

    The lines are decoded as they are read: the file is never held as one text (a str of a
    Vietnamese file takes 2 bytes a character, and io.StringIO copies it at 4), which was a
    third of the memory a large CSV took."""
    if encodings.looks_utf16(data) or b"\x00" in data:
        raise r.FileRejected(r.ENCODING, "UTF-16 or NUL bytes; expected UTF-8 or Windows-1258")
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1258"
    try:
        data.decode(encoding)  # every byte must decode before a row is read
    except UnicodeDecodeError as exc:
        raise r.FileRejected(
            r.ENCODING, f"bytes are neither UTF-8 nor Windows-1258 ({exc.reason} at {exc.start})"
        ) from None
    if encoding == "cp1258" and (guess := encodings.foreign_multibyte(data)):
        # Windows-1258 decodes almost any bytes: these would be accepted as nonsense.
        raise r.FileRejected(r.ENCODING, f"the bytes are {guess}, not UTF-8 or Windows-1258")
    # BytesIO shares `data`'s buffer; a line break never splits a character, so NFC per line is
    # NFC of the whole.
    lines = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    return map(values.nfc, lines), encoding


def sniff_delimiter(header_line: str) -> str:
    # QĐ 130 column names hold neither character, so the header line decides.
    return ";" if header_line.count(";") > header_line.count(",") else ","


def identify_table(columns: list[str], dataset: str) -> str:
    """The QĐ 130 table a header belongs to, checked against the dataset the file is named for.

    Tables share many columns (MA_LK, HO_TEN, NGAY_VAO…); what tells them apart is the columns
    only one table has, so a header with any of those is that table even when it carries only
    a few columns, or lacks a required one (which is then `file.missing_column`).
    """
    known = {c for c in columns if c in _KNOWN_COLUMNS}
    if not known:
        raise r.FileRejected(r.UNKNOWN_LAYOUT, "the header has no QĐ 130 column names")
    hits = {t: len(known & own) / len(own) for t, own in _OWN_COLUMNS.items() if known & own}
    expected = qd130.DATASET_TABLE.get(dataset)
    if expected in hits:
        best = expected
    elif hits:
        best = max(hits, key=hits.__getitem__)
        raise r.FileRejected(
            r.UNKNOWN_LAYOUT,
            f"the header is table {best} ({qd130.TABLE_DATASET[best]}) but the file is named "
            f"for {dataset}",
        )
    else:
        raise r.FileRejected(
            r.UNKNOWN_LAYOUT,
            f"the header matches no QĐ 130 table ({len(known)} shared column names only)",
        )
    missing = [c for c in qd130.TABLE_REQUIRED[best] if c not in known]
    if missing:
        raise r.FileRejected(
            r.MISSING_COLUMN, f"table {best} lacks required column(s) {', '.join(missing)}"
        )
    return best


# --- value converters: stripped non-empty text → value, ValueError when it does not parse ---


@lru_cache(maxsize=16384)
def _icd(text: str) -> str | None:
    return normalise(text)


@lru_cache(maxsize=16384)
def _icd_tuple(text: str) -> tuple[str, ...]:
    return tuple(c for c in (_icd(p) for p in text.split(";")) if c)


def _icd_list(text: str) -> list[str]:
    return list(_icd_tuple(text))


@lru_cache(maxsize=8192)
def _date_tuple(text: str) -> tuple:
    return tuple(values.qd130_date(p.strip()) for p in text.split(";") if p.strip())


def _date_list(text: str) -> list:
    return list(_date_tuple(text))


def _sex(text: str) -> str:
    try:
        return qd130.GIOI_TINH[text]
    except KeyError:
        raise ValueError(f"GIOI_TINH {text!r} is not 1, 2 or 3") from None


def _ward(text: str) -> str:
    # Spreadsheet round-trips drop leading zeros of the 5-digit ward code.
    return text.zfill(5) if text.isdigit() else text


def _first_card(text: str) -> str:
    return text.split(";")[0].strip()


@dataclass(frozen=True)
class _Conv:
    field: str
    parse: Callable[[str], Any] | None  # None: plain text
    rule: str | None = None


_TEXT = None
_TIME = (values.qd130_time, r.DATE_FORMAT)
_DATE = (values.qd130_date, r.DATE_FORMAT)
_INT = (values.integer, r.NUMBER_FORMAT)
_REAL = (values.real, r.NUMBER_FORMAT)

_PERSON = {
    "HO_TEN": ("full_name", _TEXT),
    "SO_CCCD": ("citizen_id", _TEXT),
    "GIOI_TINH": ("sex", (_sex, r.CODE_VALUE)),
    "MA_THE_BHYT": ("insurance_number", (_first_card, None)),
    "DIA_CHI": ("address_line", _TEXT),
    "DIEN_THOAI": ("phone", _TEXT),
    "MAXA_CU_TRU": ("ward_code", (_ward, None)),
    "MA_BN": ("patient_local_id", _TEXT),
}
_COMMON = {
    "MA_LK": ("encounter_id", _TEXT),
    "MA_CSKCB": ("facility_code", _TEXT),
    "NGAY_VAO": ("admitted_at", _TIME),
    "NGAY_RA": ("discharged_at", _TIME),
    "MA_BENH_CHINH": ("primary_icd10", (_icd, None)),
    "MA_BENH_KT": ("secondary_icd10", (_icd_list, None)),
    "MA_BAC_SI": ("doctor_id", _TEXT),
    "MA_LOAI_RV": ("discharge_type", _TEXT),
}
TABLE_MAPPING: dict[str, dict[str, tuple[str, Any]]] = {
    "XML1": {
        **_PERSON,
        **_COMMON,
        "NGAY_VAO_NOI_TRU": ("inpatient_at", _TIME),
        "KET_QUA_DTRI": ("treatment_result", _TEXT),
        "MA_NOI_DI": ("referred_from", _TEXT),
        "MA_NOI_DEN": ("referred_to", _TEXT),
        "NGAY_TAI_KHAM": ("followup_dates", (_date_list, r.DATE_FORMAT)),
        "T_TONGCHI_BV": ("total_cost_vnd", _INT),
        "T_BHTT": ("insurance_paid_vnd", _INT),
        "T_BNTT": ("patient_paid_vnd", _INT),
        "CAN_NANG": ("weight_kg", _REAL),
        "MA_KHOA": ("department_code", _TEXT),
    },
    "XML2": {
        "MA_LK": ("encounter_id", _TEXT),
        "STT": ("line_no", _INT),
        "MA_THUOC": ("drug_code", _TEXT),
        "TEN_THUOC": ("drug_name", _TEXT),
        "DON_VI_TINH": ("unit", _TEXT),
        "HAM_LUONG": ("strength", _TEXT),
        "DUONG_DUNG": ("route", _TEXT),
        "LIEU_DUNG": ("dosage", _TEXT),
        "SO_LUONG": ("quantity", _REAL),
        "DON_GIA": ("unit_price_vnd", _REAL),
        "THANH_TIEN_BV": ("amount_vnd", _REAL),
        "MA_BAC_SI": ("doctor_id", _TEXT),
        "NGAY_YL": ("ordered_at", _TIME),
        "MA_DON_THUOC": ("prescription_code", _TEXT),
    },
    "XML13": {
        **{k: v for k, v in _PERSON.items() if k in qd130.XML13_COLUMNS},
        **_COMMON,
        "SO_CHUYENTUYEN": ("referral_id", _TEXT),
        "MA_NOI_DI": ("from_facility_code", _TEXT),
        "MA_NOI_DEN": ("to_facility_code", _TEXT),
        "MA_LYDO_CT": ("referral_reason", _TEXT),
        "PHUONGTIEN_VC": ("transport", _TEXT),
    },
    "XML14": {
        **{k: v for k, v in _PERSON.items() if k in qd130.XML14_COLUMNS},
        **{k: v for k, v in _COMMON.items() if k not in ("MA_BENH_KT", "MA_LOAI_RV")},
        "SO_GIAYHEN_KL": ("appointment_id", _TEXT),
        "NGAY_HEN_KL": ("appointment_at", _TIME),
        "NGAY_CT": ("issued_date", _DATE),
    },
    # XML3 and XML4 arrive only inside the XML dossier (parsers/xml_qd130.py).
    "XML3": {
        "MA_LK": ("encounter_id", _TEXT),
        "STT": ("line_no", _INT),
        "MA_DICH_VU": ("service_code", _TEXT),
        "TEN_DICH_VU": ("service_name", _TEXT),
        "MA_VAT_TU": ("supply_code", _TEXT),
        "TEN_VAT_TU": ("supply_name", _TEXT),
        "DON_VI_TINH": ("unit", _TEXT),
        "SO_LUONG": ("quantity", _REAL),
        "DON_GIA": ("unit_price_vnd", _REAL),
        "THANH_TIEN_BV": ("amount_vnd", _REAL),
        "MA_KHOA": ("department_code", _TEXT),
        "MA_BAC_SI": ("doctor_id", _TEXT),
        "NGAY_YL": ("ordered_at", _TIME),
        "NGAY_KQ": ("result_at", _TIME),
    },
    "XML4": {
        "MA_LK": ("encounter_id", _TEXT),
        "STT": ("line_no", _INT),
        "MA_DICH_VU": ("service_code", _TEXT),
        "MA_CHI_SO": ("test_code", _TEXT),
        "TEN_CHI_SO": ("test_name", _TEXT),
        "GIA_TRI": ("value", _TEXT),
        "DON_VI_DO": ("unit", _TEXT),
        "MO_TA": ("description", _TEXT),
        "KET_LUAN": ("conclusion", _TEXT),
        "NGAY_KQ": ("result_at", _TIME),
        "MA_BS_DOC_KQ": ("doctor_id", _TEXT),
    },
    # The check-in table arrives only as checkin__<ts>.xml (parsers/xml_qd130.py).
    qd130.CHECKIN_TABLE: {
        **{k: v for k, v in _PERSON.items() if k in qd130.CHECKIN_COLUMNS},
        "MA_LK": ("encounter_id", _TEXT),
        "MA_CSKCB": ("facility_code", _TEXT),
        "NGAY_VAO": ("admitted_at", _TIME),
        "NGAY_VAO_NOI_TRU": ("inpatient_at", _TIME),
        "MA_DOITUONG_KCB": ("patient_category", _TEXT),
        "MA_DKBD": ("registered_facility_code", _TEXT),
        "MA_DICH_VU": ("service_code", _TEXT),
        "TEN_DICH_VU": ("service_name", _TEXT),
        "MA_THUOC": ("drug_code", _TEXT),
        "TEN_THUOC": ("drug_name", _TEXT),
        "MA_VAT_TU": ("supply_code", _TEXT),
        "TEN_VAT_TU": ("supply_name", _TEXT),
        "NGAY_YL": ("ordered_at", _TIME),
    },
}
# Tables whose rows name the episode (MA_LK) and line (STT) but not the patient.
_LINE_TABLES = ("XML2", "XML3", "XML4")
# Tables whose MA_LOAI_KCB (with MA_DOITUONG_KCB) gives the encounter type.
_TYPED_CARE = ("XML1", qd130.CHECKIN_TABLE)


@dataclass(frozen=True)
class _Plan:
    """One table's header compiled to positions: what to do with each column of a row."""

    dataset: str
    template: dict[str, Any]
    text: tuple[tuple[int, str], ...]
    typed: tuple[tuple[int, str, str, Callable[[str], Any], str | None], ...]
    birth: int | None
    kcb: int | None
    doituong: int | None
    stt: int | None
    has_facility_column: bool


def _compile(table: str, columns: list[str]) -> _Plan:
    dataset = qd130.PARSED_TABLE_DATASET[table]
    mapping = TABLE_MAPPING[table]
    text, typed = [], []
    for i, col in enumerate(columns):
        if col not in mapping:
            continue
        field, conv = mapping[col]
        if conv is None:
            text.append((i, field))
        else:
            typed.append((i, col, field, conv[0], conv[1]))
    fields = (
        DATASET_FIELDS[dataset]
        if table in _LINE_TABLES
        else PERSON_FIELDS + DATASET_FIELDS[dataset]
    )
    template: dict[str, Any] = dict.fromkeys(fields)
    for list_field in ("secondary_icd10", "followup_dates"):
        if list_field in template:
            template[list_field] = []
    pos = {c: i for i, c in enumerate(columns)}
    return _Plan(
        dataset=dataset,
        template=template,
        text=tuple(text),
        typed=tuple(typed),
        birth=pos.get("NGAY_SINH"),
        kcb=pos.get("MA_LOAI_KCB") if table in _TYPED_CARE else None,
        doituong=pos.get("MA_DOITUONG_KCB") if table in _TYPED_CARE else None,
        stt=pos.get("STT") if table in _LINE_TABLES else None,
        has_facility_column="MA_CSKCB" in pos,
    )


def _convert(plan: _Plan, raw: list[str]) -> tuple[dict[str, Any], list[RecordError]]:
    row = [v.strip() for v in raw]
    fields = plan.template.copy()
    errors: list[RecordError] = []
    for i, field in plan.text:
        if v := row[i]:
            fields[field] = v
    for i, col, field, parse, rule in plan.typed:
        if v := row[i]:
            try:
                fields[field] = parse(v)
            except ValueError as exc:
                errors.append(RecordError(rule or r.CODE_VALUE, field, f"{col}: {exc}"))
    if plan.birth is not None and (v := row[plan.birth]):
        try:
            fields["birth_date"], fields["birth_year"] = values.qd130_birth(v)
        except ValueError as exc:
            errors.append(RecordError(r.DATE_FORMAT, "birth_date", f"NGAY_SINH: {exc}"))
    if plan.kcb is not None:
        _encounter_type(fields, errors, row[plan.kcb], row[plan.doituong] if plan.doituong else "")
    if plan.stt is not None:
        ma_lk, stt = fields["encounter_id"], row[plan.stt]
        fields["line_id"] = f"{ma_lk}-{stt}" if ma_lk and stt else None
    return fields, errors


def _encounter_type(fields: dict, errors: list, kcb: str, doituong: str) -> None:
    # MA_LOAI_KCB is required as delivered: an emergency MA_DOITUONG_KCB refines the type of
    # care it gives, it never stands in for a blank one (which then stays absent and is caught).
    if not kcb:
        return
    if doituong == qd130.EMERGENCY_DOITUONG:
        fields["encounter_type"] = "emergency"
    else:
        kind = qd130.MA_LOAI_KCB_TYPE.get(kcb.zfill(2))
        if kind is None:
            errors.append(
                RecordError(r.CODE_VALUE, "encounter_type", f"MA_LOAI_KCB {kcb!r} is unknown")
            )
        fields["encounter_type"] = kind


def _json_object(quoted_keys: list[str], row: list[str]) -> str:
    """The row as a JSON object; joining pre-quoted keys is ~3x faster than json.dumps here."""
    return (
        "{"
        + ",".join([k + encode_basestring(v) for k, v in zip(quoted_keys, row, strict=True)])
        + "}"
    )


def parse_csv(data: bytes, name: LandingName) -> CsvContent:
    lines, encoding = decode(data)
    first_line = next(lines, "")
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter)
    header_raw = next(reader, None)
    if not header_raw or not any(c.strip() for c in header_raw):
        raise r.FileRejected(r.EMPTY, "no header row")
    header = [h.strip() for h in header_raw]
    columns = [COLUMN_ALIASES.get(h.upper(), h.upper()) for h in header]
    table = identify_table(columns, name.dataset)
    plan = _compile(table, columns)
    id_field = RECORD_ID_FIELD[plan.dataset]
    width = len(header)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    quoted_keys = [encode_basestring(h) + ":" for h in header]
    records: list[ParsedRecord] = []
    record_no = 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        record_no += 1
        locator = f"row {record_no}"
        if len(row) != width:
            records.append(
                ParsedRecord(
                    dataset=plan.dataset,
                    record_no=record_no,
                    locator=locator,
                    record_id=None,
                    fields={},
                    payload=dumps(row),
                    errors=[
                        RecordError(
                            r.RECORD_MALFORMED,
                            None,
                            f"{len(row)} fields where the header has {width}",
                        )
                    ],
                )
            )
            continue
        fields, errors = _convert(plan, row)
        payload = _json_object(quoted_keys, row)
        mojibake.repair_fields(fields, errors, payload)
        source = "MA_CSKCB"
        if not plan.has_facility_column:  # XML2 has no MA_CSKCB: the sender is the facility
            fields["facility_code"], source = name.facility_code, LANDING_FOLDER
        records.append(
            ParsedRecord(
                dataset=plan.dataset,
                record_no=record_no,
                locator=locator,
                record_id=fields[id_field],
                fields=fields,
                payload=payload,
                errors=errors,
                facility_source=source,
            )
        )
    return CsvContent(encoding=encoding, delimiter=delimiter, table=table, records=records)


# The XML dossier parser (xml_qd130.py) reads the same tables row by row with these.
Plan = _Plan
compile_plan = _compile
convert_row = _convert
LINE_TABLES = _LINE_TABLES
