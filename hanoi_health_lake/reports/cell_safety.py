"""Text that a spreadsheet would run as a formula is written as plain text.

Delivered values reach our workbooks (a ward code, a facility name): a text cell starting with
`=`, `+`, `-` or `@` is a formula to Excel and LibreOffice (`=HYPERLINK(...)` phones home,
`=cmd|...` runs DDE), and a leading tab or carriage return hides such a start from the eye. OWASP's
advice: prefix a single quote, so the cell shows the text and never evaluates it. Every workbook
writer passes each value through `safe_cell` when it writes the cell; numbers, dates and
booleans pass unchanged (a negative number stays a number).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value to write into a cell: text starting with a formula character gets a `'` prefix."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
