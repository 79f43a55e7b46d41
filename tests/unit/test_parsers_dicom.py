"""DICOM metadata: Part 10 headers (pydicom's own test files among them) and DICOM JSON."""

from __future__ import annotations

import io
import json
import os
from datetime import date, datetime
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_charset_files, get_testdata_file, get_testdata_files
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import data_element_generator
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from hanoi_health_lake.parsers import parse_file
from tests.landing import land

FIXTURES = Path(__file__).parents[1] / "fixtures" / "parsers" / "landing"
DAY = "01001/2026-03-01"


def _land(root: Path, name: str, data: bytes) -> str:
    return land(root, name, data, folder=DAY)


def _bytes_of(root, relpath) -> bytes:
    return (root / relpath).read_bytes()


def _study(with_meta: bool = True) -> bytes:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.77"
    ds.StudyDate, ds.StudyTime = "20260301", "143005.123"
    ds.AccessionNumber = "ACC-77"
    ds.Modality = "MR"
    ds.InstitutionName = "Bệnh viện Thanh Nhàn"
    code = Dataset()
    code.CodeValue = "01A3F"
    ds.InstitutionCodeSequence = [code]
    ds.StudyDescription = "Cộng hưởng từ cột sống"
    ds.PatientName = "Hoàng^Thị Thu Thủy"
    ds.PatientID = "001190023456"
    ds.IssuerOfPatientID = "CCCD"
    ds.PatientBirthDate = "19900704"
    ds.PatientSex = "F"
    ds.BodyPartExamined = "LSPINE"
    ds.NumberOfStudyRelatedInstances = 42
    buf = io.BytesIO()
    if with_meta:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(buf, enforce_file_format=True)
    else:
        ds.save_as(buf, implicit_vr=False, little_endian=True)
    return buf.getvalue()


def test_part10_header_maps_to_an_imaging_study(tmp_path):
    relpath = _land(tmp_path, "imaging_studies__20260302T050000.0001.dcm", _study())
    parsed = parse_file(tmp_path, relpath)
    assert (parsed.status, parsed.format) == ("ok", "dicom")
    (record,) = parsed.records
    f = record.fields
    # One record per instance: its id is the SOPInstanceUID; silver rolls it up to its study.
    assert f["study_uid"] == "1.2.826.0.1.3680043.8.498.77"
    assert (
        record.record_id
        == f["instance_uid"]
        == pydicom.dcmread(io.BytesIO(_bytes_of(tmp_path, relpath))).SOPInstanceUID
    )
    assert (f["full_name"], f["citizen_id"], f["patient_local_id"]) == (
        "Hoàng Thị Thu Thủy",
        "001190023456",
        None,
    )
    assert (f["sex"], f["birth_date"], f["birth_year"]) == ("female", date(1990, 7, 4), 1990)
    assert f["study_at"] == datetime(2026, 3, 1, 14, 30, 5)
    assert (f["modality"], f["accession_number"], f["body_part"]) == ("MR", "ACC-77", "LSPINE")
    assert f["description"] == "Cộng hưởng từ cột sống"
    assert (f["number_of_instances"], f["sop_class_uid"]) == (42, "1.2.840.10008.5.1.4.1.1.2")
    assert (f["transfer_syntax"], f["character_set"]) == (ExplicitVRLittleEndian, "ISO_IR 192")
    assert f["facility_code"] == "01A3F"  # InstitutionCodeSequence, not the folder
    assert json.loads(record.payload)["0020000D"]["Value"] == ["1.2.826.0.1.3680043.8.498.77"]


def test_a_dataset_without_preamble_or_meta_is_read(tmp_path):
    data = _study(with_meta=False)
    assert data[128:132] != b"DICM"
    parsed = parse_file(tmp_path, _land(tmp_path, "imaging_studies__20260302T050000.2.dcm", data))
    assert parsed.status == "ok"
    assert parsed.records[0].fields["full_name"] == "Hoàng Thị Thu Thủy"
    assert parsed.records[0].fields["transfer_syntax"] is None


@pytest.mark.parametrize("keep", [140, 300, -7])
def test_a_cut_part10_file_is_truncated(tmp_path, keep):
    data = _study()[:keep]
    parsed = parse_file(tmp_path, _land(tmp_path, "imaging_studies__20260302T050000.3.dcm", data))
    assert (parsed.status, parsed.error_rule) == ("error", "file.truncated")
    assert "imaging_studies__20260302T050000.3.dcm" in parsed.error_message


def test_every_cut_inside_an_element_is_truncated(tmp_path):
    data = _study()
    ds = pydicom.dcmread(io.BytesIO(data))
    meta_end = 132 + 12 + ds.file_meta.FileMetaInformationGroupLength
    fp = io.BytesIO(data)
    fp.seek(meta_end)
    # A cut exactly between two elements leaves a shorter but well-formed file.
    boundaries = {fp.tell() for _ in data_element_generator(fp, False, True)}
    relpath = _land(tmp_path, "imaging_studies__20260302T050000.5.dcm", data)
    missed = []
    for keep in range(133, len(data)):
        (tmp_path / relpath).write_bytes(data[:keep])
        parsed = parse_file(tmp_path, relpath)
        if parsed.error_rule != "file.truncated" and (keep > meta_end and keep not in boundaries):
            missed.append(keep)
    assert missed == []


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"", "file.empty"),
        (b"MA_LK,HO_TEN\n1,Nguyen\n", "file.not_dicom"),
        (b"\x00" * 128 + b"DICX" + b"\x00" * 64, "file.not_dicom"),
        (b"%PDF-1.4\n" + b"\x00" * 300, "file.not_dicom"),
    ],
)
def test_files_that_are_not_dicom(tmp_path, data, rule):
    parsed = parse_file(tmp_path, _land(tmp_path, "imaging_studies__20260302T050000.4.dcm", data))
    assert parsed.error_rule == rule


