"""A report page as one self-contained HTML file: styles, scripts, plotly.js and chart data all
inline, nothing fetched, so it opens offline from a USB stick or an e-mail attachment.

Both languages are in the file; the toggle switches which one shows (CSS) and redraws the
charts. Every headline figure carries `data-metric` and its raw value in `data-v`.
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from pathlib import Path

from plotly.offline import get_plotlyjs

from hanoi_health_lake.reports.formatting import format_cell, sort_value
from hanoi_health_lake.reports.labels import label
from hanoi_health_lake.reports.model import (
    Card,
    Cell,
    Chart,
    Html,
    Lang,
    Note,
    Page,
    Scorecards,
    Section,
    Table,
    Text,
)

STATIC = Path(__file__).parent / "static"
NUMERIC = {"int", "share", "number", "hours"}


@cache
def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def bilingual(text: Text) -> str:
    """Markup showing `text` in the page's current language."""
    if text.vi == text.en:
        return escape(text.vi)
    return f'<span class="l-vi">{escape(text.vi)}</span><span class="l-en">{escape(text.en)}</span>'


def _cell_html(value: Cell, kind: str) -> str:
    vi, en = format_cell(value, kind, "vi"), format_cell(value, kind, "en")  # type: ignore[arg-type]
    return bilingual(Text(vi, en))


