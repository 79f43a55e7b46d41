"""The QĐ 130 XML dossier parser: mapping into the CSV parser's shapes, and every rule that
rejects a dossier, through `parse_file` as the pipeline calls it."""

from __future__ import annotations

import base64
import resource
import time
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from hanoi_health_lake.parsers import parse_file, parse_landing_path
from hanoi_health_lake.parsers.xml_qd130 import parse_dossier
from hanoi_health_lake.parsers.xml_safety import XmlLimits
from hanoi_health_lake.simulator import xml_export
from tests.xml_dossiers import DAY, FACILITY, PEOPLE, SECONDARY, episode, two_episodes, xml1

REL = f"{FACILITY}/2026-03-01/hoso__20260302T061500.xml"


def land(root: Path, data: bytes, rel: str = REL) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def dossier_bytes(episodes=None, **kw) -> bytes:
    tree = xml_export.dossier(FACILITY, DAY, two_episodes() if episodes is None else episodes, **kw)
    return xml_export.to_bytes(tree)


def parsed(tmp_path: Path, data: bytes, rel: str = REL):
    land(tmp_path, data, rel)
    return parse_file(tmp_path, rel)


def by_dataset(result) -> dict[str, list]:
    out: dict[str, list] = {}
    for record in result.records:
        out.setdefault(record.dataset, []).append(record)
    return out


def test_a_dossier_feeds_every_dataset_in_the_csv_shapes(tmp_path):
    result = parsed(tmp_path, dossier_bytes())
    assert result.status == "ok", result.error_message
    assert (result.format, result.table) == ("qd130_xml", "GIAMDINHHS")
    records = by_dataset(result)
    assert {k: len(v) for k, v in records.items()} == {
        "encounters": 2, "prescriptions": 4, "services": 2, "lab_results": 2,
        "referrals": 2, "appointments": 2,
    }  # fmt: skip
    enc = records["encounters"][0].fields
    assert enc["encounter_id"] == "LK001" and records["encounters"][0].record_id == "LK001"
    assert enc["sex"] == "female" and enc["citizen_id"] == PEOPLE[0]["SO_CCCD"]
    assert enc["admitted_at"] == datetime(2026, 3, 1, 8, 15)
    assert enc["birth_date"] == date(1985, 7, 14)
    assert enc["secondary_icd10"] == SECONDARY.split(";") and len(enc["secondary_icd10"]) == 12
    assert enc["total_cost_vnd"] == 1250000 and enc["weight_kg"] == 52.5
    assert enc["encounter_type"] == "outpatient" and enc["followup_dates"] == [date(2026, 3, 8)]
    second = records["encounters"][1].fields
    assert second["sex"] == "male" and second["birth_year"] == 1962  # unknown day and month
    line = records["prescriptions"][1].fields
    assert (line["line_id"], line["quantity"], line["facility_code"]) == ("LK001-2", 14.0, FACILITY)
    assert line["dosage"] == "Ngày uống 2 lần, mỗi lần 1 viên"
    service = records["services"][0].fields
    assert service["service_name"] == "Chụp X-quang ngực thẳng"
    assert service["result_at"] == datetime(2026, 3, 1, 9, 10)
    lab = records["lab_results"][0].fields
    assert (lab["line_id"], lab["test_code"], lab["value"]) == ("LK001-1", "WBC", "11.2")
    assert records["referrals"][0].fields["to_facility_code"] == "01001"
    assert records["appointments"][0].fields["appointment_at"] == datetime(2026, 3, 8, 8, 0)
    assert all(not r.errors for r in result.records)
    assert records["prescriptions"][1].locator == "episode 1 XML2 row 2"


def test_tables_not_yet_used_are_kept_whole_in_bronze(tmp_path):
    result = parsed(tmp_path, dossier_bytes())
    assert [(a.resource_type, a.record_id) for a in result.auxiliary] == [
        ("XML8", "LK001"),
        ("XML8", "LK002"),
    ]
    assert "Sốt 3 ngày, ho có đờm" in result.auxiliary[0].payload


def test_bad_values_are_record_errors_not_file_errors(tmp_path):
    bad = [("XML1", [xml1("LK009", PEOPLE[0], NGAY_VAO="2026-03-01", GIOI_TINH="9")])]
    result = parsed(tmp_path, dossier_bytes([bad]))
    assert result.status == "ok"
    rules = sorted(e.rule_id for e in result.records[0].errors)
    assert rules == ["conformance.code_value", "conformance.date_format"]


