"""What `hhl demo` (and an operator) is told about the feed: where it is, what it holds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hanoi_health_lake.health_book.outbox import MANIFEST, day_dir, outbox_root, read_manifest


def feed_summary(home: Path, days: list[date]) -> str:
    fed = [d for d in days if (day_dir(home, d) / MANIFEST).exists()]
    if not fed:
        return "Health book: no feed written for these days."
    manifests = [read_manifest(home, d) for d in fed]
    total = {k: sum(m[k] for m in manifests) for k in ("citizens", "documents", "encounters")}
    withdrawn = sum(m["withdrawn"] for m in manifests)
    withheld = sum(sum(m["withheld_encounters"].values()) for m in manifests)
    lines = [
        f"Citizens' health book (FHIR documents for VNeID/iHanoi, owner-only): {outbox_root(home)}",
        f"  {len(fed)} day(s): {total['citizens']:,} citizen-day documents carrying "
        f"{total['encounters']:,} episodes; {total['documents']:,} documents in all "
        f"({withdrawn:,} withdrawn), {withheld:,} episodes withheld",
    ]
    for day, m in zip(fed, manifests, strict=True):
        lines.append(
            f"  {day}: {m['citizens']:>7,} citizens  {m['documents']:>7,} documents  "
            f"{len(m['parts'])} part(s)  {day_dir(home, day)}"
        )
    return "\n".join(lines)
