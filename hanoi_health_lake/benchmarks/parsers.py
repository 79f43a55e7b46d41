"""`hhl bench parsers`: parser throughput on a synthetic city-like day (many small files).

QĐ 130 CSV files of 25 rows and FHIR NDJSON sets (Patient, Encounter, Condition) of 34
encounters, as a city day delivers them, each parsed once by `parse_file`; the baseline is a
plain Polars read of the same files. CPU time, not wall time: the figures must not depend on
what else the machine is doing. tests/unit/test_parsers_perf.py checks the generated day parses.
"""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
import time
from pathlib import Path

from hanoi_health_lake.formats import qd130
from hanoi_health_lake.parsers import parse_file

NAMES = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Long", "Phạm Thu Hà", "Đỗ Minh Đức"]
ICD = ["J06.9", "A97.0", "I10", "E11.9", "B08.4", "K29.7"]
DAY = "2026-03-01"


def _xml1_row(rng: random.Random, n: int) -> list[str]:
    row = {
        "MA_LK": f"LK{n:08d}", "STT": "1", "MA_BN": f"BN{n}", "HO_TEN": rng.choice(NAMES),
        "SO_CCCD": f"0010{rng.randint(10**7, 10**8 - 1)}",
        "NGAY_SINH": f"19{rng.randint(30, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
        "GIOI_TINH": str(rng.randint(1, 2)), "MA_THE_BHYT": "DN4010120012345",
        "DIA_CHI": "Số 1 phố Huế", "MAXA_CU_TRU": "00067", "DIEN_THOAI": "0912345678",
        "MA_BENH_CHINH": rng.choice(ICD), "MA_BENH_KT": ";".join(rng.sample(ICD, 2)),
        "MA_DOITUONG_KCB": "1", "NGAY_VAO": f"20260301{rng.randint(7, 16):02d}15",
        "NGAY_RA": "202603011730", "NGAY_TAI_KHAM": "20260308", "KET_QUA_DTRI": "1",
        "MA_LOAI_RV": "1", "T_TONGCHI_BV": str(rng.randint(1, 900) * 1000), "T_BHTT": "0",
        "T_BNTT": "0", "MA_LOAI_KCB": "01", "MA_KHOA": "K01", "MA_CSKCB": "01012",
        "CAN_NANG": f"{rng.uniform(3, 90):.1f}",
    }  # fmt: skip
    return [row.get(c, "") for c in qd130.XML1_COLUMNS]


def write_csv_day(root: Path, rows: int, per_file: int = 25, seed: int = 1) -> list[str]:
    """QĐ 130 XML1 files of `per_file` rows each, as a city day has (~400k rows, ~15k files)."""
    rng = random.Random(seed)
    relpaths = []
    for f in range(0, rows, per_file):
        relpath = (
            f"01{f // per_file % 1000:03d}/{DAY}/encounters__20260302T{f // 25000:02d}0000.csv"
        )
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(qd130.XML1_COLUMNS)
        writer.writerows(_xml1_row(rng, n) for n in range(f, min(f + per_file, rows)))
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(buf.getvalue(), encoding="utf-8")
        relpaths.append(relpath)
    return relpaths


ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ICD10 = "http://hl7.org/fhir/sid/icd-10"


def _patient(rng: random.Random, n: int) -> dict:
    return {
        "resourceType": "Patient",
        "id": f"p{n}",
        "identifier": [{"system": "urn:vn:moh:sid:cccd", "value": f"0011{n:08d}"}],
        "name": [{"text": rng.choice(NAMES)}],
        "gender": "female",
        "birthDate": "1980-05-06",
    }


def _encounter(n: int) -> dict:
    return {
        "resourceType": "Encounter",
        "id": f"e{n}",
        "identifier": [{"system": "urn:vn:moh:sid:ma-lk", "value": f"LK{n}"}],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "AMB"},
        "subject": {"reference": f"Patient/p{n}"},
        "period": {"start": "2026-03-01T08:00:00+07:00", "end": "2026-03-01T09:00:00+07:00"},
        "diagnosis": [{"condition": {"reference": f"Condition/c{n}"}, "rank": 1}],
    }


def _condition(rng: random.Random, n: int) -> dict:
    return {
        "resourceType": "Condition",
        "id": f"c{n}",
        "code": {"coding": [{"system": ICD10, "code": rng.choice(ICD)}]},
        "subject": {"reference": f"Patient/p{n}"},
        "encounter": {"reference": f"Encounter/e{n}"},
    }


