"""Plotly figures for the report pages, one per language (titles, legends and categories
translated), as JSON-ready dicts for the page's inline plotly.js to draw offline.

How numbers read on a chart is decided here once: `_layout` sets plotly's `layout.separators` per
language (vi-VN 1.500 and 1,25; en 1,500 and 1.25), which every d3 format on the figure — axis
ticks, colour bars, hover labels — follows, and `format_axis` gives each numeric axis its
tickformat from `AXIS_FORMATS`. No chart sets either on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Literal

import plotly.graph_objects as go
import plotly.io as pio

from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import LANGS, Lang, Text

FONT = "Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
TYPE_COLOURS = {
    "central_hospital": "#1f4e79",
    "city_hospital": "#2e75b6",
    "private_hospital": "#8fb8e0",
    "health_centre": "#3d7a2a",
    "health_station": "#9ccc7f",
    "private_clinic": "#d27a2c",
}
METRIC_COLOURS = {
    "delivered_share": "#2e75b6",
    "on_time_share": "#3d7a2a",
    "complete_share": "#b8860b",
    "valid_share": "#7a4fa0",
    "connected_share": "#1f4e79",
}
# Plotly's `separators`: the decimal mark, then the thousands separator.
SEPARATORS: dict[str, str] = {"vi": ",.", "en": ".,"}
AxisKind = Literal["count", "number", "percent", "date"]
AXIS_FORMATS: dict[str, str] = {"count": ",d", "number": ",.2~f", "percent": ".0%", "date": "%d/%m"}
TARGET_COLOUR = "#c0392b"
OTHER_COLOUR = "#8c8c8c"


def type_colour(facility_type: str) -> str:
    return TYPE_COLOURS.get(facility_type, OTHER_COLOUR)


def in_both(build: Callable[..., go.Figure], *args: object) -> dict[str, dict]:
    """The figure built once per language, as plain JSON-ready dicts."""
    return {lang: json.loads(pio.to_json(build(lang, *args), validate=False)) for lang in LANGS}


def _layout(fig: go.Figure, lang: Lang, **extra: object) -> go.Figure:
    layout = {
        "font": {"family": FONT, "size": 12, "color": "#1f2933"},
        "separators": SEPARATORS[lang],
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
        "hoverlabel": {"font": {"family": FONT}},
    }
    fig.update_layout(**(layout | extra))
    fig.update_xaxes(showline=True, linecolor="#9aa5b1", gridcolor="#eef1f4", zeroline=False)
    fig.update_yaxes(showline=False, gridcolor="#e4e7eb", zeroline=False)
    return fig


def format_axis(fig: go.Figure, axis: str, kind: AxisKind, peak: float | None = None) -> None:
    """Give `axis` ("x", "y", "y2" …) the tickformat of its kind: counts in whole, round steps
    up to `peak`, percentages in 20 % steps, dates as dd/mm. The separators come from _layout."""
    settings: dict[str, object] = {"tickformat": AXIS_FORMATS[kind]}
    if kind == "count":
        settings |= {"rangemode": "tozero", "dtick": count_step(peak or 0)}
    elif kind == "percent":
        settings |= {"range": [0, 1.05], "dtick": 0.2}
    elif kind == "date":
        settings["type"] = "date"
    name = f"{axis[0]}axis{axis[1:]}"
    fig.update_layout({name: settings})


def _percent_axis(fig: go.Figure, axis: str = "y") -> None:
    format_axis(fig, axis, "percent")


DAY_MS = 86_400_000


def _day_axis(fig: go.Figure, days: Sequence[date | str]) -> None:
    """Dates as dd/mm, one tick per day up to two weeks, one a week up to about four months,
    else plotly's own: never the same date twice (its automatic ticks fall every 12 hours on a
    short range). Judged on the span, not the number of points: a few dates months apart
    (appointments due far ahead) with a daily step make thousands of ticks, which the browser
    refuses ("Invalid array length")."""
    format_axis(fig, "x", "date")
    dated = [d if isinstance(d, date) else date.fromisoformat(str(d)[:10]) for d in days]
    span = (max(dated) - min(dated)).days + 1 if dated else 0
    if span <= 14:
        fig.update_xaxes(dtick=DAY_MS)
    elif span <= 120:
        fig.update_xaxes(dtick=DAY_MS * 7)


def _target_line(fig: go.Figure, lang: Lang, target: float, axis: str) -> None:
    """The phase target as a dashed line across the plot, at `target` on the given axis."""
    draw = fig.add_hline if axis == "y" else fig.add_vline
    draw(
        target,
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 1.5},
        annotation_text=label("chart.target", share=f"{target:.0%}")[lang],
        annotation_position="bottom right" if axis == "y" else "top",
        annotation_font={"color": TARGET_COLOUR},
    )


def coverage_trend(
    lang: Lang,
    days: Sequence[date],
    series: dict[str, Sequence[float | None]],
    target: float | None,
) -> go.Figure:
    fig = go.Figure()
    for metric, values in series.items():
        name = label(f"metric.{metric}")[lang]
        missing = sum(v is None for v in values)
        if metric == "complete_share" and missing:
            # No point, not a 0 %: completeness needs same-weekday history (chưa đủ lịch sử).
            name = label("metric.complete_no_history", name=name, n=str(missing))[lang]
        fig.add_trace(
            go.Scatter(
                x=[d.isoformat() for d in days],
                y=list(values),
                name=name,
                mode="lines+markers",
                line={"color": METRIC_COLOURS[metric], "width": 2},
                marker={"size": 5},
                hovertemplate="%{x|%d/%m/%Y}: %{y:.1%}<extra>%{fullData.name}</extra>",
            )
        )
    if target is not None:
        _target_line(fig, lang, target, "y")
    _layout(fig, lang)
    _percent_axis(fig)
    _day_axis(fig, days)
    return fig


def _short_ward(name: str) -> str:
    for prefix in ("Phường ", "Xã "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name if len(name) <= 11 else name[:10] + "…"


def ward_grid(
    lang: Lang,
    wards: Sequence[tuple[str, Text, float | None, Text]],
    columns: int,
) -> go.Figure:
    """A tile per ward in code order (close codes are neighbours: they were numbered district by
    district), coloured by on-time share; pale where no facility had to send."""
    rows = -(-len(wards) // columns)
    z: list[list[float | None]] = [[None] * columns for _ in range(rows)]
    text: list[list[str]] = [[""] * columns for _ in range(rows)]
    hover: list[list[str]] = [[""] * columns for _ in range(rows)]
    present: list[list[float | None]] = [[None] * columns for _ in range(rows)]
    for i, (code, name, share, detail) in enumerate(wards):
        r, c = divmod(i, columns)
        z[r][c] = share
        present[r][c] = 0
        pct = "" if share is None else f"<br><b>{share * 100:.0f}%</b>"
        text[r][c] = f"{_short_ward(name[lang])}{pct}"
        hover[r][c] = f"<b>{name[lang]}</b> ({code})<br>{detail[lang]}"
    common = {
        "xgap": 3,
        "ygap": 3,
        "customdata": hover,
        "hovertemplate": "%{customdata}<extra></extra>",
    }
    fig = go.Figure(
        [
            go.Heatmap(
                z=present,
                colorscale=[[0, "#e9edf1"], [1, "#e9edf1"]],
                showscale=False,
                **common,
            ),
            go.Heatmap(
                z=z,
                text=text,
                texttemplate="%{text}",
                textfont={"size": 9},
                colorscale=[[0, "#c0392b"], [0.5, "#f1c40f"], [0.8, "#9ccc7f"], [1, "#2e7d32"]],
                zmin=0,
                zmax=1,
                colorbar={
                    "title": {"text": label("metric.on_time_share")[lang]},
                    "tickformat": AXIS_FORMATS["percent"],
                    "thickness": 12,
                },
                **common,
            ),
        ]
    )
    _layout(fig, lang, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    return fig


def stacked_shares(
    lang: Lang,
    groups: Sequence[Text],
    parts: dict[str, Sequence[int]],
    part_label: str,
    colours: dict[str, str],
) -> go.Figure:
    """100% stacked horizontal bars: each group's days split into parts (lag buckets)."""
    names = [g[lang] for g in groups]
    totals = [sum(vals) for vals in zip(*parts.values(), strict=True)] if parts else []
    fig = go.Figure()
    for part, counts in parts.items():
        shares = [c / t if t else 0 for c, t in zip(counts, totals, strict=True)]
        fig.add_trace(
            go.Bar(
                y=names,
                x=shares,
                customdata=list(counts),
                orientation="h",
                name=label(f"{part_label}.{part}")[lang],
                marker_color=colours[part],
                hovertemplate="%{y}: %{x:.1%} (%{customdata})<extra>%{fullData.name}</extra>",
            )
        )
    _layout(fig, lang, barmode="stack", margin={"l": 170, "r": 20, "t": 40, "b": 40})
    _percent_axis(fig, "x")
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    return fig


