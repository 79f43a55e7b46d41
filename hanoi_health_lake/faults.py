"""The named fault kinds the simulator injects and the contract rule each must be caught by.

The simulator's ground truth names a `kind`; the pipeline's quarantine names `rule_ids`. A fault is
caught when its locator sits in quarantine with the rule listed here. Keep both sides on this one
table so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["file", "record"]


@dataclass(frozen=True)
class FaultKind:
    kind: str
    level: Level
    rule_id: str
    formats: tuple[str, ...]  # delivery formats the simulator injects it into
    meaning: str


_ALL = ("fhir_json", "fhir_ndjson", "csv", "dicom", "dicom_json", "qd130_xml")
_XML = ("qd130_xml",)
_RECORD = ("fhir_json", "fhir_ndjson", "csv", "qd130_xml")

FAULT_KINDS: tuple[FaultKind, ...] = (
    # Whole files: the file is one quarantine entry with the reason.
    FaultKind("empty_file", "file", "file.empty", _ALL, "the file has no bytes"),
    FaultKind("malformed_json", "file", "file.malformed_json", ("fhir_json", "dicom_json"),
              "the JSON does not parse"),
    FaultKind("truncated_file", "file", "file.truncated", ("fhir_json", "dicom_json", "dicom"),
              "the file ends before its content does"),
    FaultKind("wrong_encoding", "file", "file.encoding", ("csv",),
              "bytes are in none of the accepted encodings (UTF-8, UTF-8 BOM, Windows-1258)"),
    FaultKind("missing_required_column", "file", "file.missing_column", ("csv",),
              "a required QĐ 130 column is absent"),
    FaultKind("unknown_column_set", "file", "file.unknown_layout", ("csv",),
              "the header matches no QĐ 130 table"),
    FaultKind("not_dicom", "file", "file.not_dicom", ("dicom",),
              "a file named .dcm that is not DICOM"),
    FaultKind("unsafe_path", "file", "file.unsafe_path", _ALL,
              "the file name is not a safe landing name (.., absolute, odd characters)"),
    # QĐ 130 XML dossiers: the gateway's whole-file checks (parsers/xml_qd130.py).
    FaultKind("xml_malformed_envelope", "file", "xml.malformed_envelope", _XML,
              "the dossier's XML does not parse (cut off mid-element)"),
    FaultKind("xml_malformed_table", "file", "xml.malformed_table", _XML,
              "an inner table (NOIDUNGFILE, decoded) is not well-formed XML"),
    FaultKind("xml_bad_base64", "file", "xml.bad_base64", _XML,
              "an inner table's NOIDUNGFILE is not valid base64"),
    FaultKind("xml_unknown_table", "file", "xml.unknown_loaihoso", _XML,
              "a LOAIHOSO names no QĐ 130 table"),
    FaultKind("xml_count_mismatch", "file", "xml.count_mismatch", _XML,
              "SOLUONGHOSO differs from the number of episodes in the file"),
    FaultKind("xml_episode_mismatch", "file", "xml.episode_mismatch", _XML,
              "the tables of one episode disagree on MA_LK"),
    FaultKind("xml_facility_mismatch", "file", "xml.facility_mismatch", _XML,
              "the envelope's MACSKCB is not the facility whose folder holds the file"),
    FaultKind("xml_entity_bomb", "file", "xml.forbidden_dtd", _XML,
              "the dossier declares nested entities that expand to gigabytes (billion laughs)"),
    FaultKind("xml_external_entity", "file", "xml.forbidden_dtd", _XML,
              "the dossier declares an external entity naming a local file (XXE)"),
    FaultKind("xml_signature_missing", "file", "signature.missing", _XML,
              "the dossier is not signed (CHUKYDONVI empty) where the policy quarantines it"),
    FaultKind("xml_signature_tampered", "file", "signature.invalid", _XML,
              "the dossier was changed after it was signed: the signature no longer verifies"),
    # Single records: the record is quarantined, its file's other records go on.
    FaultKind("malformed_record", "record", "record.malformed", ("fhir_ndjson",),
              "one NDJSON line does not parse"),
    FaultKind("bad_date_format", "record", "conformance.date_format", _RECORD,
              "a date or time is not in the layout's format"),
    FaultKind("birth_after_visit", "record", "plausibility.birth_before_visit", _RECORD,
              "birth date is after the visit"),
    FaultKind("discharge_before_admission", "record", "plausibility.discharge_after_admission",
              _RECORD, "discharge is before admission"),
    FaultKind("invalid_icd10", "record", "conformance.icd10_known", _RECORD,
              "a diagnosis code is not in the accepted ICD-10 list"),
    FaultKind("citizen_id_mismatch", "record", "plausibility.citizen_id_consistent", _RECORD,
              "the citizen id disagrees with sex or birth year"),
    FaultKind("duplicate_record_id", "record", "uniqueness.record_id", _RECORD,
              "two different records in one delivery share a record id (all copies rejected)"),
    FaultKind("negative_quantity", "record", "plausibility.quantity_positive", _RECORD,
              "a drug quantity is zero or negative"),
    FaultKind("unknown_facility_code", "record", "conformance.facility_known", _RECORD,
              "the record's facility code is not in the registry"),
    FaultKind("unknown_referral_target", "record", "conformance.referral_target_known", _RECORD,
              "a referral names a destination facility not in the registry"),
    FaultKind("missing_required_field", "record", "completeness.required", _RECORD,
              "a required field is empty"),
)  # fmt: skip

BY_KIND = {f.kind: f for f in FAULT_KINDS}
RULE_FOR_KIND = {f.kind: f.rule_id for f in FAULT_KINDS}
