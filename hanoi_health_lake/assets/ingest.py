"""The service day's ingest: landing files → bronze, quarantine, silver and reconciliation.

One multi-asset, because one parse feeds every table: reading the files once per day is what keeps
the ingest near the speed of a plain bulk read. Each table's partition is one Delta commit.
"""

import warnings

import dagster as dg
import polars as pl

from hanoi_health_lake.checks import ingest_checks, silver_keys
from hanoi_health_lake.health_book.cipher import IdentityCipher
from hanoi_health_lake.health_book.identities import encrypt_identities, write_identities
from hanoi_health_lake.health_book.keys import identity_key
from hanoi_health_lake.lake.delta_io import read_table, table_exists
from hanoi_health_lake.lake.key_fingerprint import check_key
from hanoi_health_lake.lake.zones import HEALTH_BOOK_TABLE_ZONES
from hanoi_health_lake.partitions import service_day
from hanoi_health_lake.pipeline.ingest_day import accepted_in_silver, ingest_day
from hanoi_health_lake.pipeline.volume import history_window, volume_outliers
from hanoi_health_lake.pipeline.write_day import TABLE_ZONES, table_path, write_day
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from hanoi_health_lake.resources import LakeResource, PseudonymizerResource

# table → (group, description); zones come from pipeline.write_day.TABLE_ZONES
TABLES = {
    "bronze_files": ("bronze", "One row per delivered file: format, size, parse status."),
    "bronze_records": ("bronze", "Every delivered record as delivered, with provenance."),
    "quarantine": ("bronze", "Rejected records and files, with the rules broken."),
    "encounters": ("silver", "One row per accepted encounter (episode)."),
    "diagnoses": ("silver", "One row per ICD-10 code of an accepted encounter."),
    "prescriptions": ("silver", "One row per accepted e-prescription."),
    "prescription_items": ("silver", "One row per accepted drug line."),
    "referrals": ("silver", "One row per accepted referral letter."),
    "appointments": ("silver", "One row per accepted re-examination appointment."),
    "imaging_studies": ("silver", "One row per accepted imaging study."),
    "services": ("silver", "One row per accepted service or supply line (XML3 of a dossier)."),
    "lab_results": ("silver", "One row per accepted lab or imaging result (XML4 of a dossier)."),
    "reconciliation": ("silver", "Per facility and dataset: delivered = kept + rejected."),
}
# The silver table that holds each staged dataset's accepted records.
DATASET_TABLE = {
    "encounters": "encounters",
    "prescriptions": "prescription_items",
    "referrals": "referrals",
    "appointments": "appointments",
    "imaging_studies": "imaging_studies",
    "services": "services",
    "lab_results": "lab_results",
}

_REFERENCE_DEPS = ["facilities", "wards", "icd10", "drugs"]

IDENTITIES_SPEC = dg.AssetSpec(
    "identities",
    group_name="health_book",
    description=(
        "Restricted: who each accepted encounter with a usable citizen id is about, each "
        "identifying field encrypted (AES-256-GCM, HHL_IDENTITY_KEY); read only by the health "
        "book feed, every read audited. Daily partition; Delta table restricted/identities."
    ),
    kinds={"deltalake", "polars"},
    partitions_def=service_day,
    tags={"zone": HEALTH_BOOK_TABLE_ZONES["identities"]},
)

SPECS = [
    dg.AssetSpec(
        name,
        group_name=group,
        description=(
            f"{description} Daily partition by service date; "
            f"Delta table {TABLE_ZONES[name]}/{name}."
        ),
        kinds={"deltalake", "polars"},
        deps=_REFERENCE_DEPS if name == "bronze_files" else [],
        partitions_def=service_day,
        tags={"zone": TABLE_ZONES[name]},
    )
    for name, (group, description) in TABLES.items()
] + [IDENTITIES_SPEC]


def _check_spec(name: str, table: str, **kwargs) -> dg.AssetCheckSpec:
    # Partitioned checks are a preview feature; they are what ties each evaluation to its
    # service day (and resolves the check Dagster planned for that day, so none shows Skipped).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name,
            asset=table,
            description=ingest_checks.DESCRIPTIONS[name],
            partitions_def=service_day,
            **kwargs,
        )


CHECK_SPECS = [
    *(_check_spec(ingest_checks.CONTRACT_CHECK, table) for table in DATASET_TABLE.values()),
    _check_spec(ingest_checks.VOLUME_CHECK, "encounters"),
    _check_spec(ingest_checks.RECONCILIATION_CHECK, "reconciliation", blocking=True),
    *(
        _check_spec(silver_keys.DUPLICATE_KEY_CHECK, table, blocking=True)
        for table in silver_keys.SILVER_KEYS
    ),
]


