"""Small SVG charts drawn on the server (no CDN, no script): stacked bars over time, horizontal bars.

Pure: numbers in, SVG text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#c0392b", "#e67e22", "#f1c40f", "#2980b9", "#27ae60", "#8e44ad", "#16a085", "#7f8c8d", "#d35400", "#2c3e50")


def stacked_bars(
    periods: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    labels: Mapping[str, str] | None = None,
    width: int = 720,
    height: int = 260,
) -> str:
    """Bars per period, stacked by series (e.g. incident counts per week by type)."""
    labels = labels or {}
    left, bottom, top, right = 40, 40, 28, 150
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(periods))]
    peak = max(totals, default=0) or 1
    bar_w = plot_w / max(len(periods), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart"><title>{escape(title)}</title>',
        f'<text x="{left}" y="18" class="chart-title">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="chart-axis">{peak:g}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="chart-axis">0</text>',
    ]
    for i, period in enumerate(periods):
        y: float = top + plot_h
        for colour, (name, values) in zip(PALETTE * 10, series.items(), strict=False):
            h = plot_h * values[i] / peak
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{left + i * bar_w + 2:.1f}" y="{y:.1f}" width="{max(bar_w - 4, 1):.1f}" '
                    f'height="{h:.1f}" fill="{colour}"><title>{escape(labels.get(name, name))} '
                    f"{escape(period)}: {values[i]:g}</title></rect>"
                )
        if len(periods) <= 16 or i % max(len(periods) // 8, 1) == 0:
            parts.append(
                f'<text x="{left + (i + 0.5) * bar_w:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'class="chart-axis">{escape(period)}</text>'
            )
    for j, (colour, name) in enumerate(zip(PALETTE * 10, series, strict=False)):
        y = top + 14 * j
        parts.append(
            f'<rect x="{width - right + 10}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{width - right + 24}" y="{y + 9}" class="chart-legend">'
            f"{escape(labels.get(name, name))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    values: Mapping[str, float],
    *,
    title: str,
    unit: str = "",
    labels: Mapping[str, str] | None = None,
    width: int = 720,
) -> str:
    """One bar per key (e.g. median minutes to response per incident type)."""
    labels = labels or {}
    row, left, top = 22, 170, 28
    height = top + row * max(len(values), 1) + 10
    peak = max(values.values(), default=0) or 1
    plot_w = width - left - 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart"><title>{escape(title)}</title>',
        f'<text x="10" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for i, (name, value) in enumerate(values.items()):
        y = top + i * row
        w = plot_w * value / peak
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" class="chart-legend">'
            f"{escape(labels.get(name, name))}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="#2980b9"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + 14}" class="chart-axis">{value:.0f} {escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
