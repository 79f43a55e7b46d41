"""The shared drug list: common active ingredients in Vietnam with ATC codes (`data/drugs.csv`).

`drug_code` (`D001`…) is this project's own code for an active ingredient — the value facilities put
in QĐ 130 XML2 `MA_THUOC` and in FHIR codings with system `urn:vn:moh:sid:ma-thuoc`. It is not a
number from the Ministry's insurance drug list (TT 20/2022); swap the file for that list when a
licensed copy is at hand. `routes` holds route codes (first = usual), which facilities also send in
XML2 `DUONG_DUNG` and FHIR `dosageInstruction.route` (system `urn:vn:moh:cs:duong-dung`).

`is_antibiotic` marks antibacterials for systemic use: ATC J01, plus oral metronidazole (P01AB01),
which prescribing studies in Vietnam count with them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Route code → Vietnamese label as printed on prescriptions.
ROUTE_NAMES_VI = {
    "oral": "Uống",
    "sublingual": "Ngậm dưới lưỡi",
    "iv": "Tiêm tĩnh mạch",
    "im": "Tiêm bắp",
    "sc": "Tiêm dưới da",
    "rectal": "Đặt hậu môn",
    "topical": "Dùng ngoài",
    "eye": "Nhỏ mắt",
    "inhalation": "Khí dung / hít",
}
INJECTION_ROUTES = frozenset({"iv", "im", "sc"})


@dataclass(frozen=True)
class Drug:
    drug_code: str
    generic_name: str
    atc_code: str
    routes: tuple[str, ...]
    is_antibiotic: bool
    brand_names: tuple[str, ...]


@cache
def drugs() -> tuple[Drug, ...]:
    path = resources.files("hanoi_health_lake.data").joinpath("drugs.csv")
    with path.open(encoding="utf-8") as fh:
        return tuple(
            Drug(
                drug_code=row["drug_code"],
                generic_name=row["generic_name"],
                atc_code=row["atc_code"],
                routes=tuple(row["routes"].split(";")),
                is_antibiotic=row["is_antibiotic"] == "1",
                brand_names=tuple(b for b in row["brand_names"].split(";") if b),
            )
            for row in csv.DictReader(fh)
        )


@cache
def drugs_by_code() -> dict[str, Drug]:
    return {d.drug_code: d for d in drugs()}
