"""Turn landed files (QĐ 130 CSV, FHIR R4 JSON/NDJSON, DICOM) into canonical `ParsedFile`s.

Pure functions, no Dagster: `discover` lists a day's files, `parse_file` parses one and never
raises on bad input (a broken file comes back with `status="error"` and its rule).
"""

from hanoi_health_lake.parsers.dispatch import parse_file
from hanoi_health_lake.parsers.landing_paths import (
    LandingName,
    UnsafePathError,
    discover,
    parse_landing_path,
)

__all__ = ["LandingName", "UnsafePathError", "discover", "parse_file", "parse_landing_path"]