@dg.multi_asset(
    name="ingest_service_day",
    specs=SPECS,
    check_specs=CHECK_SPECS,
    partitions_def=service_day,
    pool="lake_ingest",
)
def ingest_service_day(
    context: dg.AssetExecutionContext, lake: LakeResource, pseudonymizer: PseudonymizerResource
):
    """Parse, validate and land every file delivered for one service day."""
    service_date = context.partition_time_window.start.date()
    # A different key would give every returning patient a new patient_key: refuse it.
    check_key(lake.lake, pseudonymizer.key_bytes())
    registry = load_registry(lake.registry)
    day = ingest_day(
        lake.landing,
        service_date,
        registry_codes=registry_codes(registry),
        key=pseudonymizer.key_bytes(),
        run_id=context.run.run_id,
    )
    versions = write_day(lake.lake, day, context.run.run_id)
    identities = encrypt_identities(
        day.identities, IdentityCipher(identity_key()), service_date, context.run.run_id
    )
    identities_version = write_identities(lake.lake, identities, service_date, context.run.run_id)
    del day.identities  # the clear identities leave memory as soon as they are encrypted
    context.log.info(f"{service_date}: wrote {sum(t.num_rows for t in day.tables.values())} rows")
    names = dict(registry.select("facility_code", "name").iter_rows())

    checks = {
        table: [
            ingest_checks.contract_check(
                table, day.rules[ds], day.suites[ds], day.tables["quarantine"], ds, names
            )
        ]
        for ds, table in DATASET_TABLE.items()
    }
    checks["encounters"].append(_volume(lake, day.tables["encounters"], service_date, names))
    bronze = pl.from_arrow(day.tables["bronze_records"].select(["is_auxiliary"]))
    checks["reconciliation"] = [
        ingest_checks.reconciliation_check(
            "reconciliation",
            day.tables["reconciliation"],
            {ds: accepted_in_silver(day.tables, t) for ds, t in DATASET_TABLE.items()},
            int((~bronze["is_auxiliary"]).sum()),
            names,
        )
    ]
    for name in silver_keys.SILVER_KEYS:  # read back from the Delta tables just written
        checks.setdefault(name, []).append(
            silver_keys.duplicate_key_check(name, table_path(lake.lake, name), service_date)
        )
    yield dg.MaterializeResult(
        asset_key="identities",
        metadata={
            "dagster/row_count": identities.num_rows,
            "delta_version": identities_version,
            "key_id": identities["key_id"][0].as_py() if identities.num_rows else "",
        },
    )
    for name in TABLES:
        table = day.tables[name]
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={
                "dagster/row_count": table.num_rows,
                "delta_version": versions[name],
                "path": lake.table(TABLE_ZONES[name], name),
                **_extra_metadata(name, day),
            },
            check_results=checks.get(name, []),
        )


def _volume(lake: LakeResource, encounters, service_date, names) -> dg.AssetCheckResult:
    today = pl.from_arrow(encounters.select(["facility_code"])).group_by("facility_code").len("n")
    path = lake.table("silver", "encounters")
    history = pl.DataFrame(
        schema={"facility_code": pl.Utf8, "service_date": pl.Date, "n": pl.UInt32}
    )
    if table_exists(path):
        past = read_table(path, history_window(service_date), ["facility_code", "service_date"])
        history = pl.from_arrow(past).group_by("facility_code", "service_date").len("n")
    return ingest_checks.volume_check("encounters", volume_outliers(today, history), names)


def _extra_metadata(name: str, day) -> dict:
    if name == "reconciliation":
        rec = pl.from_arrow(day.tables["reconciliation"])
        totals = rec.group_by("dataset").agg(
            pl.col("delivered", "accepted", "quarantined", "superseded", "files_failed").sum()
        )
        day_totals = {
            column: int(rec[column].sum()) if rec.height else 0
            for column in ("delivered", "accepted", "quarantined", "superseded")
        }  # what `hhl run` prints for the day
        return {"by_dataset": {r.pop("dataset"): r for r in totals.to_dicts()}, **day_totals}
    if name == "quarantine":
        q = pl.from_arrow(day.tables["quarantine"].select(["rule_ids"])).explode("rule_ids")
        top = q.group_by("rule_ids").len().sort("len", descending=True).head(15)
        return {"rejections_by_rule": dict(top.iter_rows())}
    return {}


INGEST_ASSETS = [ingest_service_day]
