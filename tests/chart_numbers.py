"""Checking how a report chart's numbers read: separators per language and a tickformat of
reports/charts.py on every axis or colour bar that carries numbers or dates."""

from __future__ import annotations

import re

from hanoi_health_lake.reports.charts import AXIS_FORMATS
from hanoi_health_lake.reports.model import Chart

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SEPARATORS = {"vi": ",.", "en": ".,"}  # decimal mark, then thousands: 1.500 and 1,25 in vi


def charts_of(page) -> list[Chart]:
    found = []
    for section in page.sections:
        for block in section.blocks:
            found += [b for b in (block if isinstance(block, list) else [block])]
    return [b for b in found if isinstance(b, Chart)]


def _values_kind(values) -> str | None:
    """'number', 'date' or None (categories, or nothing) for a trace's x or y."""
    if isinstance(values, dict):  # plotly's typed array (base64 numbers)
        return "number"
    present = [v for v in values or [] if v is not None]
    if not present:
        return None
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "number"
    if all(isinstance(v, str) and ISO_DAY.match(v) for v in present):
        return "date"
    return None


def unformatted_axes(figure: dict) -> list[str]:
    """The figure's numeric or date axes and visible colour bars lacking a tickformat of ours."""
    layout = figure["layout"]
    missing = []
    for trace in figure["data"]:
        for letter in ("x", "y"):
            kind = _values_kind(trace.get(letter))
            if kind is None or trace.get("type") in ("heatmap", "sankey"):
                continue
            ref = trace.get(f"{letter}axis", letter)
            name = f"{letter}axis{ref[1:]}"
            fmt = layout.get(name, {}).get("tickformat")
            wanted = {AXIS_FORMATS["date"]} if kind == "date" else set(AXIS_FORMATS.values())
            if fmt not in wanted:
                missing.append(f"{name} ({kind}): {fmt!r}")
        scale = trace.get("type") == "heatmap" and trace.get("showscale") is not False
        if scale and trace.get("colorbar", {}).get("tickformat") not in AXIS_FORMATS.values():
            missing.append("colorbar")
    return missing
