"""The outbox: `HHL_HOME/outbox/health_book/<service_date>/part-NNNN.ndjson` + `manifest.json`.

One Bundle per line, ordered by document id; a day's folder is replaced whole (written beside it,
then renamed), so a receiver never reads half a day. Everything is owner-only (0700 folders, 0600
files): the documents name citizens. `read_documents` is the reader the look-up API uses.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from pathlib import Path

from hanoi_health_lake.lake.restricted import DIR_MODE, FILE_MODE, OWNER_ONLY_UMASK

DOCUMENTS_PER_PART = 5000
MANIFEST = "manifest.json"


def _batches(lines: Iterable, size: int) -> Iterator[list]:
    it = iter(lines)
    while chunk := list(islice(it, size)):
        yield chunk


def outbox_root(home: Path) -> Path:
    return Path(home) / "outbox" / "health_book"


def day_dir(home: Path, day: date | str) -> Path:
    return outbox_root(home) / (day.isoformat() if isinstance(day, date) else day)


def _owner_only_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(DIR_MODE)


def write_day(home: Path, day: date, lines: Iterable[str | bytes], manifest: dict) -> Path:
    """Write the day's documents (already serialised, in order; str or UTF-8 bytes) and its
    manifest; returns the folder. `manifest` gets `parts` added. The lines are consumed as they
    are written: a generator keeps only one part in memory."""
    root = outbox_root(home)
    for folder in (Path(home) / "outbox", root):
        _owner_only_dir(folder)
    final = day_dir(home, day)
    fresh = root / f".{final.name}.writing"
    if fresh.exists():
        shutil.rmtree(fresh)
    previous = os.umask(OWNER_ONLY_UMASK)
    try:
        _owner_only_dir(fresh)
        parts = []
        for n, chunk in enumerate(_batches(lines, DOCUMENTS_PER_PART), start=1):
            data = b"".join(
                (line if type(line) is bytes else line.encode("utf-8")) + b"\n" for line in chunk
            )
            name = f"part-{n:04d}.ndjson"
            (fresh / name).write_bytes(data)
            parts.append(
                {"name": name, "documents": len(chunk), "sha256": hashlib.sha256(data).hexdigest()}
            )
            del data, chunk
        body = {**manifest, "parts": parts}
        (fresh / MANIFEST).write_text(
            json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        for path in fresh.iterdir():
            path.chmod(FILE_MODE)
    finally:
        os.umask(previous)
    if final.exists():
        old = root / f".{final.name}.old"
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
        fresh.rename(final)
        shutil.rmtree(old)
    else:
        fresh.rename(final)
    return final


def read_manifest(home: Path, day: date | str) -> dict:
    return json.loads((day_dir(home, day) / MANIFEST).read_text(encoding="utf-8"))


def read_documents(home: Path | str, day: date | str) -> Iterator[dict]:
    """Every Bundle of the day's outbox, parsed, in file order (parts in manifest order). A day
    never fed yields nothing. A part whose sha256 differs from the manifest raises ValueError."""
    folder = day_dir(Path(home), day)
    if not (folder / MANIFEST).exists():
        return
    manifest = read_manifest(Path(home), day)
    for part in manifest["parts"]:
        data = (folder / part["name"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != part["sha256"]:
            raise ValueError(f"{folder / part['name']}: sha256 differs from the manifest")
        for line in data.decode("utf-8").splitlines():
            if line:
                yield json.loads(line)


def fed_days(home: Path | str) -> list[str]:
    root = outbox_root(Path(home))
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).exists())