def stacked_counts(
    lang: Lang,
    categories: Sequence[Text],
    stacks: dict[str, Sequence[int]],
    horizontal: bool,
    x_dates: bool = False,
) -> go.Figure:
    """Counts per category (a rule, a day) stacked by facility type."""
    cats = [c[lang] for c in categories]
    fig = go.Figure()
    for facility_type, counts in stacks.items():
        name = code_label("facility_type", facility_type)[lang]
        bar = {"x": list(counts), "y": cats} if horizontal else {"x": cats, "y": list(counts)}
        fig.add_trace(
            go.Bar(
                **bar,
                orientation="h" if horizontal else "v",
                name=name,
                marker_color=type_colour(facility_type),
                hovertemplate=(
                    "%{y}: %{x:,}<extra>%{fullData.name}</extra>"
                    if horizontal
                    else "%{x}: %{y:,}<extra>%{fullData.name}</extra>"
                ),
            )
        )
    margin = {"l": 260 if horizontal else 60, "r": 20, "t": 40, "b": 40}
    _layout(fig, lang, barmode="stack", margin=margin)
    peak = max((sum(day) for day in zip(*stacks.values(), strict=True)), default=0)
    format_axis(fig, "x" if horizontal else "y", "count", peak)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    if x_dates:
        _day_axis(fig, cats)
    return fig


