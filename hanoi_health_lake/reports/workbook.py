"""A report page as an Excel workbook (openpyxl): one sheet per table, with the same values the
HTML page shows, typed (numbers, percentages, dates) so a manager can filter and sum them.

The first column of a sheet whose table has row ids holds those ids (hidden), so a reader (or a
test) finds a row without matching translated labels.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hanoi_health_lake.reports.cell_safety import safe_cell
from hanoi_health_lake.reports.labels import label
from hanoi_health_lake.reports.model import Cell, Lang, Page, Table, Text

NUMBER_FORMATS = {
    "int": "#,##0",
    "share": "0.0%",
    "number": "0.00",
    "hours": "0.0",
    "date": "dd/mm/yyyy",
}
HEADER_FILL = PatternFill("solid", fgColor="0B3D6E")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="0B3D6E")
HEADER_ROW = 4
MAX_SHEET_NAME = 31
_BAD_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_name(text: str, taken: set[str]) -> str:
    base = text.translate(_BAD_SHEET_CHARS).strip()[:MAX_SHEET_NAME]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def _value(value: Cell, lang: Lang) -> object:
    # Table cells carry delivered values (ward codes, names): never let one become a formula.
    if isinstance(value, Text):
        return safe_cell(value[lang])
    return safe_cell(value)


def _write_table(sheet: Worksheet, table: Table, page: Page, lang: Lang) -> None:
    has_ids = table.row_ids is not None
    first = 2 if has_ids else 1
    sheet.cell(1, first, safe_cell(table.title[lang])).font = TITLE_FONT
    sheet.cell(2, first, safe_cell(f"{page.title[lang]} — {page.subtitle[lang]}")).font = Font(
        italic=True
    )
    if has_ids:
        sheet.cell(HEADER_ROW, 1, "id")
        sheet.column_dimensions["A"].hidden = True
    for j, column in enumerate(table.columns, start=first):
        cell = sheet.cell(HEADER_ROW, j, safe_cell(column.title[lang]))
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        width = max(len(column.title[lang]) * 0.9, 10)
        if column.kind in ("text", "label"):
            longest = max(
                (len(str(_value(r[j - first], lang) or "")) for r in table.rows), default=0
            )
            width = max(width, min(longest + 2, 60))
        sheet.column_dimensions[get_column_letter(j)].width = min(width, 60)
    for i, row in enumerate(table.rows, start=HEADER_ROW + 1):
        if has_ids:
            sheet.cell(i, 1, safe_cell(table.row_ids[i - HEADER_ROW - 1]))
        for j, (column, value) in enumerate(zip(table.columns, row, strict=True), start=first):
            cell = sheet.cell(i, j, _value(value, lang))
            if not isinstance(value, Text) and column.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column.kind]
    sheet.row_dimensions[HEADER_ROW].height = 32
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, first)
    last = get_column_letter(first + len(table.columns) - 1)
    sheet.auto_filter.ref = (
        f"{get_column_letter(first)}{HEADER_ROW}:{last}{HEADER_ROW + len(table.rows)}"
    )
    if table.note is not None:
        sheet.cell(
            HEADER_ROW + len(table.rows) + 2, first, safe_cell(table.note[lang])
        ).font = Font(italic=True, color="5F6B7A")


def _about(sheet: Worksheet, page: Page, lang: Lang, names: list[tuple[str, str]]) -> None:
    sheet.cell(1, 1, safe_cell(page.title[lang])).font = TITLE_FONT
    sheet.cell(2, 1, safe_cell(page.subtitle[lang]))
    sheet.cell(3, 1, safe_cell(page.generated[lang])).font = Font(italic=True, color="5F6B7A")
    sheet.cell(5, 1, label("sheet.contents")[lang]).font = Font(bold=True)
    for i, (name, title) in enumerate(names, start=6):
        link = sheet.cell(i, 1, safe_cell(name))
        link.hyperlink = f"#'{name}'!A1"
        link.font = Font(color="155A9C", underline="single")
        sheet.cell(i, 2, safe_cell(title))
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 80


def write_workbook(page: Page, path: Path, lang: Lang = "vi") -> Path:
    """Write the page's tables to `path` (.xlsx); the first sheet lists them."""
    book = Workbook()
    about = book.active
    taken: set[str] = set()
    about.title = _sheet_name(label("sheet.about")[lang], taken)
    names = []
    for table in page.tables():
        sheet = book.create_sheet(_sheet_name((table.sheet or table.title)[lang], taken))
        _write_table(sheet, table, page, lang)
        names.append((sheet.title, table.title[lang]))
    _about(about, page, lang, names)
    book.properties.title = page.title[lang]
    book.properties.creator = "hanoi-health-lake"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
