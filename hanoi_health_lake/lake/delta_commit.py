"""The arrival path's Delta commits, written by hand: a commit file put in place, no log replay.

An arrival batch commits about a dozen tables, most of them with a few hundred rows. delta-rs's
`create_write_transaction` cost 4 to 7 ms a commit (2026-12-05, a city day's tables), and the
table object it leaves behind is not at the new version: bringing it up to date before the
next commit or read cost another 3 to 5 ms. Both replay the log since the last checkpoint, so
both grow until the next one. Together that was a quarter of what the batches of a city day
paid beyond one whole-day ingest. Writing the commit file itself costs 0.1 to 0.2 ms.

What keeps such a commit correct:

- **One writer.** Every writer of a lake table holds its writer lock (lake.locks) from reading
  the version to committing, so the next version is this commit's. The file is still created
  put-if-absent (written under a temporary name in `_delta_log`, then hard-linked to its
  version's name, which fails if that name exists: what delta-rs does on a local file
  system), so a writer that skipped the lock fails loudly instead of overwriting a commit.
- **Only what the protocol allows without more.** The commit carries add and remove actions
  of one table with its schema unchanged. A table whose protocol asks a writer for more —
  any writer feature but `timestampNtz` (whose only demand is on the data files' types, which
  the table's schema already fixes), append-only, CHECK constraints, a change data feed,
  invariants — is committed by delta-rs as before.
- **delta-rs for the rest.** It still reads every table, writes the checkpoints (every
  CHECKPOINT_EVERY versions, after bringing the table object up to date) and does every other
  write (whole-day overwrites, schema changes, compaction, vacuum).

`TableHead` is a writer's view of a table kept open (lake/delta_io.tables_kept_open): the
object delta-rs opened and the latest version, which may be later than the object's by commits
written here. What a commit changed is kept by lake.day_files, so the object is brought up to
date only when something needs more than that (a read of the whole table, a checkpoint).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from deltalake import CommitProperties, DeltaTable
from deltalake.transaction import AddAction, RemoveAction

CHECKPOINT_EVERY = 10
# Writer features a commit of add and remove actions satisfies as it is.
HANDLED_FEATURES = frozenset({"timestampNtz"})
# Table properties that ask a writer for more than adding and removing files.
_DEMANDING = ("delta.appendOnly", "delta.enableChangeDataFeed", "delta.enableDeletionVectors")
ENGINE = "hanoi-health-lake (commit written by hand: lake/delta_commit.py)"


class CommitRaced(RuntimeError):
    """The version a commit was written for exists: another writer did not hold the lock."""


@dataclass
class TableHead:
    """A Delta table as a writer sees it: the object delta-rs opened, and the latest `version`,
    later than the object's when this process has committed by hand since."""

    table: DeltaTable
    version: int

    @classmethod
    def of(cls, table: DeltaTable) -> TableHead:
        return cls(table, table.version())

    @property
    def root(self) -> Path:
        return Path(self.table.table_uri.removeprefix("file://"))

    def current(self) -> DeltaTable:
        """The table object at `version`: opened again only when behind."""
        if self.table.version() < self.version:
            self.reopen()
        return self.table

    def reopen(self) -> None:
        """Open the table again at its latest version. Not brought up to date in place:
        delta-rs 1.6's `update_incremental` took some 34 ms of CPU ten commits behind, where
        opening the table from its last checkpoint takes 6–10 (a city day of batches every
        three minutes: `commit`, with its checkpoints, 28 CPU-s → 13)."""
        self.table = DeltaTable(str(self.root))
        self.version = max(self.version, self.table.version())

    def caught_up(self) -> None:
        """The object was brought up to date by another route (a delta-rs write)."""
        self.version = max(self.version, self.table.version())


def commit(
    head: TableHead,
    actions: list[AddAction | RemoveAction],
    metadata: dict[str, str],
    partition_by: list[str],
) -> int:
    """Commit `actions` as the version after `head.version` and return it (`head` moves on).
    The caller holds the table's writer lock."""
    if written_by_hand(head.table):
        version = head.version + 1
        _put(head.root, version, _lines(actions, metadata, partition_by))
        head.version = version
    else:
        table = head.current()
        table.create_write_transaction(
            actions,
            mode="append",
            schema=table.schema(),
            partition_by=partition_by,
            commit_properties=CommitProperties(custom_metadata=metadata),
        )
        table.update_incremental()
        head.version = table.version()
    if head.version % CHECKPOINT_EVERY == 0:
        # Batches commit often: opening a table replays its log since the last checkpoint.
        head.current().create_checkpoint()
    return head.version


def written_by_hand(table: DeltaTable) -> bool:
    """Whether a commit of add and remove actions is all this table's protocol asks for."""
    protocol = table.protocol()
    features = set(protocol.writer_features or ())
    if protocol.min_writer_version > 7 or not features <= HANDLED_FEATURES:
        return False
    configuration = table.metadata().configuration
    if any(configuration.get(key, "false").lower() == "true" for key in _DEMANDING):
        return False
    if any(key.startswith("delta.constraints.") for key in configuration):
        return False
    # Writer version 2 without features: column invariants live in the schema's metadata.
    return "delta.invariants" not in table.schema().to_json()


def _lines(
    actions: list[AddAction | RemoveAction], metadata: dict[str, str], partition_by: list[str]
) -> list[dict]:
    info = {
        "timestamp": int(time.time() * 1000),
        "operation": "WRITE",
        "operationParameters": {"mode": "Append", "partitionBy": json.dumps(partition_by)},
        "engineInfo": ENGINE,
        **metadata,
    }
    return [{"commitInfo": info}, *(_action(a) for a in actions)]


def _action(action: AddAction | RemoveAction) -> dict:
    if isinstance(action, AddAction):
        return {
            "add": {
                "path": action.path,
                "partitionValues": dict(action.partition_values),
                "size": action.size,
                "modificationTime": action.modification_time,
                "dataChange": action.data_change,
                "stats": action.stats,
            }
        }
    return {
        "remove": {
            "path": action.path,
            "dataChange": action.data_change,
            "deletionTimestamp": action.deletion_timestamp,
            "extendedFileMetadata": True,
            "partitionValues": dict(action.partition_values or {}),
            "size": action.size,
        }
    }


def _put(root: Path, version: int, lines: list[dict]) -> None:
    """Create the version's commit file with `lines`, only if it does not exist."""
    log = root / "_delta_log"
    target = log / f"{version:020d}.json"
    staged = log / f"_commit_{uuid.uuid4()}.json.tmp"
    staged.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    try:
        os.link(staged, target)
    except FileExistsError:
        raise CommitRaced(
            f"{root}: version {version} was committed by another writer while this one held "
            "the table's writer lock"
        ) from None
    finally:
        staged.unlink()
