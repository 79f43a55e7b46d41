"""A file refused for its encoding or layout says which encoding it most likely is; bytes that
are surely not Windows-1258 are refused rather than decoded into nonsense."""

from __future__ import annotations

import json

from hanoi_health_lake.benchmarks.parsers import write_csv_day
from hanoi_health_lake.formats import qd130
from hanoi_health_lake.parsers import parse_file
from hanoi_health_lake.simulator.encodings import encode_text
from tests.landing import land

DAY = "01012/2026-03-01"


CHINESE_ROWS = [
    "王小明,感冒發燒咳嗽,台北市立醫院",
    "李大華,高血壓糖尿病,國立台灣大學醫學院附設醫院",
] * 20


def test_big5_csv_with_a_qd130_header_is_refused_as_big5(tmp_path):
    header = ",".join(qd130.XML1_COLUMNS[:3])
    data = "\n".join([header, *CHINESE_ROWS]).encode("big5")
    parsed = parse_file(tmp_path, land(tmp_path, "encounters__20260302T061500.csv", data))
    assert (parsed.status, parsed.error_rule) == ("error", "file.encoding")
    assert "the bytes are big5, not UTF-8 or Windows-1258" in parsed.error_message


def test_a_layout_refusal_names_the_likely_encoding(tmp_path):
    data = "\n".join(["病人姓名,診斷,醫院", *CHINESE_ROWS]).encode("big5")
    big5 = parse_file(tmp_path, land(tmp_path, "encounters__20260302T061500.csv", data))
    assert big5.error_rule == "file.encoding"
    assert "big5" in big5.error_message
    latin = "\n".join(["Nom,Prénom,Adresse", *["Müller,José,Straße 5 Zürich café"] * 20])
    cp1252 = parse_file(
        tmp_path, land(tmp_path, "encounters__20260302T071500.csv", latin.encode("cp1252"))
    )
    assert cp1252.error_rule == "file.unknown_layout"
    assert "the header has no QĐ 130 column names (the bytes are most likely cp125" in (
        cp1252.error_message
    )


def test_utf16_ndjson_is_one_encoding_refusal_not_malformed_records(tmp_path):
    lines = [json.dumps({"resourceType": "Encounter", "id": f"e{i}"}) for i in range(2)]
    data = "\n".join(lines).encode("utf-16")
    parsed = parse_file(
        tmp_path, land(tmp_path, "encounters__20260302T061500.Encounter.ndjson", data)
    )
    assert (parsed.status, parsed.error_rule, parsed.records) == ("error", "file.encoding", [])
    assert "UTF-16 or NUL bytes; NDJSON must be UTF-8" in parsed.error_message
    assert "utf_16" in parsed.error_message


def test_an_accepted_windows_1258_file_is_not_refused(tmp_path):
    write_csv_day(tmp_path, rows=25, per_file=25)
    (relpath,) = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.csv")]
    text = (tmp_path / relpath).read_text(encoding="utf-8")
    (tmp_path / relpath).write_bytes(encode_text(text, "cp1258"))
    parsed = parse_file(tmp_path, relpath)
    assert (parsed.status, parsed.encoding, len(parsed.records)) == ("ok", "cp1258", 25)


def test_vietnamese_windows_1258_is_told_apart_without_charset_normalizer(monkeypatch):
    """Windows-1258 that reads as Vietnamese is answered by the cheap check; only other bytes
    go to charset-normalizer, which still names a CJK or UTF-16 encoding."""
    from hanoi_health_lake.parsers import encodings

    vietnamese = encode_text("Nguyễn Thị Hương,Viêm phổi cấp,Bệnh viện Đống Đa\n" * 40, "cp1258")
    asked: list[bytes] = []
    real = encodings.from_bytes
    monkeypatch.setattr(encodings, "from_bytes", lambda data: asked.append(data) or real(data))
    assert encodings.foreign_multibyte(vietnamese) is None and asked == []
    shift_jis = "\n".join(CHINESE_ROWS[:2] * 20).encode("shift_jis", errors="ignore")
    big5 = "\n".join(CHINESE_ROWS).encode("big5")
    assert encodings.foreign_multibyte(big5) in encodings.FOREIGN_MULTIBYTE
    assert len(asked) == 1  # Big5 decodes in Windows-1258 to letters Vietnamese never uses
    encodings.foreign_multibyte(shift_jis)
    assert len(asked) == 2
