"""Verdicts name what the sender can fix: every valid DICOM modality passes, and an unregistered
facility names the field that held it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from hanoi_health_lake.conform import staged_frame
from hanoi_health_lake.contracts import ValidationContext, validate
from hanoi_health_lake.formats import qd130
from hanoi_health_lake.parsers import parse_file
from tests.landing import land

DAY = "01001/2026-03-01"
REGISTRY = frozenset({"01001"})


def _land(root: Path, name: str, data: bytes) -> str:
    return land(root, name, data, folder=DAY)


def _dicom(modality: str, institution: str | None, n: int) -> bytes:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.2"  # RT Dose Storage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.{n}"
    ds.StudyDate, ds.StudyTime = "20260301", "101500"
    ds.Modality = modality
    if institution:
        code = Dataset()
        code.CodeValue = institution
        ds.InstitutionCodeSequence = [code]
    ds.PatientID = "001190023456"
    ds.PatientSex = "F"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def _warnings(dataset: str, parsed_files) -> list[list[str]]:
    pairs = [(p, rec) for p in parsed_files for rec in p.records]
    frame = staged_frame(dataset, pairs, service_date=date(2026, 3, 1))
    outcome = validate(dataset, frame, ValidationContext(registry_codes=REGISTRY))
    return outcome.warnings.to_list()


MODALITIES = ["RTDOSE", "RTPLAN", "RTSTRUCT", "RTIMAGE", "SEG", "PLAN", "DS"]  # DS: retired


def test_every_dicom_modality_of_the_standard_is_known_and_others_are_not(tmp_path):
    parsed = [
        parse_file(tmp_path, _land(tmp_path, f"imaging_studies__20260302T050000.{i}.dcm", data))
        for i, data in enumerate(
            [_dicom(m, "01001", n) for n, m in enumerate(MODALITIES)] + [_dicom("XRAY", None, 99)]
        )
    ]
    assert [p.records[0].fields["modality"] for p in parsed] == [*MODALITIES, "XRAY"]
    warnings = _warnings("imaging_studies", parsed)
    assert ["conformance.modality_known" in w for w in warnings] == [False] * 7 + [True]


def test_unregistered_facility_in_a_dicom_header_names_the_attribute(tmp_path):
    relpath = _land(tmp_path, "imaging_studies__20260302T050000.dcm", _dicom("CT", "01ZZ9", 1))
    (record,) = parse_file(tmp_path, relpath, registry_codes=REGISTRY).records
    (error,) = [e for e in record.errors if e.rule_id == "conformance.facility_known"]
    assert error.message == (
        "facility '01ZZ9' (from InstitutionCodeSequence[0].CodeValue) is not registered"
    )


def _encounter_bundle(provider: dict | None) -> bytes:
    encounter = {
        "resourceType": "Encounter",
        "id": "e1",
        "class": {"code": "AMB"},
        **({"serviceProvider": provider} if provider else {}),
    }
    return json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": encounter}]}
    ).encode()


@pytest.mark.parametrize(
    ("provider", "source"),
    [
        (
            {"identifier": {"system": "urn:vn:moh:sid:ma-cskcb", "value": "01ZZ9"}},
            "Encounter.serviceProvider",
        ),
        (None, "the landing folder"),
    ],
)
def test_unregistered_facility_in_fhir_names_the_element(tmp_path, provider, source):
    root = tmp_path / "landing"
    folder = "01ZZ9/2026-03-01"
    (root / folder).mkdir(parents=True)
    (root / folder / "encounters__20260302T050000.json").write_bytes(_encounter_bundle(provider))
    parsed = parse_file(root, f"{folder}/encounters__20260302T050000.json", registry_codes=REGISTRY)
    (record,) = parsed.records
    messages = [e.message for e in record.errors if e.rule_id == "conformance.facility_known"]
    assert messages == [f"facility '01ZZ9' (from {source}) is not registered"]


def test_unregistered_facility_in_a_csv_names_the_column(tmp_path):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(qd130.XML1_COLUMNS)
    writer.writerow(["01ZZ9" if c == "MA_CSKCB" else "" for c in qd130.XML1_COLUMNS])
    relpath = _land(tmp_path, "encounters__20260302T050000.csv", buf.getvalue().encode())
    (record,) = parse_file(tmp_path, relpath, registry_codes=REGISTRY).records
    messages = [e.message for e in record.errors if e.rule_id == "conformance.facility_known"]
    assert messages == ["facility '01ZZ9' (from MA_CSKCB) is not registered"]
