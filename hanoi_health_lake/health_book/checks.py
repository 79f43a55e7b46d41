"""The feed's checks, read back from the outbox as a receiver would read it.

- every accepted episode sent to the book is in exactly one current document of its day;
- every document carries its Patient (Composition.subject resolves to a Patient with a CCCD);
- every Bundle is valid: every reference resolves inside it, and an independent FHIR model
  (fhir.resources, R4B) accepts it — all of them up to VALIDATE_ALL, a fixed spread beyond.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from hanoi_health_lake.formats.fhir_conventions import SID_CITIZEN_ID, SID_FACILITY

VALIDATE_ALL = 2_000  # above this, every n-th Bundle (a city day is ~100k; ~5 ms each)


def _resources(doc: dict) -> Iterator[tuple[str, dict]]:
    for entry in doc.get("entry", []):
        yield entry.get("fullUrl"), entry.get("resource", {})


def references(value) -> Iterator[str]:
    """Every `reference` string inside a resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def is_current(doc: dict) -> bool:
    return doc["entry"][0]["resource"].get("status") == "final"


def episodes(doc: dict) -> Iterator[tuple[str, str]]:
    """(facility code, encounter id) of each Encounter of a document."""
    for _, res in _resources(doc):
        if res.get("resourceType") == "Encounter":
            facility = res["meta"]["source"].removeprefix(f"{SID_FACILITY}:")
            yield facility, res["identifier"][0]["value"]


def episode_counts(docs: Iterable[dict]) -> Counter:
    return Counter(e for doc in docs if is_current(doc) for e in episodes(doc))


def without_patient(docs: Iterable[dict]) -> list[str]:
    """Document ids whose Composition.subject is not a Patient of the Bundle with a CCCD."""
    bad = []
    for doc in docs:
        by_url = dict(_resources(doc))
        composition = doc["entry"][0]["resource"]
        subject = by_url.get(composition.get("subject", {}).get("reference"))
        patients = [r for r in by_url.values() if r.get("resourceType") == "Patient"]
        has_cccd = subject is not None and any(
            i.get("system") == SID_CITIZEN_ID for i in subject.get("identifier", [])
        )
        if (
            composition.get("resourceType") != "Composition"
            or len(patients) != 1
            or not (subject is patients[0] and has_cccd)
        ):
            bad.append(doc["identifier"]["value"])
    return bad


def unresolved(doc: dict) -> list[str]:
    urls = {url for url, _ in _resources(doc)}
    return [ref for _, res in _resources(doc) for ref in references(res) if ref not in urls]


def invalid(docs: Iterable[dict], total: int) -> dict[str, str]:
    """Document id → the first problem, for Bundles with a dangling reference or that the FHIR
    model rejects (all Bundles when `total` ≤ VALIDATE_ALL, an even spread of that many beyond).
    Streams: a city day's documents are never all in memory."""
    from fhir.resources.R4B.bundle import Bundle  # imports ~1 s of models: only when checking

    problems: dict[str, str] = {}
    step = max(1, total // VALIDATE_ALL)
    for i, doc in enumerate(docs):
        doc_id = doc.get("identifier", {}).get("value", f"line {i + 1}")
        dangling = unresolved(doc)
        if dangling:
            problems[doc_id] = f"reference {dangling[0]} does not resolve in the Bundle"
        elif i % step == 0:
            try:
                Bundle.model_validate(doc)
            except ValueError as exc:
                problems[doc_id] = str(exc).splitlines()[0][:300]
    return problems


class Tally:
    """The three checks over one pass of the outbox."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.episodes: Counter = Counter()
        self.orphans: list[str] = []
        self.problems: dict[str, str] = {}

    def read(self, docs: Iterable[dict]) -> Tally:
        def batches() -> Iterator[dict]:
            for doc in docs:
                if is_current(doc):
                    self.episodes.update(episodes(doc))
                self.orphans += without_patient([doc])
                yield doc

        self.problems = invalid(batches(), self.total)
        return self
