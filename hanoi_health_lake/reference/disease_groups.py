"""Disease groups for counts and surveillance, read from `data/disease_groups.csv`.

A group lists ICD-10 items separated by `;`: a category (`B05`), a sub-category (`B08.4`) or a
range of categories (`J00-J06`). A code belongs to a group when it equals or sits under one item.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from hanoi_health_lake.reference.icd10 import normalise


@dataclass(frozen=True)
class DiseaseGroup:
    group_id: str
    name_vi: str
    name_en: str
    items: tuple[str, ...]
    notifiable_class: str | None
    report_within_hours: int | None

    def contains(self, code: str | None) -> bool:
        norm = normalise(code)
        if not norm:
            return False
        return any(_item_contains(item, norm) for item in self.items)


def _item_contains(item: str, code: str) -> bool:
    if "-" in item:
        low, high = item.split("-")
        return low <= code[:3] <= high
    return code == item or code.startswith(item + ".") or (len(item) == 3 and code[:3] == item)


@cache
def disease_groups() -> tuple[DiseaseGroup, ...]:
    path = resources.files("hanoi_health_lake.data").joinpath("disease_groups.csv")
    with path.open(encoding="utf-8") as fh:
        return tuple(
            DiseaseGroup(
                group_id=row["group_id"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                items=tuple(i.strip() for i in row["icd10"].split(";") if i.strip()),
                notifiable_class=row["notifiable_class"] or None,
                report_within_hours=int(row["report_within_hours"])
                if row["report_within_hours"]
                else None,
            )
            for row in csv.DictReader(fh)
        )


def groups_for(code: str | None) -> list[str]:
    return [g.group_id for g in disease_groups() if g.contains(code)]
