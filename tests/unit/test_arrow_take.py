"""Taking rows chunk by chunk gives what one take over the joined chunks gives."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest

from hanoi_health_lake.arrow_take import gather_rows, take_column, take_rows


def _chunked(rng: np.random.Generator) -> pa.ChunkedArray:
    sizes = rng.integers(0, 40, size=12)  # empty chunks too
    start = np.cumsum([0, *sizes])
    return pa.chunked_array(
        [
            pa.array([f"row {i}" for i in range(a, b)], pa.string())
            for a, b in itertools.pairwise(start)
        ],
        pa.string(),
    )


@pytest.mark.parametrize("seed", range(5))
def test_rows_come_in_the_order_asked_repeats_included(seed: int):
    rng = np.random.default_rng(seed)
    column = _chunked(rng)
    rows = rng.integers(0, len(column), size=3 * len(column))  # unsorted, with repeats
    assert take_column(column, rows).to_pylist() == [f"row {i}" for i in rows]
    table = pa.table({"text": column, "n": pa.chunked_array([pa.array(range(len(column)))])})
    taken = take_rows(table, rows)
    assert taken.schema == table.schema
    assert taken.to_pydict() == table.combine_chunks().take(pa.array(rows)).to_pydict()


def test_no_rows_give_an_empty_column_of_the_type():
    column = pa.chunked_array([pa.array(["a", "b"]), pa.array(["c"])])
    empty = take_column(column, np.array([], dtype=np.int64))
    assert len(empty) == 0 and empty.type == pa.string()


@pytest.mark.parametrize("seed", range(5))
def test_gathered_rows_are_the_rows_asked_whether_sliced_or_copied(seed: int):
    rng = np.random.default_rng(seed)
    column = _chunked(rng)
    table = pa.table({"text": column, "n": pa.chunked_array([pa.array(range(len(column)))])})
    runs = np.concatenate([np.arange(3, 40), np.arange(60, len(column)), np.arange(0, 3)])
    scattered = rng.permutation(len(column))
    for rows in (runs, scattered, np.arange(len(column))):
        gathered = gather_rows(table, rows)
        assert gathered.to_pydict() == table.combine_chunks().take(pa.array(rows)).to_pydict()


@pytest.mark.parametrize("rows", [[4, 0, 2, 2, 1], [], [3], [0, 1, 2, 3, 4]])
def test_take_across_chunks_is_a_plain_take(rows):
    column = pa.chunked_array(
        [pa.array(["a", "b"]), pa.array([], pa.string()), pa.array(["c", None, "e"])]
    )
    indices = np.array(rows, dtype=np.int64)
    assert take_column(column, indices).to_pylist() == [column[i].as_py() for i in rows]
