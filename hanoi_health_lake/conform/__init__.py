"""From parsed records to silver: staging frame, pseudonymisation, silver table builders."""

from hanoi_health_lake.conform.pseudonym import Pseudonymizer
from hanoi_health_lake.conform.silver import conform, encounter_lookup
from hanoi_health_lake.conform.silver_schemas import SILVER_SCHEMAS, SILVER_TABLES
from hanoi_health_lake.conform.staging import STAGED_SCHEMAS, staged_frame

__all__ = [
    "SILVER_SCHEMAS",
    "SILVER_TABLES",
    "STAGED_SCHEMAS",
    "Pseudonymizer",
    "conform",
    "encounter_lookup",
    "staged_frame",
]