def _replace_first_content(data: bytes, table: str, content: bytes) -> bytes:
    root = etree.fromstring(data)
    for element in root.iter("FILEHOSO"):
        if element.findtext("LOAIHOSO") == table:
            element.find("NOIDUNGFILE").text = base64.b64encode(content).decode()
            break
    return xml_export.to_bytes(root)


def _set(data: bytes, path: str, text: str) -> bytes:
    root = etree.fromstring(data)
    root.find(path).text = text
    return xml_export.to_bytes(root)


FAULTS = {
    "not xml": (lambda d: d[: len(d) // 2], "xml.malformed_envelope", "not well-formed"),
    "wrong root": (lambda d: d.replace(b"GIAMDINHHS", b"HOSO_KCB"), "xml.malformed_envelope",
                   "root element"),
    "no MACSKCB": (lambda d: d.replace(b"<MACSKCB>01012</MACSKCB>", b""),
                   "xml.malformed_envelope", "THONGTINDONVI/MACSKCB"),
    "broken inner table": (lambda d: _replace_first_content(d, "XML2", b"<CHITIEU_CHITIET_THUOC><"),
                           "xml.malformed_table", "XML2 of episode 1"),
    "inner table of another layout": (
        lambda d: _replace_first_content(d, "XML3", b"<TONG_HOP><MA_LK>LK001</MA_LK></TONG_HOP>"),
        "xml.malformed_table", "expected CHITIEU_CHITIET_DVKT_VTYT"),
    "bad base64": (lambda d: _set(d, ".//FILEHOSO/NOIDUNGFILE", "PFRPTkdfSE9Q*!"),
                   "xml.bad_base64", "XML1 of episode 1"),
    "unknown LOAIHOSO": (lambda d: _set(d, ".//FILEHOSO/LOAIHOSO", "XML99"),
                         "xml.unknown_loaihoso", "'XML99'"),
    "SOLUONGHOSO mismatch": (lambda d: _set(d, ".//SOLUONGHOSO", "3"), "xml.count_mismatch",
                             "says 3 episode(s) but the file holds 2"),
    "MA_LK mismatch": (lambda d: _replace_first_content(
        d, "XML4", xml_export.inner_table("XML4", [{"MA_LK": "LK777", "STT": "1"}])),
        "xml.episode_mismatch", "episode 1: XML4 has MA_LK 'LK777' where XML1 has 'LK001'"),
    "MACSKCB is another facility": (lambda d: _set(d, ".//MACSKCB", "01001"),
                                    "xml.facility_mismatch", "'01001' differs from the landing"),
}  # fmt: skip


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_rejects_the_file_with_its_rule_and_a_reason_naming_it(tmp_path, fault):
    breaks, rule, words = FAULTS[fault]
    result = parsed(tmp_path, breaks(dossier_bytes()))
    assert (result.status, result.error_rule) == ("error", rule), result.error_message
    assert result.error_message.startswith(REL) and words in result.error_message
    assert result.records == [] and result.auxiliary == []


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE GIAMDINHHS [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<GIAMDINHHS><THONGTINDONVI><MACSKCB>&h;</MACSKCB></THONGTINDONVI></GIAMDINHHS>
"""  # 20^7 * 80 bytes ≈ 100 GB if expanded


def _external_entity(secret: Path) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE GIAMDINHHS [<!ENTITY x SYSTEM "file://'
        + str(secret).encode()
        + b'">]>\n<GIAMDINHHS><THONGTINDONVI><MACSKCB>&x;</MACSKCB></THONGTINDONVI></GIAMDINHHS>'
    )


def _bounded(tmp_path: Path, data: bytes):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = parsed(tmp_path, data)
    assert time.perf_counter() - start < 2.0
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50 * 1024  # under 50 MB more at peak
    return result


def test_an_entity_bomb_is_refused_in_bounded_time_and_memory(tmp_path):
    result = _bounded(tmp_path, BOMB)
    assert (result.status, result.error_rule) == ("error", "xml.forbidden_dtd")
    assert "DTD" in result.error_message and result.error_message.startswith(REL)


def test_an_external_entity_is_refused_and_the_file_it_names_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-01012-PASSWORD")
    result = _bounded(tmp_path, _external_entity(secret))
    assert (result.status, result.error_rule) == ("error", "xml.forbidden_dtd")
    assert "TOP-SECRET" not in repr(result)


def test_a_bomb_inside_an_inner_table_is_refused_too(tmp_path):
    inner_bomb = BOMB.replace(b"GIAMDINHHS", b"TONG_HOP")
    data = _replace_first_content(dossier_bytes(), "XML1", inner_bomb)
    result = _bounded(tmp_path, data)
    assert result.error_rule == "xml.forbidden_dtd"
    assert "XML1 of episode 1" in result.error_message


@pytest.mark.parametrize(
    ("limits", "rule", "words"),
    [
        (XmlLimits(max_file_bytes=1000), "xml.too_large", "the file is"),
        (XmlLimits(max_table_bytes=200), "xml.too_large", "XML1 of episode 1 (decoded)"),
        (XmlLimits(max_depth=4), "xml.too_complex", "nests deeper than 4"),
        (XmlLimits(max_elements=50), "xml.too_complex", "more than 50 elements"),
    ],
)
def test_size_depth_and_count_limits_are_named_settings(limits, rule, words):
    from hanoi_health_lake.parsers.rejection import FileRejected

    with pytest.raises(FileRejected) as caught:
        parse_dossier(dossier_bytes(), parse_landing_path(REL), limits)
    assert caught.value.rule_id == rule and words in caught.value.message


def test_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("HHL_XML_MAX_DEPTH", "7")
    assert XmlLimits.from_env().max_depth == 7


def test_one_episode_with_only_some_tables_is_fine(tmp_path):
    only_summary = [("XML1", [xml1("LK100", PEOPLE[1])])]
    result = parsed(tmp_path, dossier_bytes([only_summary, episode("LK101", PEOPLE[0])]))
    assert result.status == "ok"
    assert [r.record_id for r in result.records if r.dataset == "encounters"] == ["LK100", "LK101"]


@pytest.mark.parametrize(
    "rel",
    [
        f"{FACILITY}/2026-03-01/hoso__20260302T061500.csv",
        f"{FACILITY}/2026-03-01/encounters__20260302T061500.xml",
    ],
)
def test_only_hoso_files_are_xml_and_xml_files_hoso(tmp_path, rel):
    result = parsed(tmp_path, dossier_bytes(), rel)
    assert result.error_rule == "file.unsafe_path"


def test_an_inner_table_is_held_to_the_same_limits(tmp_path):
    deep = b"<TONG_HOP>" + b"<a>" * 40 + b"x" + b"</a>" * 40 + b"</TONG_HOP>"
    result = parsed(tmp_path, _replace_first_content(dossier_bytes(), "XML1", deep))
    assert result.error_rule == "xml.too_complex"
    assert "XML1 of episode 1 nests deeper than 32" in result.error_message


# --- check-ins (checkin__<export_ts>.xml) ---

CHECKIN_REL = f"{FACILITY}/2026-03-01/checkin__20260301T083100.xml"


def checkin_bytes(*rows: dict[str, str], root: str = "CHI_TIEU_TRANG_THAI_KCB") -> bytes:
    table = etree.Element(root)
    holder = etree.SubElement(table, "DSACH_TRANG_THAI_KCB")
    for row in rows:
        element = etree.SubElement(holder, "TRANG_THAI_KCB")
        for column, value in row.items():
            etree.SubElement(element, column).text = value
    return etree.tostring(table, xml_declaration=True, encoding="utf-8")


def checkin_row(ma_lk: str, person: dict, **changes: str) -> dict[str, str]:
    row = {
        "MA_LK": ma_lk, "STT": "1", "MA_BN": f"BN{ma_lk}", "HO_TEN": person["HO_TEN"],
        "SO_CCCD": person["SO_CCCD"], "NGAY_SINH": person["NGAY_SINH"],
        "GIOI_TINH": person["GIOI_TINH"], "MA_THE_BHYT": "", "MA_DKBD": FACILITY,
        "GT_THE_TU": "", "GT_THE_DEN": "", "MA_DOITUONG_KCB": "2", "NGAY_VAO": "202603010815",
        "NGAY_VAO_NOI_TRU": "", "LY_DO_VNT": "", "MA_LY_DO_VNT": "", "MA_LOAI_KCB": "01",
        "MA_CSKCB": FACILITY, "MA_DICH_VU": "02.1896", "TEN_DICH_VU": "Khám bệnh",
        "MA_THUOC": "40.17", "TEN_THUOC": "Paracetamol", "MA_VAT_TU": "", "TEN_VAT_TU": "",
        "NGAY_YL": "202603010820", "DU_PHONG": "",
    }  # fmt: skip
    return {**row, **changes}


def test_a_checkin_file_is_read_into_checkins_records(tmp_path):
    rows = [checkin_row("LK1", PEOPLE[0]), checkin_row("LK2", PEOPLE[1], MA_LOAI_KCB="")]
    assert len(rows[0]) == 26  # the table's 26 fields
    result = parsed(tmp_path, checkin_bytes(*rows), CHECKIN_REL)
    assert result.status == "ok" and result.format == "qd130_xml", result.error_message
    first, second = result.records
    assert (first.dataset, first.record_id, first.locator) == ("checkins", "LK1", "check-in 1")
    assert first.fields["admitted_at"] == datetime(2026, 3, 1, 8, 15)
    assert first.fields["encounter_type"] == "emergency"  # MA_DOITUONG_KCB 2
    assert first.fields["drug_code"] == "40.17" and first.fields["facility_code"] == FACILITY
    assert first.fields["citizen_id"] == PEOPLE[0]["SO_CCCD"]  # bronze view; silver drops it
    assert second.fields["encounter_type"] is None  # a blank type of care stays absent


def test_a_checkin_file_with_another_root_or_a_dtd_is_rejected(tmp_path):
    wrong = parsed(tmp_path, checkin_bytes(checkin_row("LK1", PEOPLE[0]), root="TONG_HOP"),
                   CHECKIN_REL)  # fmt: skip
    assert (wrong.status, wrong.error_rule) == ("error", "xml.malformed_envelope")
    assert "CHI_TIEU_TRANG_THAI_KCB" in wrong.error_message
    bomb = BOMB.replace(b"GIAMDINHHS", b"CHI_TIEU_TRANG_THAI_KCB")
    refused = parsed(tmp_path, bomb, CHECKIN_REL.replace("083100", "090100"))
    assert (refused.status, refused.error_rule) == ("error", "xml.forbidden_dtd")


def test_checkin_names_are_xml_only_and_name_the_checkins_dataset():
    name = parse_landing_path(CHECKIN_REL)
    assert (name.dataset, name.format) == ("checkins", "qd130_xml")
    for bad in ("checkin__20260301T083100.csv", "checkins__20260301T083100.xml"):
        with pytest.raises(ValueError):
            parse_landing_path(f"{FACILITY}/2026-03-01/{bad}")


def _first_content(data: bytes, table: str) -> bytes:
    root = etree.fromstring(data)
    for element in root.iter("FILEHOSO"):
        if element.findtext("LOAIHOSO") == table:
            return base64.b64decode(element.findtext("NOIDUNGFILE"))
    raise AssertionError(f"no {table}")


def test_decomposed_text_character_references_and_comments_read_as_plain_text(tmp_path):
    """Most tables are read cell by cell as written (already NFC, no references); one that is not
    must give the very same records as its plain twin."""
    plain = dossier_bytes()
    inner = _first_content(plain, "XML2")
    nfd = unicodedata.normalize("NFD", "Ngày uống").encode()
    assert b"Ng\xc3\xa0y u\xe1\xbb\x91ng" in inner  # NFC as written by the simulator
    odd = inner.replace(b"Ng\xc3\xa0y u\xe1\xbb\x91ng", nfd, 1)
    odd = odd.replace("mỗi lần".encode(), "mo&#x302;&#x303;i lần".encode(), 1)
    odd = odd.replace(b"<STT>", b"<!-- ghi ch\xc3\xba --><STT>", 1)
    assert odd != inner
    twin = parsed(tmp_path, plain)
    other = parsed(tmp_path, _replace_first_content(plain, "XML2", odd),
                   REL.replace("061500", "071500"))  # fmt: skip
    assert other.status == "ok", other.error_message
    expected = [(r.fields, r.payload) for r in twin.records if r.dataset == "prescriptions"]
    got = [(r.fields, r.payload) for r in other.records if r.dataset == "prescriptions"]
    assert got == expected and "Ngày uống 2 lần, mỗi lần 1 viên" in got[0][0]["dosage"]