def _json_script(data: object) -> str:
    # `</` would end the script element early.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def render_table(table: Table, rows: list[list[Cell]] | None = None, skip: int = 0) -> str:
    """A table; `rows` (default: all) lets a scorecard show its own slice, `skip` drop leading
    columns (the facility code the slice is of)."""
    columns = table.columns[skip:]
    chosen = table.rows if rows is None else rows
    limit = table.html_row_limit if rows is None else None
    shown = chosen[:limit] if limit else chosen
    classes = "data sortable" if table.sortable else "data"
    head = "".join(
        f'<th data-kind="{c.kind}"{_num(c.kind)}>{bilingual(c.title)}</th>' for c in columns
    )
    body = []
    previous = None
    for i, row in enumerate(shown):
        row_id = table.row_ids[i] if table.row_ids and rows is None else None
        cells = []
        for column, value in zip(columns, row[skip:], strict=True):
            attrs = f' data-v="{escape(sort_value(value))}"'
            if row_id is not None:
                attrs += f' data-metric="{escape(f"{table.id}.{row_id}.{column.id}")}"'
            css = ' class="wrap"' if column.wrap else _num(column.kind)
            cells.append(f"<td{css}{attrs}>{_cell_html(value, column.kind)}</td>")
        body.append(f"<tr{_row_class(row_id, previous)}>{''.join(cells)}</tr>")
        previous = row_id
    html = (
        f'<div class="table-wrap"><table class="{classes}" id="t-{escape(table.id)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
    if limit and len(chosen) > limit:
        html += _note(label("note.rows_cut", shown=str(limit), total=str(len(chosen))))
    if table.note is not None:
        html += _note(table.note)
    return html


def _num(kind: str) -> str:
    return ' class="num"' if kind in NUMERIC else ""


def _row_class(row_id: str | None, previous: str | None) -> str:
    """The city's row stands out; a new kind of group (types, then ownerships) starts a block."""
    if row_id is None:
        return ""
    if row_id == "city:hanoi":
        return ' class="total"'
    if previous and ":" in row_id and row_id.split(":")[0] != previous.split(":")[0]:
        return ' class="break"'
    return ""


def _note(text: Text) -> str:
    return f'<p class="note">{bilingual(text)}</p>'


def _titled_table(table: Table) -> str:
    title = bilingual(table.title)
    tools = ""
    if table.sortable:
        placeholder = label("ui.filter")
        tools = (
            f'<input class="filter" type="search" data-table="t-{escape(table.id)}" '
            f'placeholder="{escape(placeholder.vi)} / {escape(placeholder.en)}">'
        )
    if table.collapsed:
        return f"<details><summary>{title}</summary>{tools}{render_table(table)}</details>"
    return f'<div class="table-tools"><h3>{title}</h3>{tools}</div>{render_table(table)}'


def _card(card: Card) -> str:
    value = _cell_html(card.value, card.kind)
    if card.of is not None:
        value += f'<span class="card-of"> / {_cell_html(card.of, "int")}</span>'
    raw = escape(sort_value(card.value))
    parts = [
        f'<div class="card {card.status}">',
        f'<div class="card-title">{bilingual(card.title)}</div>',
        f'<div class="card-value" data-metric="{escape(card.metric)}" data-v="{raw}">{value}</div>',
    ]
    if card.detail is not None:
        parts.append(f'<div class="card-detail">{bilingual(card.detail)}</div>')
    if card.target is not None:
        parts.append(f'<div class="card-target">{bilingual(card.target)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _chart(chart: Chart) -> str:
    return (
        f'<figure class="chart"><h3>{bilingual(chart.title)}</h3>'
        f'<div class="plot" id="c-{escape(chart.id)}" data-chart="{escape(chart.id)}" '
        f'style="height:{int(chart.height)}px"></div>'
        f"<figcaption>{bilingual(chart.basis)}</figcaption></figure>"
    )


def _scorecards(deck: Scorecards, period_text: Text) -> str:
    if not deck.recipients:
        return f'<div class="notice">{bilingual(label("note.no_rejections"))}</div>'
    options = "".join(
        f'<option value="{escape(r.facility_code)}">'
        f"{escape(r.facility_code)} — {escape(r.name)}</option>"
        for r in deck.recipients
    )
    pick = label("ui.pick_facility")
    clean = label("note.clean", n=str(deck.clean_facilities))
    controls = (
        f'<div class="sc-controls"><label>{bilingual(pick)} '
        f'<select id="sc-select">{options}</select></label>'
        f'<button type="button" id="sc-print">{bilingual(label("ui.print_card"))}</button>'
        f'<span class="sc-clean">{bilingual(clean)}</span></div>'
    )
    cards = []
    for r in deck.recipients:
        parts = [
            f'<article class="scorecard" data-facility="{escape(r.facility_code)}">',
            f"<h3>{escape(r.name)} ({escape(r.facility_code)})</h3>",
            f'<p class="note">{bilingual(r.subtitle)} · {bilingual(period_text)}</p>',
        ]
        if r.contact is not None:
            parts.append(f'<p class="note sc-contact">{bilingual(r.contact)}</p>')
        for table in (deck.totals, deck.rules, deck.locators):
            mine = [row for row in table.rows if row[0] == r.facility_code]
            if mine:
                parts.append(
                    f"<h3>{bilingual(table.title)}</h3>{render_table(table, mine, skip=1)}"
                )
        parts.append("</article>")
        cards.append("".join(parts))
    return f'{controls}<div class="scorecards">{"".join(cards)}</div>'


def _block(block: object, page: Page) -> str:
    if isinstance(block, list):
        return '<div class="cards">' + "".join(_card(c) for c in block) + "</div>"
    if isinstance(block, Table):
        return _titled_table(block)
    if isinstance(block, Chart):
        return _chart(block)
    if isinstance(block, Note):
        return f'<div class="notice {block.tone}">{bilingual(block.text)}</div>'
    if isinstance(block, Html):
        # The outbreak bulletin, embedded as its package renders it.
        return f'<div class="embedded">{block.html}</div>'
    if isinstance(block, Scorecards):
        return _scorecards(block, page.subtitle)
    raise TypeError(f"unknown block {type(block).__name__}")


def _section(section: Section, page: Page) -> str:
    intro = f'<p class="intro">{bilingual(section.intro)}</p>' if section.intro else ""
    blocks = "".join(_block(b, page) for b in section.blocks)
    return (
        f'<section class="block" id="{escape(section.id)}">'
        f"<h2>{bilingual(section.title)}</h2>{intro}{blocks}</section>"
    )


def _charts(page: Page) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for section in page.sections:
        for block in section.blocks:
            if isinstance(block, Chart):
                found[block.id] = block.figures
    return found


def render_html(page: Page, lang: Lang = "vi") -> str:
    """The page in one HTML string; `lang` is the language it opens in."""
    nav = "".join(f'<a href="#{escape(s.id)}">{bilingual(s.title)}</a>' for s in page.sections)
    links = "".join(
        f'<a class="ghost" href="{escape(href)}">{bilingual(text)}</a>'
        for text, href in page.links.items()
    )
    toggle = Text("English", "Tiếng Việt")
    title = Text(f"{page.title.vi} — {page.subtitle.vi}", f"{page.title.en} — {page.subtitle.en}")
    return f"""<!DOCTYPE html>
<html lang="{lang}" data-default-lang="{lang}"
 data-title-vi="{escape(title.vi)}" data-title-en="{escape(title.en)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="hanoi-health-lake">
<title>{escape(title[lang])}</title>
<link rel="icon" href="data:,">
<style>{_static("report.css")}</style>
</head>
<body class="page-{page.kind}">
<header class="top">
<div class="brand"><div class="emblem">SYT</div><div>
<div class="org">{bilingual(label("page.org"))}</div>
<h1>{bilingual(page.title)}</h1>
<div class="period">{bilingual(page.subtitle)}</div></div></div>
<div class="actions">{links}
<button type="button" id="print-page">{bilingual(label("ui.print"))}</button>
<button type="button" id="lang-toggle" title="Tiếng Việt / English">{bilingual(toggle)}</button>
</div>
</header>
<nav class="toc">{nav}</nav>
<main>{"".join(_section(s, page) for s in page.sections)}</main>
<footer>{bilingual(page.generated)}</footer>
<script>{get_plotlyjs()}</script>
<script type="application/json" id="hhl-charts">{_json_script(_charts(page))}</script>
<script>{_static("report.js")}</script>
</body>
</html>
"""
