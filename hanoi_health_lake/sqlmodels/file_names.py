"""Landing file names leave the restricted zone only in their expected shape.

Real exports are often named after the patient (`Nguyen_Van_An_xet_nghiem.csv`), and a name
that breaks the landing grammar is still recorded in bronze_files and quarantine, for the
facility to find it. The warehouse (and so the reports) gets such a name as a file id instead:
`<facility>/<service_date>/` (when the folders have their shape) and `file-` with 16 hex digits
of the name's SHA-256, distinct per file so counts of distinct files stay right. A name of the
expected shape `<dataset>__<export_ts>[.<part>].<ext>` — with a part that is a number, `dicom`
or a FHIR resource type — passes unchanged. Texts that quote the path (bronze_files'
error_message) get the same replacement.
"""

from __future__ import annotations

# Datasets and QĐ 130 XML files (`hoso__…`, `checkin__…`) a facility sends.
_DATASETS = "encounters|prescriptions|referrals|appointments|imaging_studies|hoso|checkin"
_RESOURCES = (
    "Patient|Encounter|Condition|MedicationRequest|Medication|ServiceRequest|Appointment|"
    "ImagingStudy|Practitioner|Organization|Location"
)
FOLDERS = r"^01[0-9A-Z]{3}/[0-9]{4}-[0-9]{2}-[0-9]{2}/"
EXPECTED_NAME = (
    FOLDERS + rf"({_DATASETS})__[0-9]{{8}}T[0-9]{{6}}(\.([0-9]+|dicom|{_RESOURCES}))?"
    r"\.(json|ndjson|csv|dcm|xml)$"
)
# Columns of lake sources that carry a landing path, and texts that may quote one.
PATH_COLUMN = "source_file"
QUOTING_COLUMNS = frozenset({"error_message"})


def safe_path_sql(column: str) -> str:
    """A DuckDB expression: the path in `column` as the warehouse may hold it."""
    return (
        f"case when {column} is null or regexp_matches({column}, '{EXPECTED_NAME}') "
        f"then {column} else coalesce(regexp_extract({column}, '{FOLDERS}'), '') "
        f"|| 'file-' || left(sha256({column}), 16) end"
    )


def select_list(columns: list[str]) -> str:
    """The select list copying a lake source into the warehouse with paths made safe."""
    if PATH_COLUMN not in columns:
        return "*"
    safe = safe_path_sql(PATH_COLUMN)
    replaced = [f"{safe} as {PATH_COLUMN}"]
    replaced += [
        f"replace({c}, {PATH_COLUMN}, {safe}) as {c}" for c in columns if c in QUOTING_COLUMNS
    ]
    return f"* replace ({', '.join(replaced)})"
