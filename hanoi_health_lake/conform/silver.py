"""Accepted staged records → the silver tables of docs/lake-tables.md, pseudonymous and typed.

Direct identifiers (records.PII_FIELDS) only feed `patient_key` and never reach an output column;
the output is cast to `SILVER_SCHEMAS`, which has none of them.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from hanoi_health_lake.conform import person
from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.lake.catalog import PERSON, PROVENANCE, SILVER_SCHEMAS
from hanoi_health_lake.reference import icd10

# The id an `episode:` patient key falls back to, per dataset.
EPISODE_COLUMN = {
    "encounters": "encounter_id",
    "prescriptions": "encounter_id",
    "referrals": "encounter_id",
    "appointments": "encounter_id",
    "imaging_studies": "study_uid",
    "services": "encounter_id",
    "lab_results": "encounter_id",
    "checkins": "encounter_id",
}
LOOKUP_KEY = ("facility_folder", "encounter_id")
BORROWS_PATIENT = (
    "prescriptions",
    "referrals",
    "appointments",
    "services",
    "lab_results",
)  # records that name an encounter
_LOOKUP_FACTS = ("patient_key", "patient_key_type", "sex", "birth_year", "birth_date", "ward_code")


def encounter_lookup(encounters: pl.DataFrame, pseudonymizer: Pseudonymizer) -> pl.DataFrame:
    """Who each encounter is about, keyed by landing folder and encounter id.

    CSV drug lines, referral and appointment letters carry no citizen id; they borrow the
    patient of the encounter they name. `birth_date` stays in memory only (for ages).
    """
    keys = pseudonymizer.patient_keys(encounters, EPISODE_COLUMN["encounters"])
    return (
        pl.concat([encounters, keys], how="horizontal")
        .with_columns(birth_year=person.birth_year())
        .select(*LOOKUP_KEY, *_LOOKUP_FACTS)
        .filter(pl.all_horizontal(pl.col(LOOKUP_KEY).is_not_null()))
        .unique(subset=list(LOOKUP_KEY), keep="last", maintain_order=True)
    )


def conform(
    dataset: str,
    accepted: pl.DataFrame,
    pseudonymizer: Pseudonymizer,
    encounter_lookup: pl.DataFrame | None = None,
    *,
    run_id: str | None = None,
) -> dict[str, pa.Table]:
    """The silver tables one staged dataset feeds (lake.catalog.SILVER_TABLES), as Arrow."""
    people = _with_people(dataset, accepted, pseudonymizer, encounter_lookup)
    frames = _BUILDERS[dataset](people)
    return {name: _to_arrow(frame, SILVER_SCHEMAS[name], run_id) for name, frame in frames.items()}


def _with_people(
    dataset: str,
    frame: pl.DataFrame,
    pseudonymizer: Pseudonymizer,
    lookup: pl.DataFrame | None,
) -> pl.DataFrame:
    frame = frame.with_columns(pseudonymizer.patient_keys(frame, EPISODE_COLUMN[dataset]))
    if lookup is not None and dataset in BORROWS_PATIENT:
        borrowed = {name: f"_enc_{name}" for name in _LOOKUP_FACTS}
        frame = frame.join(
            lookup.select(*LOOKUP_KEY, *_LOOKUP_FACTS).rename(borrowed),
            on=list(LOOKUP_KEY),
            how="left",
            maintain_order="left",
        )
        # A citizen id on the record itself is as strong as it gets; otherwise the encounter's
        # key is, since it usually rests on the citizen id the CSV tables leave out.
        borrow = (pl.col("patient_key_type") != "cccd").fill_null(True) & pl.col(
            "_enc_patient_key"
        ).is_not_null()
        frame = frame.with_columns(
            *(
                pl.when(borrow).then(pl.col(f"_enc_{name}")).otherwise(pl.col(name)).alias(name)
                for name in ("patient_key", "patient_key_type")
            ),
            *(
                pl.coalesce(name, f"_enc_{name}").alias(name)
                for name in ("sex", "birth_year", "birth_date", "ward_code")
            ),
        ).drop(borrowed.values())
    return frame.with_columns(
        birth_year=person.birth_year(),
        age_years=person.age_years(person.visit_date(dataset)),
    )


def _encounters(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    encounters = _normalise_icd10(frame, "primary_icd10", "secondary_icd10").with_columns(
        followup_date=pl.col("followup_dates").list.min()
    )
    return {"encounters": encounters, "diagnoses": _diagnoses(encounters)}


def _diagnoses(encounters: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct code of an encounter: the primary first, then secondaries in order."""
    keep = [name for name, _ in PERSON + PROVENANCE if name != "run_id"]
    base = encounters.with_row_index("_order").select(
        "_order", *keep, "encounter_id", "admitted_at", "primary_icd10", "secondary_icd10"
    )
    primary = base.filter(pl.col("primary_icd10").is_not_null()).with_columns(
        icd10=pl.col("primary_icd10"), _pos=pl.lit(0, dtype=pl.Int32)
    )
    secondary = (
        base.with_columns(
            icd10=pl.col("secondary_icd10"),
            _pos=pl.int_ranges(1, pl.col("secondary_icd10").list.len() + 1, dtype=pl.Int32),
        )
        .explode(["icd10", "_pos"])
        .filter(pl.col("icd10").is_not_null())
    )
    codes = (
        pl.concat([primary, secondary])
        .sort("_order", "_pos")
        .unique(subset=["_order", "icd10"], keep="first", maintain_order=True)
    )
    chapters = {code: icd10.chapter(code) for code in codes["icd10"].unique().to_list()}
    return codes.with_columns(
        icd10_chapter=pl.col("icd10").replace_strict(chapters, default=None, return_dtype=pl.Utf8),
        is_primary=pl.col("_pos") == 0,
        seq=pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("_order"),
    )