def test_dicom_json_array_with_bulk_data_and_a_broken_dataset():
    parsed = parse_file(FIXTURES, "01012/2026-03-01/imaging_studies__20260302T050000.dicom.json")
    assert (parsed.status, parsed.format) == ("ok", "dicom_json")
    first, second, broken = parsed.records
    f = first.fields
    assert (f["full_name"], f["citizen_id"], f["facility_code"]) == (
        "Nguyễn Văn Hưởng",
        "001085012345",
        "01012",
    )
    assert (f["study_at"], f["number_of_instances"]) == (datetime(2026, 3, 1, 9, 30, 15), 124)
    assert f["description"] == "CT sọ não không tiêm thuốc"
    assert (second.fields["modality"], second.fields["patient_local_id"]) == ("DX", "BN1002")
    assert [(e.rule_id, e.field) for e in second.errors] == [
        ("conformance.date_format", "study_at")
    ]
    assert (broken.record_no, broken.locator, broken.fields) == (3, "item 3", {})
    assert [e.rule_id for e in broken.errors] == ["record.malformed"]
    assert json.loads(broken.payload) == {"0020000D": {"vr": "XX", "Value": 17}}


def test_dicom_json_cut_short_is_truncated(tmp_path):
    data = (FIXTURES / "01012/2026-03-01/imaging_studies__20260302T050000.dicom.json").read_bytes()
    relpath = _land(tmp_path, "imaging_studies__20260302T050000.dicom.json", data[:-40])
    assert parse_file(tmp_path, relpath).error_rule == "file.truncated"


def _pydicom_files() -> list[str]:
    files = get_testdata_files() + get_charset_files()
    return sorted(f for f in files if os.path.isfile(f))


_KNOWN_BROKEN = {
    "MR_truncated.dcm": "file.truncated",
    "rtplan_truncated.dcm": "file.truncated",
    "no_meta.dcm": "file.not_dicom",  # a stray byte before the first tag
    "README.txt": "file.not_dicom",
    "FileInfo.txt": "file.not_dicom",
    "crayons.icc": "file.not_dicom",
    "zipMR.gz": "file.not_dicom",
    "rtplan.dump": "file.not_dicom",
    "rtstruct.dump": "file.not_dicom",
    "README": "file.not_dicom",
}


@pytest.mark.parametrize("path", _pydicom_files(), ids=lambda p: p.split("/data/")[-1])
def test_every_pydicom_sample_gives_a_record_or_a_clear_file_error(tmp_path, path):
    data = Path(path).read_bytes()
    name = "imaging_studies__20260302T050000." + (
        "dicom.json" if path.endswith(".json") else "1.dcm"
    )
    parsed = parse_file(tmp_path, _land(tmp_path, name, data))
    expected = _KNOWN_BROKEN.get(os.path.basename(path))
    if expected:
        assert (parsed.status, parsed.error_rule) == ("error", expected)
        return
    assert parsed.status == "ok", parsed.error_message
    assert len(parsed.records) == 1
    header = pydicom.dcmread(path, force=True) if path.endswith(".dcm") else None
    if header is not None and "SOPInstanceUID" in header:
        assert parsed.records[0].record_id == header.SOPInstanceUID
    elif header is not None and "StudyInstanceUID" in header:
        assert parsed.records[0].record_id == header.StudyInstanceUID


@pytest.mark.parametrize(
    ("name", "patient"),
    [
        ("chrArab.dcm", "قباني لنزار"),
        ("chrFren.dcm", "Buc Jérôme"),
        ("chrGerm.dcm", "Äneas Rüdiger"),
        ("chrGreek.dcm", "Διονυσιος"),
        ("chrHbrw.dcm", "שרון דבורה"),
        ("chrRuss.dcm", "Люкceмбypг"),
        ("chrH31.dcm", "Yamada Tarou"),
        ("chrH32.dcm", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("chrJapMulti.dcm", "やまだ たろう"),
        ("chrKoreanMulti.dcm", "김희중"),
        ("chrI2.dcm", "Hong Gildong"),
        ("chrX1.dcm", "Wang XiaoDong"),
        ("chrX2.dcm", "Wang XiaoDong"),
    ],
)
def test_character_sets_are_decoded(tmp_path, name, patient):
    path = next(p for p in get_charset_files() if p.endswith("/" + name))
    relpath = _land(tmp_path, "imaging_studies__20260302T050000.1.dcm", Path(path).read_bytes())
    parsed = parse_file(tmp_path, relpath)
    assert parsed.records[0].fields["full_name"] == patient
    expected = pydicom.dcmread(path).SpecificCharacterSet
    expected = expected if isinstance(expected, str) else "\\".join(expected)
    assert parsed.records[0].fields["character_set"] == str(expected)


@pytest.mark.parametrize(
    ("name", "syntax"),
    [
        ("image_dfl.dcm", "1.2.840.10008.1.2.1.99"),  # deflated
        ("MR_small_bigendian.dcm", "1.2.840.10008.1.2.2"),
        ("MR_small_implicit.dcm", "1.2.840.10008.1.2"),
        ("JPEG2000.dcm", "1.2.840.10008.1.2.4.91"),
    ],
)
def test_transfer_syntaxes(tmp_path, name, syntax):
    data = Path(get_testdata_file(name)).read_bytes()
    parsed = parse_file(tmp_path, _land(tmp_path, "imaging_studies__20260302T050000.1.dcm", data))
    assert parsed.records[0].fields["transfer_syntax"] == syntax
    assert parsed.records[0].fields["study_uid"]
