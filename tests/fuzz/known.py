"""Failures the fuzzing suite found that are reported and being fixed (docs/testing.md § Known
findings).

An example whose every broken invariant matches a known finding makes the test xfail, naming the
findings; anything else fails it. When the fix of a finding is merged, delete its entry here: the
fuzzer then fails if the finding comes back.
"""

from __future__ import annotations

import re

# finding id → (what the broken-invariant or exception text matches, owner and summary)
KNOWN: dict[str, tuple[re.Pattern[str], str]] = {}


def classify(problems: list[str]) -> set[str] | None:
    """The known findings that explain every problem, or None if one is unexplained."""
    found: set[str] = set()
    for problem in problems:
        ids = {fid for fid, (pattern, _) in KNOWN.items() if pattern.search(problem)}
        if not ids:
            return None
        found |= ids
    return found


def reason(ids: set[str]) -> str:
    return "; ".join(f"{fid} ({KNOWN[fid][1]})" for fid in sorted(ids))