def bars(
    lang: Lang,
    categories: Sequence[Text],
    values: Sequence[float],
    colour: str,
    kind: AxisKind = "count",
) -> go.Figure:
    cats = [c[lang] for c in categories]
    fig = go.Figure(
        go.Bar(
            x=list(values),
            y=cats,
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}: %{x:" + AXIS_FORMATS[kind] + "}<extra></extra>",
        )
    )
    _layout(fig, lang, margin={"l": 320, "r": 20, "t": 20, "b": 40}, showlegend=False)
    format_axis(fig, "x", kind, max(values, default=0))
    fig.update_yaxes(autorange="reversed")
    return fig


def grouped_shares(
    lang: Lang,
    groups: Sequence[Text],
    series: dict[str, Sequence[float | None]],
    colours: dict[str, str],
    label_prefix: str,
    target: float | None = None,
    horizontal: bool = False,
) -> go.Figure:
    """One bar per share (titled by the label `<label_prefix>.<share>`) for each group; with a
    target, a dashed line at it. Horizontal bars read better with long group names."""
    names = [g[lang] for g in groups]
    value, category = ("x", "y") if horizontal else ("y", "x")
    fig = go.Figure()
    for metric, values in series.items():
        fig.add_trace(
            go.Bar(
                **{category: names, value: list(values)},
                orientation="h" if horizontal else "v",
                name=label(f"{label_prefix}.{metric}")[lang],
                marker_color=colours[metric],
                hovertemplate=f"%{{{category}}}: %{{{value}:.1%}}<extra>%{{fullData.name}}</extra>",
            )
        )
    if target is not None:
        _target_line(fig, lang, target, value)
    margin = (
        {"l": 170, "r": 20, "t": 40, "b": 40}
        if horizontal
        else {"l": 60, "r": 20, "t": 30, "b": 50}
    )
    _layout(fig, lang, barmode="group", bargap=0.25, margin=margin)
    _percent_axis(fig, value)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return fig


