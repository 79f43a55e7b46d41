"""Diagnoses and encounter deliveries of a day straight from landing files, for the benchmark.

The full ingest validates every dataset with Great Expectations and writes the whole lake, about
10 s per tiny day here; the detection benchmark needs months of several simulated cities. This
reads only the encounters files, with the pipeline's own parser, staging, correction handling
and conforming (so patient keys, wards and codes are exactly silver's), and leaves out the
contract checks: records a parser flagged are dropped, the few that only a contract rule would
reject are kept.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import polars as pl

from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.conform.silver import conform
from hanoi_health_lake.conform.staging import staged_frame
from hanoi_health_lake.outbreaks.cases import DIAGNOSIS_COLUMNS
from hanoi_health_lake.parsers.dispatch import parse_file
from hanoi_health_lake.parsers.landing_paths import discover
from hanoi_health_lake.pipeline.supersede import mark_superseded
from hanoi_health_lake.records import ParsedFile

ENCOUNTERS_PREFIX = "encounters__"


def read_encounters_day(
    landing: Path, day: date, registry_codes: frozenset[str], pseudonymizer: Pseudonymizer
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(diagnoses, deliveries) of one service day: diagnoses with DIAGNOSIS_COLUMNS plus
    facility_code; deliveries as bronze_files rows (service_date, facility_code, dataset,
    status) of the encounters files."""
    relpaths = [
        p for p in discover(landing, day) if p.rsplit("/", 1)[-1].startswith(ENCOUNTERS_PREFIX)
    ]
    parsed: list[ParsedFile] = [
        parse_file(landing, relpath, registry_codes=registry_codes) for relpath in relpaths
    ]
    deliveries = pl.DataFrame(
        {
            "service_date": [day] * len(parsed),
            "facility_code": [p.path.split("/", 1)[0] for p in parsed],
            "dataset": ["encounters"] * len(parsed),
            "status": [p.status for p in parsed],
        },
        schema={"service_date": pl.Date, "facility_code": pl.Utf8, "dataset": pl.Utf8,
                "status": pl.Utf8},
    )  # fmt: skip
    items = [(p, record) for p in parsed if p.status == "ok" for record in p.records]
    staged = mark_superseded(staged_frame("encounters", items, service_date=day))
    clean = staged.filter(~pl.col("is_superseded") & (pl.col("parse_errors").list.len() == 0))
    diagnoses = pl.from_arrow(conform("encounters", clean, pseudonymizer)["diagnoses"])
    return diagnoses.select("facility_code", *DIAGNOSIS_COLUMNS), deliveries


def throwaway_pseudonymizer() -> Pseudonymizer:
    """Keys only need to be consistent within one benchmark run."""
    return Pseudonymizer(secrets.token_bytes(32))
