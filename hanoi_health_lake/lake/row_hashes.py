"""The row hashes of a table's data files, kept beside the table: an arrival batch compares the
rows a facility already holds with its new ones without reading them back.

`lake.slice_commit` compares a batch facility's held rows with its new rows as multisets of
two 64-bit hashes of the compared columns. Reading the held rows back was a third of a batch's
commit time, and a hospital that sends check-ins every half hour had its whole day read again
every time. So the batch that writes a data file also writes, per row of it, its facility and
the two hashes: `<table>/_facility_index/rows/<service day>/<data file name>.arrow`, row i for
row i of the file. Data files never change, so neither do their hashes.

A hash file records what its hashes were computed over (the compared columns, their types, the
Polars version: `hash_rows` is only stable within one version); one that does not match, or
cannot be read, is ignored, and the rows are read instead, as for the files written another way
(a whole-day run, a compaction). It is only ever a shortcut.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from hanoi_health_lake.lake import kept_reads
from hanoi_health_lake.lake.catalog import FACILITY_COLUMN
from hanoi_health_lake.lake.facility_index import FOLDER, write_whole

SOURCE_COLUMN = "source_file"
HASH, HASH2 = "_row_hash", "_row_hash2"
ROW = "_row"
FILE_COLUMN = "_file"  # load_many: which of the data files asked for a row is in
_SEEDS = (0x48484C, 0x5EED)
_SIGNATURE = b"signature"


def signature(types: pl.Schema) -> str:
    """What the hashes of rows of `types` depend on."""
    text = "\n".join([pl.__version__, *(f"{name}:{dtype}" for name, dtype in types.items())])
    return hashlib.sha256(f"{text}\n{_SEEDS}".encode()).hexdigest()[:16]


def hashes(frame: pl.DataFrame) -> pl.DataFrame:
    """Two 64-bit hashes of each row of `frame` (a 128-bit fingerprint of its values)."""
    return pl.DataFrame(
        {HASH: frame.hash_rows(seed=_SEEDS[0]), HASH2: frame.hash_rows(seed=_SEEDS[1])}
    )


def _folder(root: Path, service_date: date) -> Path:
    return root / FOLDER / "rows" / service_date.isoformat()


def _path(root: Path, service_date: date, data_path: str) -> Path:
    return _folder(root, service_date) / f"{Path(data_path).name}.arrow"


def save(
    root: Path,
    service_date: date,
    data_path: str,
    facilities: pa.ChunkedArray | pa.Array,
    row_hashes: pl.DataFrame,
    signed: str,
    sources: pa.ChunkedArray | pa.Array | None = None,
) -> None:
    """The hashes of the rows of the data file `data_path` (in the file's row order), and, for
    a table of rows named by file, the `source_file` of each (`SOURCE_COLUMN`)."""
    columns = {
        FACILITY_COLUMN: facilities,
        HASH: row_hashes[HASH].to_arrow(),
        HASH2: row_hashes[HASH2].to_arrow(),
    }
    if sources is not None:
        columns[SOURCE_COLUMN] = sources
    table = pa.table(columns).replace_schema_metadata({_SIGNATURE: signed.encode()})
    path = _path(root, service_date, data_path)
    write_whole(path, table)
    kept_reads.keep(str(path), table)  # the batches after it look in it again


def load_many(
    root: Path,
    service_date: date,
    data_paths: list[str],
    codes: list[str],
    signed: str,
    sourced: bool = False,
) -> tuple[pl.DataFrame, list[int]]:
    """(facility, hashes, row, and `SOURCE_COLUMN` when `sourced`) of the rows of `codes` in the
    data files, each with the index of its file in `data_paths` (`FILE_COLUMN`); and the
    indexes of the files without a usable hash file, or without `SOURCE_COLUMN` when it is
    asked for (their rows are read instead). One frame for all the files: a batch looks in a
    few files per table, and converting each file's rows on its own cost more than finding
    them."""
    wanted = pa.array(codes, pa.string())
    columns = [FACILITY_COLUMN, HASH, HASH2, *([SOURCE_COLUMN] if sourced else [])]
    parts, unhashed = [], []
    for file_no, data_path in enumerate(data_paths):
        table = _read(root, service_date, data_path, signed)
        if table is None or not set(columns).issubset(table.column_names):
            unhashed.append(file_no)
            continue
        held = pc.is_in(table[FACILITY_COLUMN], value_set=wanted)
        rows = np.flatnonzero(held.to_numpy(zero_copy_only=False))
        if len(rows):
            part = table.select(columns).take(pa.array(rows))
            parts.append(
                part.append_column(ROW, pa.array(rows, pa.int64())).append_column(
                    FILE_COLUMN, pa.repeat(pa.scalar(file_no, pa.int64()), len(rows))
                )
            )
    if not parts:
        return pl.DataFrame(), unhashed
    return pl.from_arrow(pa.concat_tables(parts)), unhashed


def load_all(root: Path, service_date: date, data_path: str, signed: str) -> pl.DataFrame | None:
    """The two hashes of every row of the data file, in its row order; None as `load`."""
    table = _read(root, service_date, data_path, signed)
    return None if table is None else pl.from_arrow(table.select([HASH, HASH2]))


def _read(root: Path, service_date: date, data_path: str, signed: str) -> pa.Table | None:
    path = str(_path(root, service_date, data_path))
    table = kept_reads.kept(path)
    if table is None:
        try:
            with pa.memory_map(path) as source:
                table = pa.ipc.open_file(source).read_all()
        except (OSError, pa.ArrowInvalid):
            return None
        kept_reads.keep(path, table)
    if (table.schema.metadata or {}).get(_SIGNATURE) != signed.encode():
        return None
    return table


def drop_unlisted(root: Path, service_date: date, live: set[str]) -> None:
    """Delete the hash files of data files no longer in the table."""
    folder = _folder(root, service_date)
    if not folder.is_dir():
        return
    names = {f"{Path(p).name}.arrow" for p in live}
    for path in folder.iterdir():
        if path.name not in names and not path.name.startswith("."):
            path.unlink(missing_ok=True)