def write_ndjson_day(root: Path, encounters: int, per_set: int = 34, seed: int = 2) -> list[str]:
    """NDJSON sets (Patient, Encounter, Condition files of one export), one per facility."""
    rng = random.Random(seed)
    relpaths = []
    for s in range(0, encounters, per_set):
        stem = f"01{s // per_set % 1000:03d}/{DAY}/encounters__20260302T{s // 34000:02d}0000"
        numbers = range(s, min(s + per_set, encounters))
        parts = {
            "Patient": [_patient(rng, n) for n in numbers],
            "Encounter": [_encounter(n) for n in numbers],
            "Condition": [_condition(rng, n) for n in numbers],
        }
        for part, resources in parts.items():
            relpath = f"{stem}.{part}.ndjson"
            lines = [json.dumps(res, ensure_ascii=False) for res in resources]
            (root / relpath).parent.mkdir(parents=True, exist_ok=True)
            (root / relpath).write_text("\n".join(lines) + "\n", encoding="utf-8")
            relpaths.append(relpath)
    return relpaths


def measure(root: Path, relpaths: list[str]) -> tuple[int, int, float]:
    """(counted records, all resources or rows, CPU seconds) for parsing every file once.

    CPU time, not wall time: the figures must not depend on what else the machine is doing.
    """
    start = time.process_time()
    counted = total = 0
    for relpath in relpaths:
        parsed = parse_file(root, relpath)
        _require(parsed.status == "ok", f"{relpath}: {parsed.error_message}")
        counted += len(parsed.records)
        total += len(parsed.records) + len(parsed.auxiliary)
    return counted, total, time.process_time() - start


def check_csv(root: Path, rows: int) -> tuple[list[str], int, float]:
    relpaths = write_csv_day(root, rows)
    counted, _, seconds = measure(root, relpaths)
    _require(counted == rows, f"{counted} of {rows} CSV rows counted")
    sample = parse_file(root, relpaths[-1]).records[-1]
    _require(
        sample.errors == [] and sample.fields["encounter_type"] == "outpatient",
        f"last CSV row: {sample.errors}, {sample.fields.get('encounter_type')}",
    )
    return relpaths, counted, seconds


def check_ndjson(root: Path, encounters: int) -> tuple[list[str], int, int, float]:
    relpaths = write_ndjson_day(root, encounters)
    counted, total, seconds = measure(root, relpaths)
    _require(
        (counted, total) == (encounters, 3 * encounters),
        f"{counted} encounters, {total} resources from {encounters} encounters",
    )
    joined = parse_file(root, relpaths[1]).records[0].fields
    _require(
        joined["full_name"] in NAMES and joined["primary_icd10"] in ICD,
        f"first encounter joined to {joined.get('full_name')!r}, {joined.get('primary_icd10')!r}",
    )
    return relpaths, counted, total, seconds


def _require(condition: bool, message: str) -> None:
    """A benchmark of a parser that drops or mangles records would measure the wrong thing."""
    if not condition:
        raise RuntimeError(f"parser benchmark: {message}")


def _polars_seconds(root: Path, relpaths: list[str], read) -> float:
    """The baseline of the ingest benchmark: a plain Polars read of the same files (CPU s)."""
    start = time.process_time()
    for relpath in relpaths:
        read(root / relpath)
    return time.process_time() - start


def _figures(counts: dict[str, int], unit: str, files: int, seconds: float, base: float) -> dict:
    """One format's figures: what was parsed (`counts`), its files, CPU seconds, `unit`s per
    second, and the plain Polars read's CPU seconds (`base`) with the ratio to it."""
    return {
        **counts,
        "files": files,
        "cpu_seconds": round(seconds, 2),
        f"{unit}_per_second": round(counts[unit] / seconds),
        "polars_cpu_seconds": round(base, 2),
        "ratio_to_polars": round(seconds / base, 2),
    }


def bench_parsers(rows: int = 100_000) -> dict:
    """Figures for `rows` CSV rows and `rows // 3` NDJSON encounters (three resources each)."""
    import polars as pl

    with tempfile.TemporaryDirectory(prefix="hhl-bench-parsers-") as tmp:
        root = Path(tmp)
        relpaths, counted, seconds = check_csv(root / "csv", rows)
        base = _polars_seconds(root / "csv", relpaths, lambda p: pl.read_csv(p, infer_schema=False))
        csv_figures = _figures({"rows": counted}, "rows", len(relpaths), seconds, base)
        relpaths, counted, total, seconds = check_ndjson(root / "ndjson", rows // 3)
        base = _polars_seconds(root / "ndjson", relpaths, pl.read_ndjson)
        counts = {"resources": total, "encounters": counted}
        ndjson_figures = _figures(counts, "resources", len(relpaths), seconds, base)
    return {"qd130_csv": csv_figures, "fhir_ndjson": ndjson_figures}
