"""How values read in each language: Vietnamese writes 1.234,5 and 85,3 %; English 1,234.5 and
85.3%. Dates as dd/mm/yyyy in both (the form Vietnamese readers and the workbook use)."""

from __future__ import annotations

from datetime import date, datetime

from hanoi_health_lake.reports.model import Cell, ColumnKind, Lang, Text

MISSING = "—"


def _number(value: float, decimals: int, lang: Lang) -> str:
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_cell(value: Cell, kind: ColumnKind, lang: Lang) -> str:
    if value is None:
        return MISSING
    if isinstance(value, Text):
        return value[lang]
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if kind == "int":
        return _number(float(value), 0, lang)
    if kind == "share":
        pct = _number(float(value) * 100, 1, lang)
        return f"{pct} %" if lang == "vi" else f"{pct}%"
    if kind == "number":
        return _number(float(value), 2, lang)
    if kind == "hours":
        return _number(float(value), 1, lang)
    return str(value)


def sort_value(value: Cell) -> str:
    """What a table sorts on (`data-v`): numbers as numbers, dates as ISO, texts as shown in vi."""
    if value is None:
        return ""
    if isinstance(value, Text):
        return value.vi
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)
