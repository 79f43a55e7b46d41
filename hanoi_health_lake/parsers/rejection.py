"""Rule ids the parsers emit, and the exception that rejects a whole file."""

from __future__ import annotations

# File-level rule ids (faults.py) that the parsers produce, plus the catch-all for the rest.
EMPTY = "file.empty"
MALFORMED_JSON = "file.malformed_json"
TRUNCATED = "file.truncated"
ENCODING = "file.encoding"
MISSING_COLUMN = "file.missing_column"
UNKNOWN_LAYOUT = "file.unknown_layout"
NOT_DICOM = "file.not_dicom"
UNSAFE_PATH = "file.unsafe_path"
UNREADABLE = "file.unreadable"
TOO_LARGE = "file.too_large"
NO_RECORDS = "file.no_records"

# Record-level rule ids the parsers attach (the contracts hold the same ids).
DATE_FORMAT = "conformance.date_format"
NUMBER_FORMAT = "conformance.number_format"
CODE_VALUE = "conformance.code_value"
RECORD_MALFORMED = "record.malformed"
FACILITY_KNOWN = "conformance.facility_known"
REFERRAL_TARGET_KNOWN = "conformance.referral_target_known"


class FileRejected(Exception):
    """The whole file is unusable; `message` says why without the file name (dispatch adds it)."""

    def __init__(self, rule_id: str, message: str, *, size: int = 0) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.message = message
        self.size = size  # bytes of a file rejected before it was read (file.too_large)
