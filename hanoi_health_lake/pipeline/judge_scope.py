"""Which datasets of a slice an arrival batch judges again: those its files can change.

A slice (one facility's files of one service day) used to be judged whole whenever a file of it
arrived. A hospital that sends check-ins every half hour then had its imaging studies, and
everything else it sent that day, judged again some twenty times a day, though a check-in
changes none of them. Within a facility's day the datasets are judged apart (supersession,
uniqueness and reconciliation are per dataset), except that the datasets that name an encounter
but not its patient (`BORROWS_PATIENT`) take the patient from the day's encounters. So a file
can change the rows of the datasets of its records, and of its own dataset (a file that failed
has no records, but counts in reconciliation); and where encounters or a borrower are among
them, of the encounters and every borrower. The other datasets of the facility keep the rows
they have in the lake.

The changed files are the batch's arrivals, not what the parse cache lacked: a batch killed
after a store was written is retried with the same arrivals, so it judges the same datasets.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl
import pyarrow as pa

Scope = Mapping[str, frozenset[str]]  # facility (landing folder, as in the tables) → datasets
# Tables holding rows of every dataset of a facility, by dataset: a batch writes the rows of the
# datasets it judged and keeps the lake's rows of the others.
SHARED_TABLES = ("quarantine", "reconciliation")


def touched(
    bronze_files: pa.Table,
    staged: Mapping[str, pl.DataFrame],
    changed: Collection[str],
    borrowers: Collection[str],
) -> Scope:
    """Per facility, the datasets the `changed` files (source_file values) can change."""
    wanted = pl.Series(sorted(set(changed)), dtype=pl.Utf8)
    files = pl.from_arrow(bronze_files.select(["facility_code", "dataset", "source_file"]))
    pairs = [
        files.filter(pl.col("source_file").is_in(wanted.implode()))
        .select("facility_code", pl.col("dataset").fill_null("unknown"))
    ]  # fmt: skip
    for dataset, frame in staged.items():
        if frame.is_empty():
            continue
        rows = frame.filter(pl.col("source_file").is_in(wanted.implode()))
        pairs.append(
            rows.select(pl.col("facility_folder").alias("facility_code"), dataset=pl.lit(dataset))
            .unique()
        )  # fmt: skip
    linked = {"encounters", *borrowers}  # the encounters lend their patients to the borrowers
    scope: dict[str, set[str]] = {}
    for facility, dataset in pl.concat(pairs).unique().iter_rows():
        scope.setdefault(facility, set()).add(dataset)
    return {
        facility: frozenset(datasets | linked if datasets & linked else datasets)
        for facility, datasets in scope.items()
    }


def facilities_judging(scope: Scope, dataset: str) -> list[str]:
    return sorted(facility for facility, datasets in scope.items() if dataset in datasets)


def pairs(scope: Scope) -> pl.DataFrame:
    """(facility_code, dataset) of every dataset in scope."""
    rows = [(f, d) for f, datasets in scope.items() for d in sorted(datasets)]
    return pl.DataFrame(rows, schema={"facility_code": pl.Utf8, _DATASET: pl.Utf8}, orient="row")


def within(frame: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    """The rows of `frame` whose (facility_code, dataset) is in scope."""
    return _join(frame, scope, "semi")


def outside(frame: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    """The rows of `frame` whose (facility_code, dataset) is not in scope."""
    return _join(frame, scope, "anti")


_DATASET = "_dataset"


def _join(frame: pl.DataFrame, scope: Scope, how: str) -> pl.DataFrame:
    # A file whose name says no dataset counts under "unknown", as in reconciliation.
    keyed = frame.with_columns(pl.col("dataset").cast(pl.Utf8).fill_null("unknown").alias(_DATASET))
    return keyed.join(pairs(scope), on=["facility_code", _DATASET], how=how).drop(_DATASET)
