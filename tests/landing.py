"""Landing a delivered file in a test's landing root, where a facility's export lands:
`<facility>/<service day>/<name>`."""

from __future__ import annotations

from pathlib import Path

FOLDER = "01012/2026-03-01"


def land(root: Path, name: str, data: bytes, folder: str = FOLDER) -> str:
    """Write `data` as `<folder>/<name>` under `root`; returns that landing path (relative to
    `root`, as the parsers take it)."""
    relpath = f"{folder}/{name}"
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / relpath).write_bytes(data)
    return relpath
