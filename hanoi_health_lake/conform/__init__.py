"""From parsed records to silver: staging frame, pseudonymisation, silver table builders.

The silver tables themselves (schemas, which dataset feeds which) are declared in lake/catalog.py.
"""

from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.conform.silver import conform, encounter_lookup
from hanoi_health_lake.conform.staging import STAGED_SCHEMAS, staged_frame

__all__ = [
    "STAGED_SCHEMAS",
    "Pseudonymizer",
    "conform",
    "encounter_lookup",
    "staged_frame",
]
