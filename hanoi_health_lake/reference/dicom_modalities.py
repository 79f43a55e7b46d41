"""DICOM modality codes (Modality, 0008,0060): the standard's list, not a hand-kept subset.

The current terms are DICOM PS3.16 CID 33 "Modality", which pydicom ships with its code
dictionaries (74 terms in pydicom 3.0: RTDOSE, RTPLAN, RTSTRUCT, SEG, …). PS3.3 C.7.3.1.1.1 also
keeps retired terms that old archives still send; they are valid codes, so they are listed too.
"""

from __future__ import annotations

from functools import cache

from pydicom.sr.codedict import Collection

# PS3.3 C.7.3.1.1.1, "Retired Defined Terms for the Modality Attribute".
RETIRED_MODALITIES = (
    "AS", "CD", "CF", "CP", "CS", "DD", "DF", "DM", "DS", "EC", "FA", "FS", "LP", "MA", "MS",
    "OPR", "ST", "VF",
)  # fmt: skip


@cache
def modality_codes() -> tuple[str, ...]:
    """Every defined term of Modality (current and retired), sorted."""
    cid33 = Collection("CID33")
    current = {getattr(cid33, keyword).value for keyword in cid33.dir()}
    return tuple(sorted(current | set(RETIRED_MODALITIES)))
