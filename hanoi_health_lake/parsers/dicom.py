"""DICOM study metadata: Part 10 files (headers only, never pixels) and DICOM JSON (PS3.18 F.2).

One Part 10 file or one object of a DICOM JSON array is one imaging_studies record: one instance
(its record id the SOPInstanceUID), rolled up to its study in silver. Text is
decoded by pydicom according to SpecificCharacterSet (`ISO_IR 192` for Vietnamese).
"""

from __future__ import annotations

import inspect
import io
import json
import re
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException, InvalidDicomError

from hanoi_health_lake.parsers import rejection as r
from hanoi_health_lake.parsers import values
from hanoi_health_lake.parsers.dicom_structure import is_truncated
from hanoi_health_lake.parsers.landing_paths import LandingName
from hanoi_health_lake.records import (
    DATASET_FIELDS,
    LANDING_FOLDER,
    PERSON_FIELDS,
    ParsedRecord,
    RecordError,
)

DATASET = "imaging_studies"
_TAG_KEY = re.compile(r"^[0-9A-Fa-f]{8}$")
_SEX = {"M": "male", "F": "female", "O": "other"}
_UNDEFINED = 0xFFFFFFFF
# Dataset groups a header-less file plausibly starts with: file meta, identifying, patient.
_FIRST_GROUPS = (0x0002, 0x0008, 0x0010)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass
class DicomContent:
    records: list[ParsedRecord] = field(default_factory=list)
    character_set: str | None = None


def looks_like_dicom_json(document: Any) -> bool:
    """DICOM JSON is an array of objects keyed by 8-hex-digit tags (or one such object)."""
    if isinstance(document, list):
        return bool(document) and all(_is_dicom_object(d) for d in document[:3])
    return _is_dicom_object(document)


