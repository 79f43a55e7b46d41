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

Check-ins go further (`ALONE`): their rules are per row or per file, they lend and borrow no
patient, and their table holds one row per accepted check-in. So a hospital's new check-in file
whose record ids no earlier file of its day has is judged alone, and the day's earlier
check-ins keep their rows: the check-ins are judged once, not again with every new file.

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


# Datasets whose new files are judged alone when they share no record id with the facility's
# earlier files of the day (see the module doc).
ALONE = ("checkins",)
Alone = Mapping[tuple[str, str], frozenset[str]]  # (facility, dataset) → files judged alone


def judged_alone(
    bronze_files: pa.Table,
    staged: pl.DataFrame,
    dataset: str,
    scope: Scope,
    changed: Collection[str],
) -> dict[tuple[str, str], frozenset[str]]:
    """(facility, dataset) → the changed files of the facility, where they can be judged
    without its earlier files of `dataset` (which `staged` holds): they share no record id."""
    if dataset not in ALONE:
        return {}
    wanted = pl.Series(sorted(set(changed)), dtype=pl.Utf8).implode()
    files = pl.from_arrow(bronze_files.select(["facility_code", "source_file"]))
    new_files = files.filter(pl.col("source_file").is_in(wanted))
    alone = {}
    for facility in facilities_judging(scope, dataset):
        rows = staged.filter(pl.col("facility_folder") == facility)
        is_new = pl.col("source_file").is_in(wanted)
        earlier = rows.filter(~is_new)
        if earlier.is_empty():
            continue  # nothing earlier: judging all of it is judging the new files
        ids = set(rows.filter(is_new)["record_id"].drop_nulls().to_list())
        if ids & set(earlier["record_id"].drop_nulls().to_list()):
            continue  # a record sent again: the versions must be judged together
        mine = new_files.filter(pl.col("facility_code") == facility)["source_file"]
        alone[(facility, dataset)] = frozenset(mine.to_list())
    return alone


def judged_rows(
    frame: pl.DataFrame, alone: Alone, facility_column: str, dataset: str | None = None
) -> pl.Series:
    """Which rows of `frame` a batch judges: all but those of the earlier files of a (facility,
    dataset) judged alone. `frame` names each row's dataset, or holds `dataset`'s rows only."""
    if not alone:
        return pl.Series("judged", [True] * frame.height, dtype=pl.Boolean)
    key = [facility_column, _DATASET]
    files = pl.DataFrame(
        [(f, d, file) for (f, d), names in alone.items() for file in sorted(names)],
        schema={facility_column: pl.Utf8, _DATASET: pl.Utf8, "source_file": pl.Utf8},
        orient="row",
    )  # fmt: skip
    flagged = (
        frame.select(facility_column, "source_file",
                     (pl.col("dataset") if dataset is None else pl.lit(dataset)).alias(_DATASET))
        .join(files.select(key).unique().with_columns(_alone=pl.lit(True)), on=key, how="left",
              maintain_order="left")
        .join(files.with_columns(_new=pl.lit(True)), on=[*key, "source_file"], how="left",
              maintain_order="left")
    )  # fmt: skip
    return (flagged["_alone"].is_null() | flagged["_new"].fill_null(False)).alias("judged")


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
