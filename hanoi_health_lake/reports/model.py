"""What a report page holds, independent of how it is drawn: the HTML page and the Excel workbook
render the same objects, so they cannot disagree.

Every piece of text is a `Text` in both languages; cells hold raw values (numbers, dates, texts)
and a column kind that says how to format them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from hanoi_health_lake.reports.period import Period

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
# int: a count; share: 0..1 shown as %; number: a decimal; hours: lag in hours;
# date: a day; text: as is (codes, names); label: a Text.
ColumnKind = Literal["int", "share", "number", "hours", "date", "text", "label"]


@dataclass(frozen=True)
class Text:
    vi: str
    en: str

    def __getitem__(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en

    def format(self, **params: object) -> Text:
        """Both languages with `{name}` placeholders filled; a Text param fills per language."""

        def fill(lang: Lang) -> str:
            values = {k: (v[lang] if isinstance(v, Text) else v) for k, v in params.items()}
            return self[lang].format(**values)

        return Text(fill("vi"), fill("en"))


def same(text: str) -> Text:
    """A text that reads the same in both languages (a name, a code)."""
    return Text(text, text)


Cell = None | int | float | str | date | Text


@dataclass(frozen=True)
class Column:
    id: str
    title: Text
    kind: ColumnKind = "text"
    wrap: bool = False  # long text (names, meanings) that may wrap in HTML


@dataclass
class Table:
    id: str
    title: Text
    columns: list[Column]
    rows: list[list[Cell]]
    # Stable ids of the rows (e.g. `facility_type:city_hospital`): cells of such a table carry
    # `data-metric="<table>.<row>.<column>"` in HTML and the id sits in the sheet's first column.
    row_ids: list[str] | None = None
    sheet: Text | None = None  # the workbook sheet it goes to (its own when None)
    sortable: bool = False
    html_row_limit: int | None = None  # longer tables are cut in HTML; the workbook has them all
    note: Text | None = None
    collapsed: bool = False  # in HTML, folded under its title (a chart above shows the same)


@dataclass
class Card:
    metric: str  # same id scheme as table cells: `headline.<name>`
    title: Text
    value: float | int | None
    kind: ColumnKind
    detail: Text | None = None  # e.g. "123 / 140"
    target: Text | None = None
    status: Literal["good", "warn", "bad", "none"] = "none"
    of: int | None = None  # the value is a count out of this many ("12 / 14")


@dataclass
class Chart:
    id: str
    title: Text
    figures: dict[str, dict]  # language → plotly figure as a JSON-ready dict
    basis: Text  # the date range and the coverage the chart rests on
    height: int = 380


@dataclass
class Note:
    text: Text
    tone: Literal["info", "warn"] = "info"


@dataclass
class Html:
    """A ready-made block from elsewhere (the outbreak bulletin), embedded as is."""

    html: str


@dataclass(frozen=True)
class Recipient:
    facility_code: str
    name: str
    subtitle: Text  # type and ward
    contact: Text | None = None  # whom to call there about deliveries (registry), or that none is


@dataclass
class Scorecards:
    """One feedback card per facility, drawn from three tables whose first column is the facility
    code: the workbook holds the tables whole, the HTML page one card per facility."""

    recipients: list[Recipient]
    totals: Table
    rules: Table
    locators: Table
    clean_facilities: int  # facilities that delivered with nothing rejected


Block = Table | Card | Chart | Note | Html | Scorecards | list


@dataclass
class Section:
    id: str
    title: Text
    intro: Text | None = None
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Page:
    kind: Literal["coverage", "dashboard", "bulletin"]
    title: Text
    subtitle: Text
    period: Period
    sections: list[Section]
    generated: Text
    links: dict[Text, str] = field(default_factory=dict)  # link text → relative file name

    def tables(self) -> list[Table]:
        """Every table of the page in reading order, scorecards flattened into three tables."""
        found: list[Table] = []
        for section in self.sections:
            for block in section.blocks:
                found.extend(_tables_of(block))
        return found


def _tables_of(block: Block) -> list[Table]:
    if isinstance(block, Table):
        return [block]
    if isinstance(block, Scorecards):
        return [block.totals, block.rules, block.locators]
    if isinstance(block, list):
        return [t for b in block for t in _tables_of(b)]
    return []
