"""Double-encoded text (UTF-8 read as Windows-1252 and saved again) is repaired and flagged with
a warn rule: the record is kept, the facility hears of it, bronze keeps the bytes as sent."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-1252 codec)

from hanoi_health_lake.conform import staged_frame
from hanoi_health_lake.contracts import ValidationContext, validate
from hanoi_health_lake.formats import qd130
from hanoi_health_lake.parsers import parse_file
from tests.landing import land

DAY = "01012/2026-03-01"


def _double_encoded(text: str) -> str:
    """As vendors' software does it: bytes Windows-1252 leaves undefined pass through."""
    return text.encode("utf-8").decode("sloppy-windows-1252")


def _xml2(drug: str, unit: str, line: int) -> list[str]:
    row = {
        "MA_LK": "LK0001", "STT": str(line), "MA_THUOC": "40.17", "TEN_THUOC": drug,
        "DON_VI_TINH": unit, "HAM_LUONG": "500mg", "DUONG_DUNG": "Uống", "LIEU_DUNG": "2 viên",
        "SO_LUONG": "10", "DON_GIA": "500", "THANH_TIEN_BV": "5000", "MA_BAC_SI": "BS01",
        "NGAY_YL": "202603010900", "MA_DON_THUOC": "01012abc1234-c",
    }  # fmt: skip
    return [row.get(c, "") for c in qd130.XML2_COLUMNS]


def test_double_encoded_csv_text_is_repaired_flagged_and_kept(tmp_path):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(qd130.XML2_COLUMNS)
    writer.writerow(_xml2(_double_encoded("Thuốc ho Bổ phế"), _double_encoded("Viên"), 1))
    writer.writerow(_xml2("Paracetamol 500mg", "Viên", 2))
    relpath = land(tmp_path, "prescriptions__20260302T061500.csv", buf.getvalue().encode())
    parsed = parse_file(tmp_path, relpath)
    bad, good = parsed.records
    assert (bad.fields["drug_name"], bad.fields["unit"]) == ("Thuốc ho Bổ phế", "Viên")
    assert [(e.rule_id, e.field) for e in bad.errors] == [
        ("conformance.text_encoding", "drug_name"),
        ("conformance.text_encoding", "unit"),
    ]
    assert "Thu" not in bad.errors[0].message  # the value is not quoted
    assert "ViÃªn" in bad.payload  # bronze keeps what was delivered
    assert good.errors == []
    frame = staged_frame(
        "prescriptions", [(parsed, r) for r in parsed.records], service_date=date(2026, 3, 1)
    )
    outcome = validate("prescriptions", frame, ValidationContext(registry_codes=frozenset()))
    assert ["conformance.text_encoding" in w for w in outcome.warnings.to_list()] == [True, False]
    assert all("conformance.text_encoding" not in e for e in outcome.errors.to_list())


def test_double_encoded_fhir_text_is_repaired(tmp_path):
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "name": [{"text": _double_encoded("Nguyễn Thị Ánh")}],
    }
    encounter = {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"}}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": encounter}],
    }
    relpath = land(tmp_path, "encounters__20260302T061500.json", json.dumps(bundle).encode())
    (record,) = parse_file(tmp_path, relpath).records
    assert record.fields["full_name"] == "Nguyễn Thị Ánh"
    assert [e.rule_id for e in record.errors] == ["conformance.text_encoding"]