def _prescriptions(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Drug lines, and one header per e-prescription code (per encounter where it is absent)."""
    first = [
        pl.col(name).drop_nulls().first()
        for name in ("patient_key", "patient_key_type", "sex", "birth_year", "ward_code",
                     "doctor_id", "source_file", "source_format")
    ]  # fmt: skip
    headers = frame.group_by(
        ["facility_code", "service_date", "prescription_code", "encounter_id"],
        maintain_order=True,
    ).agg(
        *first,
        pl.col("age_years").min(),
        pl.col("ordered_at").min(),
        pl.len().alias("n_items"),
        pl.col("export_ts").max(),
        pl.col("record_no").min(),
    )
    return {"prescription_items": frame, "prescriptions": headers}


def _referrals(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    referrals = _normalise_icd10(frame, "primary_icd10").with_columns(
        referred_at=pl.col("discharged_at")  # XML13 NGAY_RA / ServiceRequest.authoredOn
    )
    return {"referrals": referrals}


def _appointments(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    appointments = _normalise_icd10(frame, "primary_icd10").with_columns(
        appointment_date=pl.col("appointment_at").cast(pl.Date)
    )
    return {"appointments": appointments}


STUDY_KEY = ("facility_code", "service_date", "study_uid")


def _imaging_studies(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """One row per study: a modality sends one file per instance, maybe over several exports of
    the day, so the accepted instances of a study are rolled up. Study facts come from the latest
    export that carries them; the counts say what was received (instances and series by UID,
    `records_received` every accepted record rolled in, for reconciliation)."""
    ordered = frame.with_row_index("_order").sort(
        "export_ts", "source_file", "record_no", "_order", nulls_last=False
    )
    file_facts = ("export_ts", "source_file", "record_no", "source_format")
    counted = ("number_of_instances", "instances_received", "series_received", "records_received")
    study_facts = [
        name
        for name in SILVER_SCHEMAS["imaging_studies"].names
        if name in ordered.columns and name not in (*STUDY_KEY, *file_facts, *counted, "run_id")
    ]
    studies = (
        ordered.group_by(STUDY_KEY, maintain_order=True)
        .agg(
            *(pl.col(name).drop_nulls().last() for name in study_facts),
            *(pl.col(name).last() for name in file_facts),
            pl.col("number_of_instances").max(),
            pl.col("instance_uid").drop_nulls().n_unique().alias("instances_received"),
            pl.col("series_uid").drop_nulls().n_unique().alias("series_received"),
            pl.len().alias("records_received"),
            pl.col("_order").min(),
        )
        .sort("_order")
        .drop("_order")
    )
    return {"imaging_studies": studies}


_BUILDERS = {
    "encounters": _encounters,
    "prescriptions": _prescriptions,
    "referrals": _referrals,
    "appointments": _appointments,
    "imaging_studies": _imaging_studies,
    "services": lambda frame: {"services": frame},
    "lab_results": lambda frame: {"lab_results": frame},
    "checkins": lambda frame: {"checkins": frame},
}


def _normalise_icd10(
    frame: pl.DataFrame, primary: str, secondary: str | None = None
) -> pl.DataFrame:
    """`j069` → `J06.9`, once per distinct code."""
    codes = set(frame[primary].drop_nulls().to_list())
    if secondary:
        codes |= set(frame[secondary].explode().drop_nulls().to_list())
    norm = {code: icd10.normalise(code) for code in codes}

    def mapped(expr: pl.Expr) -> pl.Expr:
        return expr.replace_strict(norm, default=None, return_dtype=pl.Utf8)

    exprs = [mapped(pl.col(primary))]
    if secondary:
        exprs.append(pl.col(secondary).list.eval(mapped(pl.element())))
    return frame.with_columns(exprs)


def _to_arrow(frame: pl.DataFrame, schema: pa.Schema, run_id: str | None) -> pa.Table:
    exprs = []
    for column in schema:
        expr = pl.lit(run_id, dtype=pl.Utf8) if column.name == "run_id" else pl.col(column.name)
        if pa.types.is_timestamp(column.type) and column.type.tz:
            expr = expr.dt.replace_time_zone(column.type.tz)
        exprs.append(expr.alias(column.name))
    return frame.select(exprs).to_arrow().cast(schema)