def heat_table(
    lang: Lang,
    rows: Sequence[Text],
    columns: Sequence[Text],
    z: Sequence[Sequence[float | None]],
    text: Sequence[Sequence[Text | str]],
) -> go.Figure:
    """Counts per row and column; a cell's text may differ by language (1.500 / 1,500)."""
    text = [[t[lang] if isinstance(t, Text) else t for t in row] for row in text]
    fig = go.Figure(
        go.Heatmap(
            z=[list(r) for r in z],
            x=[c[lang] for c in columns],
            y=[r[lang] for r in rows],
            text=[list(t) for t in text],
            texttemplate="%{text}",
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            colorscale=[[0, "#fff5eb"], [0.5, "#fd8d3c"], [1, "#a63603"]],
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    _layout(fig, lang, margin={"l": 180, "r": 20, "t": 20, "b": 90})
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(showgrid=False, side="bottom")
    return fig


def sankey(lang: Lang, flows: Sequence[tuple[str, str, int]]) -> go.Figure:
    """Referral flows from one facility type (left) to another (right)."""
    sources = sorted({f for f, _, _ in flows})
    targets = sorted({t for _, t, _ in flows})
    nodes = [("from", s) for s in sources] + [("to", t) for t in targets]
    index = {node: i for i, node in enumerate(nodes)}
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [code_label("facility_type", code)[lang] for _, code in nodes],
                "color": [type_colour(code) for _, code in nodes],
                "pad": 14,
                "thickness": 16,
            },
            link={
                "source": [index[("from", f)] for f, _, _ in flows],
                "target": [index[("to", t)] for _, t, _ in flows],
                "value": [n for _, _, n in flows],
                "color": "rgba(46, 117, 182, 0.25)",
            },
        )
    )
    _layout(fig, lang, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def bars_and_line(
    lang: Lang,
    days: Sequence[date],
    counts: Sequence[int],
    shares: Sequence[float | None],
    count_name: Text,
    share_name: Text,
) -> go.Figure:
    """Counts as bars (left axis) with a share as a line over them (right axis)."""
    x = [d.isoformat() for d in days]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=list(counts), name=count_name[lang], marker_color="#c9d9ea"))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=list(shares),
            name=share_name[lang],
            yaxis="y2",
            mode="lines+markers",
            line={"color": "#3d7a2a", "width": 2},
            hovertemplate="%{x|%d/%m/%Y}: %{y:.1%}<extra>%{fullData.name}</extra>",
        )
    )
    _layout(
        fig,
        lang,
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False},
        margin={"l": 60, "r": 60, "t": 30, "b": 50},
    )
    format_axis(fig, "y2", "percent")
    format_axis(fig, "y", "count", max((c for c in counts if c is not None), default=0))
    _day_axis(fig, days)
    return fig


def outbreak_trend(
    lang: Lang,
    days: Sequence[date],
    observed: Sequence[int | None],
    expected: Sequence[float | None] | None,
    upperbound: Sequence[float | None] | None,
    alarm: Sequence[bool],
) -> go.Figure:
    """New cases per day with the method's expected count and threshold, alarm days marked.
    A withheld count (suppressed) is a gap, never a zero."""
    x = [d.isoformat() for d in days]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=x, y=list(observed), name=label("bulletin.observed")[lang],
               marker={"color": ["#c0392b" if a else "#8fb8e0" for a in alarm]})
    )  # fmt: skip
    for values, key, colour, dash in (
        (expected, "bulletin.expected", "#3d7a2a", "solid"),
        (upperbound, "bulletin.threshold", "#b7791f", "dot"),
    ):
        if values is not None:
            fig.add_trace(
                go.Scatter(x=x, y=list(values), name=label(key)[lang], mode="lines",
                           line={"color": colour, "dash": dash, "width": 2})
            )  # fmt: skip
    _layout(fig, lang, bargap=0.2)
    _day_axis(fig, days)
    peak = max([v for s in (observed, upperbound or []) for v in s if v is not None], default=0)
    format_axis(fig, "y", "count", peak)
    return fig


def count_step(peak: float, ticks: int = 5) -> int:
    """A whole, round tick step (1, 2, 5, 10, 20, …) giving about `ticks` ticks up to `peak`:
    counts never get 0,5 steps or repeated labels."""
    step = 1
    while peak / step > ticks:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if peak / step <= ticks:
                break
    return step
