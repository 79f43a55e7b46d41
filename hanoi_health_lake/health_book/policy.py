"""What the book must not receive: citizens who opted out, and categories of care withheld.

- `registry/health_book_opt_out.csv` (columns `citizen_id,scope`): `scope` = `all` (the citizen
  asked not to have the book filled) or a category below (only that care is left out). Read on
  every feed run: an opt-out also withdraws documents already sent.
- HIV care is withheld for everyone (Law on HIV/AIDS prevention, Art. 8: confidentiality): an
  encounter with a diagnosis in a withheld category is left out with everything linked to it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

# Category → ICD-10 code prefixes (3-character categories, dot-free codes).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "hiv": ("B20", "B21", "B22", "B23", "B24", "Z21"),
    "mental_health": tuple(f"F{n:02d}" for n in range(100)),
    "sexual_health": ("A50", "A51", "A52", "A53", "A54", "A55", "A56", "A57", "A58", "A59",
                      "A60", "A63", "A64"),
}  # fmt: skip
ALWAYS_WITHHELD = ("hiv",)
OPT_OUT_FILE = "health_book_opt_out.csv"


def opt_out_path(home: Path) -> Path:
    return Path(home) / "registry" / OPT_OUT_FILE


@dataclass(frozen=True)
class Policy:
    opted_out: frozenset[str] = frozenset()  # citizen ids (12 digits)
    restricted: dict[str, frozenset[str]] = field(default_factory=dict)  # citizen → categories

    def categories_for(self, citizen_id: str) -> frozenset[str]:
        return frozenset(ALWAYS_WITHHELD) | self.restricted.get(citizen_id, frozenset())


def category_of(icd10: str | None, categories: frozenset[str]) -> str | None:
    """The first withheld category an ICD-10 code falls in, if any."""
    if not icd10:
        return None
    code = icd10.replace(".", "").upper()
    for name in sorted(categories):
        if code.startswith(CATEGORIES[name]):
            return name
    return None


def load_policy(home: Path) -> Policy:
    path = opt_out_path(home)
    if not path.exists():
        return Policy()
    opted_out: set[str] = set()
    restricted: dict[str, set[str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            citizen = "".join(ch for ch in (row.get("citizen_id") or "") if ch.isdigit())
            scope = (row.get("scope") or "all").strip().lower()
            if len(citizen) != 12:
                continue
            if scope == "all":
                opted_out.add(citizen)
            elif scope in CATEGORIES:
                restricted.setdefault(citizen, set()).add(scope)
            else:
                raise ValueError(f"{path}: unknown scope {scope!r} (all, {', '.join(CATEGORIES)})")
    return Policy(frozenset(opted_out), {k: frozenset(v) for k, v in restricted.items()})
