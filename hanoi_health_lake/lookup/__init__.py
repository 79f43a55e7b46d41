"""The look-up API: facilities' own software reads a citizen's health book (docs/lookup-api.md).

The health-book documents are loaded into a PostgreSQL serving store (`store`, `loader`), keyed
by a keyed hash of the citizen id; a Starlette app (`app`) serves them as FHIR R4 to registered
facility clients (`clients`, `tokens`) for a reason — the citizen's consent (`consent`) or a
flagged break-glass — and writes every request, allowed or refused, to the audit table (`audit`).
"""
