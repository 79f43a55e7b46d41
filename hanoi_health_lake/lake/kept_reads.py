"""What was read of files that never change, kept within one arrivals run.

A table's data files, and the row-hash files beside them (lake.row_hashes), are written once and
never changed: a new version of their rows gets a new file name. An arrivals run's batches look
in the same files again and again — a hospital's files of the day, for every batch that brings
it a check-in — so within `remembered` (one run: lake/delta_io.tables_kept_open) what was read of
them is kept by the file's path and the part read. Nothing has to be dropped when the table
moves on: a file the table no longer holds is simply not asked for again. Past KEPT_BYTES,
everything kept is dropped and read again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import pyarrow as pa

KEPT_BYTES = 256 * 1024 * 1024


@dataclass
class _Kept:
    tables: dict[Hashable, pa.Table] = field(default_factory=dict)
    size: int = 0


_KEPT: ContextVar[_Kept | None] = ContextVar("hhl_kept_reads", default=None)


@contextmanager
def remembered() -> Iterator[None]:
    """Within (nested: the outer one's), `kept` finds what `keep` was given."""
    if _KEPT.get() is not None:
        yield
        return
    token = _KEPT.set(_Kept())
    try:
        yield
    finally:
        _KEPT.reset(token)


def kept(key: Hashable) -> pa.Table | None:
    """What `keep` was given under `key` (a file's path, and which part of it), within
    `remembered`; None outside it or when it was not (or no longer) kept."""
    memo = _KEPT.get()
    return memo.tables.get(key) if memo is not None else None


def keep(key: Hashable, table: pa.Table) -> None:
    """Keep `table`, read of an unchanging file, under `key` (outside `remembered`: nothing)."""
    memo = _KEPT.get()
    if memo is None:
        return
    size = table.nbytes
    if memo.size + size > KEPT_BYTES:
        memo.tables.clear()
        memo.size = 0
    memo.tables[key] = table
    memo.size += size
