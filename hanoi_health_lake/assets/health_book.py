"""The citizen's health book: the day's per-citizen FHIR document feed (docs/health-book.md).

`identities` (restricted, encrypted) is written by the day's ingest; this asset is the only reader
that decrypts it (every read audited), and writes the outbox for VNeID/iHanoi plus two
pseudonymous tables: every version issued and each accepted encounter's outcome.
"""

import warnings

import dagster as dg
import polars as pl

from hanoi_health_lake.health_book import checks, outbox
from hanoi_health_lake.health_book.feed import SENT, feed_day
from hanoi_health_lake.health_book.keys import identity_key
from hanoi_health_lake.health_book.tables import table_path
from hanoi_health_lake.lake.delta_io import read_table
from hanoi_health_lake.partitions import service_day
from hanoi_health_lake.resources import LakeResource, PseudonymizerResource

SOURCES = [
    "identities", "encounters", "diagnoses", "prescription_items", "referrals", "appointments",
    "imaging_studies", "lab_results",
]  # fmt: skip
ONE_DOCUMENT = "every_episode_in_one_document"
HAS_PATIENT = "every_document_has_its_patient"
VALID = "every_bundle_valid"
DESCRIPTIONS = {
    ONE_DOCUMENT: "Every accepted episode with a usable citizen id, not withheld, is in exactly "
    "one current document of its day.",
    HAS_PATIENT: "Every document's Composition.subject is the one Patient of its Bundle, with a "
    "citizen id (CCCD).",
    VALID: "Every reference resolves inside its Bundle, and the FHIR R4B model of fhir.resources "
    "accepts the Bundles (all up to 2,000 a day, a spread of 2,000 beyond).",
}


def _spec(name: str) -> dg.AssetCheckSpec:
    with warnings.catch_warnings():  # partitioned checks are a preview feature (ingest.py)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name,
            asset="health_book_feed",
            description=DESCRIPTIONS[name],
            partitions_def=service_day,
            blocking=name != VALID,
        )


@dg.asset(
    group_name="health_book",
    partitions_def=service_day,
    deps=SOURCES,
    kinds={"deltalake", "polars"},
    tags={"zone": "outbox"},
    check_specs=[_spec(ONE_DOCUMENT), _spec(HAS_PATIENT), _spec(VALID)],
    description=(
        "The day's health-book feed for VNeID/iHanoi: one FHIR document Bundle per citizen "
        "(outbox/health_book/<day>/part-NNNN.ndjson + manifest.json, owner-only), re-issued "
        "with a new version on a correction, withdrawn on an opt-out. Also writes "
        "health_book/health_book_documents and health_book/health_book_entries."
    ),
)
def health_book_feed(
    context: dg.AssetExecutionContext, lake: LakeResource, pseudonymizer: PseudonymizerResource
):
    day = context.partition_time_window.start.date()
    fed = feed_day(
        lake.root,
        day,
        pseudonym_key=pseudonymizer.key_bytes(),
        identity_key=identity_key(),
        run_id=context.run.run_id,
    )
    tally = checks.Tally(fed.manifest["documents"]).read(outbox.read_documents(lake.root, day))
    entries = pl.from_arrow(read_table(table_path(lake.lake, "health_book_entries"), [day]))
    expected = {
        (r["facility_code"], r["encounter_id"])
        for r in entries.filter(pl.col("outcome") == SENT).to_dicts()
    }
    counts = tally.episodes
    twice = sorted(k for k, n in counts.items() if n > 1)
    missing = sorted(expected - set(counts))
    extra = sorted(set(counts) - expected)
    orphans, invalid = tally.orphans, tally.problems
    results = [
        dg.AssetCheckResult(
            check_name=ONE_DOCUMENT,
            passed=not (twice or missing or extra),
            metadata={
                "episodes_expected": len(expected),
                "in_two_or_more": len(twice),
                "missing": len(missing),
                "not_expected": len(extra),
                "examples": [f"{f}/{e}" for f, e in (twice + missing + extra)[:5]],
            },
        ),
        dg.AssetCheckResult(
            check_name=HAS_PATIENT,
            passed=not orphans,
            metadata={"documents": tally.total, "without_patient": len(orphans)},
        ),
        dg.AssetCheckResult(
            check_name=VALID,
            passed=not invalid,
            metadata={
                "documents": tally.total,
                "invalid": len(invalid),
                "first_problems": [f"{k}: {v}" for k, v in list(invalid.items())[:3]],
            },
        ),
    ]
    return dg.MaterializeResult(
        metadata={
            "outbox": str(fed.folder),
            "citizens": fed.manifest["citizens"],
            "documents": fed.manifest["documents"],
            "withdrawn": fed.manifest["withdrawn"],
            "withheld": fed.manifest["withheld"],
            **{f"encounters_{k}": v for k, v in sorted(fed.outcomes.items())},
        },
        check_results=results,
    )


HEALTH_BOOK_ASSETS = [health_book_feed]
