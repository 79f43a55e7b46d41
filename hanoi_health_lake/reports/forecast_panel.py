"""The dashboard's forecast panel: recent history and the forecast with its 80% band, for each
facility type's daily encounters and the city's notifiable disease groups, and per series the
error a manager can plan with ("thường sai khoảng ±N ca/ngày": the backtest's mean absolute
error, rounded). Read from the forecast marts (forecasting/marts.py), which the weekly forecast
job builds; without them the panel says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from hanoi_health_lake.reports import charts
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Chart, Column, Lang, Note, Section, Table, Text, same
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

MARTS = ("mart_forecast_visits", "mart_forecast_cases")
GROUP_COLOURS = ("#c0392b", "#2e75b6", "#3d7a2a", "#b8860b", "#7a4fa0", "#d27a2c", "#1f4e79")


def _available(src: ReportSource) -> bool:
    found = src.scalar(
        "select count(*) from duckdb_tables() where schema_name = 'main' "
        f"and table_name in ({', '.join(repr(m) for m in MARTS)})"
    )
    return found == len(MARTS)


def error_words(mae: float | None, unit: str = "forecast.unit_visits") -> Text:
    """The backtest error as a manager reads it: "thường sai khoảng ±12 lượt/ngày"."""
    if mae is None:
        return label("forecast.error_unknown")
    return label("forecast.error_words", n=f"{round(mae):,}".replace(",", "."), unit=label(unit))


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def band_chart(
    lang: Lang, series: Sequence[tuple[Text, str, pl.DataFrame]], unit: Text
) -> go.Figure:
    """One line per series: observed solid, forecast dashed, the 80% interval a shaded band.
    A withheld (suppressed) value is a gap, never a zero."""
    fig = go.Figure()
    days: list = []
    peak = 0.0
    for name, colour, rows in series:
        seen = rows.filter(pl.col("row_kind") == "observed")
        ahead = rows.filter(pl.col("row_kind") == "forecast")
        x_ahead = [d.isoformat() for d in ahead["target_date"]]
        fig.add_trace(
            go.Scatter(x=x_ahead + x_ahead[::-1],
                       y=ahead["hi_80"].to_list() + ahead["lo_80"].to_list()[::-1],
                       fill="toself", fillcolor=_rgba(colour, 0.18), line={"width": 0},
                       hoverinfo="skip", showlegend=False, legendgroup=name[lang])
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=[d.isoformat() for d in seen["target_date"]], y=seen["observed"],
                       name=name[lang], mode="lines", legendgroup=name[lang],
                       line={"color": colour, "width": 2})
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=x_ahead, y=ahead["forecast"], mode="lines", showlegend=False,
                       name=f"{name[lang]} — {label('forecast.ahead')[lang]}",
                       legendgroup=name[lang], line={"color": colour, "width": 2, "dash": "dash"})
        )  # fmt: skip
        days += rows["target_date"].to_list()
        peak = max([peak, *(v for v in rows["hi_80"].to_list() + rows["observed"].to_list() if v)])
    charts._layout(fig, lang, yaxis_title=unit[lang])
    if days:
        charts._day_axis(fig, days)
    charts.format_axis(fig, "y", "count", peak)
    return fig


def _chart(chart_id, title, picked, unit, made_on, horizon) -> Chart:
    return Chart(
        chart_id,
        title,
        charts.in_both(band_chart, picked, unit),
        label("forecast.basis", made_on=made_on.strftime("%d/%m/%Y"), horizon=str(horizon)),
        height=420,
    )


def _summary_rows(rows: pl.DataFrame, name_of, unit: str) -> tuple[list, list[str]]:
    ahead = rows.filter(pl.col("row_kind") == "forecast").sort("target_date")
    out, ids = [], []
    for key, part in ahead.group_by("key", maintain_order=True):
        week = part.head(7)
        first = part.row(0, named=True)
        mean = week["forecast"].mean() if week["forecast"].null_count() == 0 else None
        out.append([
            name_of(key[0]), first["method"], mean,
            week["lo_80"].min(), week["hi_80"].max(),
            error_words(first["backtest_mae"], unit),
            first["backtest_coverage_80"],
            label("forecast.incomplete") if first["history_incomplete"] else same(""),
        ])  # fmt: skip
        ids.append(f"forecast:{key[0]}")
    return out, ids


def forecast_section(src: ReportSource, period: Period) -> Section:
    title = label("section.forecast")
    if not _available(src):
        return Section("forecast", title, blocks=[Note(label("note.no_forecast"))])
    visits = src.frame("forecast_visits").with_columns(pl.col("series_key").alias("key"))
    cases = src.frame("forecast_cases").with_columns(pl.col("group_id").alias("key"))
    if visits.is_empty() and cases.is_empty():
        return Section("forecast", title, blocks=[Note(label("note.no_forecast"))])
    blocks: list = []
    names = {}
    if cases.height:
        names = dict(zip(cases["group_id"], cases["group_name_vi"], strict=True))

    def type_name(key: str) -> Text:
        return code_label("facility_type", key)

    def group_name(key: str) -> Text:
        return Text(names.get(key, key), key)

    if (visits["history_incomplete"].any() if visits.height else False) or (
        cases["history_incomplete"].any() if cases.height else False
    ):
        blocks.append(Note(label("note.forecast_incomplete"), tone="warn"))
    for rows, name_of, unit, chart_id, chart_title in (
        (visits, type_name, "forecast.unit_visits", "forecast_visits", "chart.forecast_visits"),
        (cases, group_name, "forecast.unit_cases", "forecast_cases", "chart.forecast_cases"),
    ):
        if rows.is_empty():
            continue
        keys = rows["key"].unique(maintain_order=True).to_list()
        picked = [
            (name_of(k), charts.TYPE_COLOURS.get(k, GROUP_COLOURS[i % len(GROUP_COLOURS)]),
             rows.filter(pl.col("key") == k).sort("target_date"))
            for i, k in enumerate(keys)
        ]  # fmt: skip
        horizon = int(rows["step"].max())
        blocks.append(
            _chart(chart_id, label(chart_title), picked, label(unit), rows["made_on"][0], horizon)
        )
        table_rows, ids = _summary_rows(rows, name_of, unit)
        blocks.append(
            Table(
                id=f"{chart_id}_table",
                title=label(f"table.{chart_id}"),
                columns=[
                    Column("series", label("col.forecast_series"), "label"),
                    Column("method", label("col.forecast_method"), "text"),
                    Column("mean_next_7", label("col.forecast_mean_next_7"), "number"),
                    Column("lo_80", label("col.forecast_lo_80"), "number"),
                    Column("hi_80", label("col.forecast_hi_80"), "number"),
                    Column("error", label("col.forecast_error"), "label", wrap=True),
                    Column("coverage_80", label("col.forecast_coverage_80"), "share"),
                    Column("incomplete", label("col.forecast_incomplete"), "label"),
                ],
                rows=table_rows,
                row_ids=ids,
                note=label("note.forecast_table"),
            )
        )
    return Section("forecast", title, label("intro.forecast"), blocks)
