"""Double-encoded text ("Uá»‘ng", "ViÃªn"): UTF-8 that a vendor's software read as
Windows-1252 and saved again as UTF-8. ftfy detects and undoes it.

Our choice is to repair and flag, not to quarantine: the damage is lossless (the repaired text is
exactly what the clinician typed), so quarantining would hold back valid records — diagnoses,
drug lines — for a vendor bug. Every repaired field gets `conformance.text_encoding` (a warn rule
in each contract), so the facility sees it in its data-quality feedback; bronze keeps the bytes
as delivered. The message never quotes the value (names and addresses stay out of silver).
"""

from __future__ import annotations

import re
from typing import Any

from ftfy import fix_encoding

from hanoi_health_lake.parsers import values
from hanoi_health_lake.records import RecordError

TEXT_ENCODING = "conformance.text_encoding"
# A cheap screen before ftfy: a UTF-8 lead byte read as Windows-1252 (Â…ô) followed by a
# continuation byte read as Windows-1252 (U+0080–U+00BF, or one of 1252's 0x80–0x9F letters).
# Vietnamese text never has a Latin-1 letter followed by one of those; ftfy decides the rest.
_SUSPECT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def repair_fields(
    fields: dict[str, Any], errors: list[RecordError], delivered: str | None = None
) -> None:
    """Undo double encoding in every text field, flagging each field repaired. `delivered`, when
    it holds every field's text (a CSV row's payload, not a FHIR resource joined with others):
    one search of it spares the field-by-field look at records with no suspect text."""
    if delivered is not None and (delivered.isascii() or not _SUSPECT.search(delivered)):
        return
    for key, value in fields.items():
        if type(value) is str and not value.isascii() and _SUSPECT.search(value):
            fixed = values.nfc(fix_encoding(value))
            if fixed != value:
                fields[key] = fixed
                errors.append(
                    RecordError(
                        TEXT_ENCODING,
                        key,
                        f"{key}: double-encoded UTF-8 (read as Windows-1252 and saved again), "
                        "repaired",
                    )
                )
