"""Reference data as Arrow tables, ready to land in the lake's `reference` zone."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from hanoi_health_lake.reference import icd10
from hanoi_health_lake.reference.disease_groups import disease_groups
from hanoi_health_lake.reference.registry import load_registry
from hanoi_health_lake.reference.wards import hanoi_wards


def facilities_table(registry_path: Path) -> pa.Table:
    return load_registry(registry_path).to_arrow()


def wards_table() -> pa.Table:
    wards = hanoi_wards()
    return pa.table(
        {
            "ward_code": [w.code for w in wards],
            "ward_name": [w.name for w in wards],
            "ward_kind": [w.kind for w in wards],
        }
    )


def icd10_table() -> pa.Table:
    codes = sorted(icd10.accepted_codes())
    supplement = icd10.supplement()
    return pa.table(
        {
            "code": codes,
            "description": [icd10.description(c) for c in codes],
            "chapter": [icd10.chapter(c) for c in codes],
            "source": ["vn_supplement" if c in supplement else "who_2019" for c in codes],
        }
    )


def disease_groups_table() -> pa.Table:
    groups = disease_groups()
    return pa.table(
        {
            "group_id": [g.group_id for g in groups],
            "name_vi": [g.name_vi for g in groups],
            "name_en": [g.name_en for g in groups],
            "icd10": [list(g.items) for g in groups],
            "notifiable_class": [g.notifiable_class for g in groups],
            "report_within_hours": pa.array([g.report_within_hours for g in groups], pa.int32()),
        }
    )


def drugs_table() -> pa.Table:
    from hanoi_health_lake.reference.drugs import drugs

    rows = drugs()
    return pa.table(
        {
            "drug_code": [d.drug_code for d in rows],
            "generic_name": [d.generic_name for d in rows],
            "atc_code": [d.atc_code for d in rows],
            "routes": [list(d.routes) for d in rows],
            "is_antibiotic": [d.is_antibiotic for d in rows],
            "brand_names": [list(d.brand_names) for d in rows],
        }
    )