def _is_dicom_object(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(_TAG_KEY.match(k) for k in list(obj)[:5])


def _plausible_without_preamble(data: bytes) -> bool:
    if len(data) < 8:
        return False
    for endian in "<>":
        group, _ = struct.unpack(f"{endian}HH", data[:4])
        if group not in _FIRST_GROUPS:
            continue
        vr = data[4:6]
        if vr.isalpha() and vr.isupper():
            return True
        (length,) = struct.unpack(f"{endian}I", data[4:8])
        if length < len(data):
            return True
    return False


def parse_part10(data: bytes, name: LandingName) -> DicomContent:
    has_preamble = data[128:132] == b"DICM"
    if not has_preamble and not _plausible_without_preamble(data):
        raise r.FileRejected(r.NOT_DICOM, "no DICM marker and no plausible DICOM dataset")
    fp = io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(fp, stop_before_pixels=True, force=not has_preamble)
    except InvalidDicomError as exc:
        raise r.FileRejected(r.NOT_DICOM, f"not DICOM: {exc}") from None
    except (EOFError, struct.error, BytesLengthException) as exc:
        raise r.FileRejected(r.TRUNCATED, f"the DICOM data ends early: {exc}") from None
    transfer_syntax = str(ds.file_meta.get("TransferSyntaxUID") or "") or None
    little = (ds.original_encoding[1] is not False) if ds.original_encoding else True
    if is_truncated(data, has_preamble, transfer_syntax, little):
        raise r.FileRejected(r.TRUNCATED, "the file ends before its declared content does")
    if len(ds) == 0:
        if has_preamble:  # a DICM marker and nothing after the meta header: cut short
            raise r.FileRejected(r.TRUNCATED, "the file ends in or right after its meta header")
        raise r.FileRejected(r.NOT_DICOM, "no DICOM data elements")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns on each odd value it converts
        record = _record(ds, name, 1, "file", transfer_syntax, None)
    return DicomContent(records=[record], character_set=record.fields["character_set"])


def _ignore_bulk_data(tag: str, vr: str, uri: str) -> bytes:
    # Bulk data lives elsewhere (BulkDataURI); we only read the header attributes.
    return b""


# pydicom asks for the handler's signature once per data element; a precomputed one is read
# back at once instead of being rebuilt (a third of the time of a DICOM JSON file).
_ignore_bulk_data.__signature__ = inspect.signature(_ignore_bulk_data)  # type: ignore[attr-defined]


def parse_dicom_json(document: Any, name: LandingName) -> DicomContent:
    datasets = document if isinstance(document, list) else [document]
    content = DicomContent()
    for n, obj in enumerate(datasets, 1):
        payload = _dumps(obj)
        try:
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = Dataset.from_json(obj, bulk_data_uri_handler=_ignore_bulk_data)
        except Exception as exc:  # pydicom raises many types on bad JSON datasets
            content.records.append(
                ParsedRecord(
                    dataset=DATASET,
                    record_no=n,
                    locator=f"item {n}",
                    record_id=None,
                    fields={},
                    payload=payload,
                    errors=[RecordError(r.RECORD_MALFORMED, None, f"item {n}: {exc}")],
                )
            )
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record = _record(ds, name, n, f"item {n}", None, payload)
        content.records.append(record)
        content.character_set = content.character_set or record.fields["character_set"]
    return content


def _get(ds: Dataset, keyword: str) -> Any:
    try:
        value = ds.get(keyword)
    except Exception:  # a value pydicom cannot convert counts as absent
        return None
    if value is None or value == "":
        return None
    return value


def _text(ds: Dataset, keyword: str) -> str | None:
    value = _get(ds, keyword)
    if isinstance(value, pydicom.multival.MultiValue):
        value = value[0] if len(value) else None
    if value is None:
        return None
    cleaned = values.nfc(str(value).strip())
    return cleaned or None


def person_name(value: Any) -> str | None:
    """PN `Family^Given^Middle` → `Family Middle Given` (Vietnamese order), first group set."""
    if value is None:
        return None
    if not isinstance(value, pydicom.valuerep.PersonName):
        value = pydicom.valuerep.PersonName(str(value))
    for group in (value.alphabetic, value.ideographic, value.phonetic):
        parts = (group or "").split("^")
        parts += [""] * (3 - len(parts))
        name = " ".join(p.strip() for p in (parts[0], parts[2], parts[1]) if p.strip())
        if name:
            return values.nfc(name)
    return None


def _record(
    ds: Dataset,
    name: LandingName,
    record_no: int,
    locator: str,
    transfer_syntax: str | None,
    payload: str | None,
) -> ParsedRecord:
    fields: dict[str, Any] = dict.fromkeys(PERSON_FIELDS + DATASET_FIELDS[DATASET])
    errors: list[RecordError] = []
    patient_id = _text(ds, "PatientID")
    if (_text(ds, "IssuerOfPatientID") or "").upper() == "CCCD":
        fields["citizen_id"] = patient_id
    else:
        fields["patient_local_id"] = patient_id
    fields["full_name"] = person_name(_get(ds, "PatientName"))
    fields["sex"] = _SEX.get((_text(ds, "PatientSex") or "").upper())
    birth = _text(ds, "PatientBirthDate")
    if birth:
        try:
            fields["birth_date"] = values.qd130_date(birth)
            fields["birth_year"] = fields["birth_date"].year
        except ValueError as exc:
            errors.append(RecordError(r.DATE_FORMAT, "birth_date", f"PatientBirthDate: {exc}"))
    fields["study_uid"] = _text(ds, "StudyInstanceUID")
    fields["series_uid"] = _text(ds, "SeriesInstanceUID")
    fields["instance_uid"] = _text(ds, "SOPInstanceUID")
    fields["accession_number"] = _text(ds, "AccessionNumber")
    fields["modality"] = _text(ds, "Modality") or _text(ds, "ModalitiesInStudy")
    study_date = _text(ds, "StudyDate")
    if study_date:
        try:
            fields["study_at"] = values.dicom_datetime(study_date, _text(ds, "StudyTime"))
        except ValueError as exc:
            errors.append(RecordError(r.DATE_FORMAT, "study_at", f"StudyDate/StudyTime: {exc}"))
    fields["body_part"] = _text(ds, "BodyPartExamined")
    fields["description"] = _text(ds, "StudyDescription")
    count = _get(ds, "NumberOfStudyRelatedInstances")
    try:
        fields["number_of_instances"] = int(count) if count is not None else None
    except (TypeError, ValueError):
        errors.append(
            RecordError(r.NUMBER_FORMAT, "number_of_instances", f"{count!r} is not a number")
        )
    fields["sop_class_uid"] = _text(ds, "SOPClassUID")
    fields["transfer_syntax"] = transfer_syntax
    charset = _get(ds, "SpecificCharacterSet")
    if isinstance(charset, pydicom.multival.MultiValue):
        charset = "\\".join(str(c) for c in charset)
    fields["character_set"] = str(charset).strip() if charset else None
    codes = _get(ds, "InstitutionCodeSequence")
    institution = _text(codes[0], "CodeValue") if codes else None
    fields["facility_code"] = institution or name.facility_code
    source = "InstitutionCodeSequence[0].CodeValue" if institution else LANDING_FOLDER
    return ParsedRecord(
        dataset=DATASET,
        record_no=record_no,
        locator=locator,
        # One record per instance (a modality sends one file per instance); silver rolls the
        # instances of a study up to one row. A study-level object has no instance UID.
        record_id=fields["instance_uid"] or fields["study_uid"],
        fields=fields,
        payload=payload if payload is not None else _header_json(ds, fields),
        errors=errors,
        facility_source=source,
    )


def _header_json(ds: Dataset, fields: dict[str, Any]) -> str:
    """The header as DICOM JSON, large binary values left out; our fields if that fails."""
    try:
        return ds.to_json(bulk_data_threshold=1024, bulk_data_element_handler=lambda _: "omitted")
    except Exception:
        kept = {k: v for k, v in fields.items() if v is not None}
        return json.dumps(kept, ensure_ascii=False, default=str)
