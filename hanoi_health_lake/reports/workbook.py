"""A report page as an Excel workbook (openpyxl): one sheet per table, with the same values the
HTML page shows, typed (numbers, percentages, dates) so a manager can filter and sum them.

The first column of a sheet whose table has row ids holds those ids (hidden), so a reader (or a
test) finds a row without matching translated labels. A number column never holds text: a count
withheld for privacy ("<5" on the page) is an empty cell, named in a last "suppressed" column, so
sums and filters work. Every sheet prints landscape, one page wide, with its header row repeated;
the facility name column stays in view. The first sheet holds the page's headline figures.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hanoi_health_lake.reports.cell_safety import safe_cell
from hanoi_health_lake.reports.labels import label
from hanoi_health_lake.reports.model import Card, Cell, Column, Lang, Page, Table, Text

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


NUMERIC = {"int", "share", "number", "hours"}
FROZEN_COLUMNS = ("facility_name", "group", "ward_name")  # the first present stays in view


def _numbers_as_numbers(table: Table) -> Table:
    """The table with text in number columns (withheld counts) emptied and named, per row, in a
    last `suppressed` column; the table itself when it has none."""
    numeric = [i for i, c in enumerate(table.columns) if c.kind in NUMERIC]
    withheld = [[i for i in numeric if isinstance(r[i], Text)] for r in table.rows]
    if not any(withheld):
        return table
    rows = []
    for row, hidden in zip(table.rows, withheld, strict=True):
        cleaned = [None if i in hidden else v for i, v in enumerate(row)]
        names = [table.columns[i].title for i in hidden]
        note = (
            Text(", ".join(n.vi for n in names), ", ".join(n.en for n in names)) if names else None
        )
        rows.append([*cleaned, note])
    column = Column("suppressed", label("col.suppressed"), "label", wrap=True)
    return replace(table, columns=[*table.columns, column], rows=rows)


def _print_setup(sheet: Worksheet) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _write_table(sheet: Worksheet, table: Table, page: Page, lang: Lang) -> None:
    table = _numbers_as_numbers(table)
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
    ids = [c.id for c in table.columns]
    name = next((ids.index(c) for c in FROZEN_COLUMNS if c in ids), None)
    # Rows scroll under the header; columns scroll past the facility (or group) name.
    frozen = first + name + 1 if name is not None else first
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, frozen)
    _print_setup(sheet)
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


def _cards(page: Page) -> list[Card]:
    found: list[Card] = []
    for section in page.sections:
        for block in section.blocks:
            if isinstance(block, list):
                found += [c for c in block if isinstance(c, Card)]
    return found


def _headline(sheet: Worksheet, page: Page, lang: Lang) -> None:
    """The page's headline cards as rows: figure, value (a number), out of, detail, target."""
    sheet.cell(1, 1, page.title[lang]).font = TITLE_FONT
    sheet.cell(2, 1, page.subtitle[lang]).font = Font(italic=True)
    heads = ["col.figure", "col.value", "col.out_of", "col.detail", "col.target"]
    for j, key in enumerate(heads, start=1):
        cell = sheet.cell(HEADER_ROW, j, label(key)[lang])
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    for i, card in enumerate(_cards(page), start=HEADER_ROW + 1):
        sheet.cell(i, 1, card.title[lang])
        value = sheet.cell(i, 2, card.value)
        if card.kind in NUMBER_FORMATS:
            value.number_format = NUMBER_FORMATS[card.kind]
        sheet.cell(i, 3, card.of)
        sheet.cell(i, 4, card.detail[lang] if card.detail else None)
        sheet.cell(i, 5, card.target[lang] if card.target else None)
    for letter, width in zip("ABCDE", (48, 14, 10, 70, 44), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 2)
    _print_setup(sheet)


def write_workbook(page: Page, path: Path, lang: Lang = "vi") -> Path:
    """Write the page's tables to `path` (.xlsx); the first sheet holds the headline figures
    (when the page has any), the next lists the tables."""
    book = Workbook()
    taken: set[str] = set()
    if _cards(page):
        headline = book.active
        headline.title = _sheet_name(label("sheet.headline_figures")[lang], taken)
        _headline(headline, page, lang)
        about = book.create_sheet()
    else:
        about = book.active
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
