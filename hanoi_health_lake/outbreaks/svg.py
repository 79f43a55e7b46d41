"""A small inline-SVG trend chart: observed counts, expected, threshold and alarm days.

Inline SVG needs no script and no network, so a bulletin stays one self-contained file that
any page can embed any number of times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT = 640, 210
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 14, 48
OBSERVED, EXPECTED, THRESHOLD, ALARM, HIDDEN = "#1f4e79", "#6b7280", "#c2410c", "#dc2626", "#d1d5db"


def trend_svg(
    days: Sequence[date],
    observed: Sequence[int | None],
    *,
    expected: Sequence[float | None] | None = None,
    upperbound: Sequence[float | None] | None = None,
    alarm: Sequence[bool] | None = None,
    hidden_below: int = 5,
    label: str,
) -> str:
    """An <svg> of one series. `observed` None marks a withheld count (1 … hidden_below − 1),
    drawn as a grey band over that range instead of a point."""
    n = len(days)
    lines = [v for s in (observed, expected, upperbound) if s for v in s if v is not None]
    top = _nice_max(max([*lines, hidden_below - 1, 1]))
    x_step = (WIDTH - LEFT - RIGHT) / max(n - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * x_step

    def y(v: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - v / top)

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(label)}" class="hhl-trend">',
        f"<title>{escape(label)}</title>",
        *_axes(days, top, x, y),
    ]
    for i, v in enumerate(observed):
        if v is None:
            hit = bool(alarm and alarm[i])
            parts.append(
                f'<rect x="{x(i) - x_step / 3:.1f}" y="{y(hidden_below - 1):.1f}" '
                f'width="{2 * x_step / 3:.1f}" height="{y(1) - y(hidden_below - 1):.1f}" '
                f'fill="{ALARM if hit else HIDDEN}"><title>{days[i]:%d/%m}: &lt;{hidden_below}'
                f"{' — cảnh báo' if hit else ''}</title></rect>"
            )
    for values, colour, dash in (
        (upperbound, THRESHOLD, "2 3"),
        (expected, EXPECTED, "6 4"),
        (observed, OBSERVED, ""),
    ):
        if values is not None:
            parts += _polylines(values, x, y, colour, dash)
    for i, v in enumerate(observed):
        if v is None:
            continue
        hit = bool(alarm and alarm[i])
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{4 if hit else 2.5}" '
            f'fill="{ALARM if hit else OBSERVED}"><title>{days[i]:%d/%m}: {v}'
            f"{' — cảnh báo' if hit else ''}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def legend_html(*, with_expected: bool, hidden_below: int | None = None) -> str:
    items = [(OBSERVED, "số ca mới"), (ALARM, "ngày có cảnh báo")]
    if with_expected:
        items += [(EXPECTED, "kỳ vọng"), (THRESHOLD, "ngưỡng cảnh báo")]
    if hidden_below is not None:
        items.append((HIDDEN, f"dưới {hidden_below} ca (ẩn)"))
    spans = " ".join(f'<span><i style="background:{c}"></i>{escape(t)}</span>' for c, t in items)
    return f'<p class="hhl-legend">{spans}</p>'


def _nice_max(value: float) -> float:
    """A round axis top at or above `value` (1, 2, 5 × 10^k)."""
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _axes(days: Sequence[date], top: float, x, y) -> list[str]:
    out = []
    for k in range(5):
        v = top * k / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#e5e7eb"/>'
            f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#374151">{v:g}</text>'
        )
    step = max(1, len(days) // 7)
    for i in range(0, len(days), step):
        out.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11" fill="#374151">{days[i]:%d/%m}</text>'
        )
    return out


def _polylines(values: Sequence[float | None], x, y, colour: str, dash: str) -> list[str]:
    """One polyline per stretch of known values (a withheld or missing value breaks it)."""
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    out, run = [], []
    for i, v in enumerate([*values, None]):
        if v is not None:
            run.append(f"{x(i):.1f},{y(v):.1f}")
            continue
        if len(run) > 1:
            out.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                f'stroke-width="1.8"{dash_attr}/>'
            )
        run = []
    return out
