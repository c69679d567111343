"""Small server-rendered SVG charts for the ops dashboard: pure functions, markup out.

The studio's CSP forbids inline scripts and `style=` attributes, so every chart is plain SVG
drawn with presentation attributes (fill, x, width...) and coloured by CSS classes.
Each chart is an image to assistive technology (role="img" with a <title>); the page shows
the same numbers in a table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 22
BAR_GAP = 8


def _svg(title: str, width: int, height: int, body: str, css: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>{body}</svg>')


def _empty(title: str, message: str, width: int, height: int) -> Markup:
    body = (f'<text class="empty" x="{width / 2:g}" y="{height / 2:g}" '
            f'text-anchor="middle" dominant-baseline="middle">{escape(message)}</text>')
    return _svg(title, width, height, body, "is-empty")


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, empty: str,
              width: int = 420, label_width: int = 120, unit: str = "") -> Markup:
    """Horizontal bars, one row per (label, value), each as long as its share of the largest."""
    top = max((value for _label, value in rows), default=0)
    if not rows or top <= 0:
        return _empty(title, empty, width, 3 * (BAR_HEIGHT + BAR_GAP))
    track = width - label_width - 60  # room on the right for the value
    parts = []
    for index, (label, value) in enumerate(rows):
        y = index * (BAR_HEIGHT + BAR_GAP)
        length = round(track * value / top, 1)
        parts.append(
            f'<g class="bar"><text class="label" x="{label_width - 6}" y="{y + 15}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:g}" height="{BAR_HEIGHT}" rx="3">'
            f'<title>{escape(label)}: {_number(value)}{escape(unit)}</title></rect>'
            f'<text class="value" x="{label_width + length + 6:g}" y="{y + 15}">'
            f'{_number(value)}{escape(unit)}</text></g>')
    height = len(rows) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    return _svg(title, width, height, "".join(parts), "bars")


def column_chart(rows: Sequence[tuple[str, float]], *, title: str, empty: str,
                 width: int = 640, height: int = 160, every: int = 1) -> Markup:
    """Vertical columns, e.g. scans per hour of the day; every n-th column is labelled."""
    top = max((value for _label, value in rows), default=0)
    if not rows or top <= 0:
        return _empty(title, empty, width, height)
    plot = height - 20
    step = width / len(rows)
    parts = []
    for index, (label, value) in enumerate(rows):
        size = round(plot * value / top, 1)
        x = round(index * step, 1)
        parts.append(
            f'<rect x="{x + 1:g}" y="{plot - size:g}" width="{max(step - 2, 1):.1f}" '
            f'height="{size:g}"><title>{escape(label)}: {_number(value)}</title></rect>')
        if index % every == 0:
            parts.append(f'<text class="tick" x="{x + step / 2:.1f}" y="{height - 4}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    return _svg(title, width, height, "".join(parts), "columns")


def _path(values: Sequence[float], width: float, height: float, top: float) -> list[tuple]:
    step = width / (len(values) - 1) if len(values) > 1 else 0
    return [(round(index * step, 1), round(height - height * value / top, 1) if top else height)
            for index, value in enumerate(values)]


def line_chart(points: Sequence[tuple[str, float]], *, title: str, empty: str,
               width: int = 900, height: int = 220, ticks: int = 8) -> Markup:
    """An area under a line over time, with the peak marked on the y axis."""
    values = [value for _label, value in points]
    top = max(values, default=0)
    if not points or top <= 0:
        return _empty(title, empty, width, height)
    left, bottom = 36, 22
    plot_w, plot_h = width - left - 24, height - bottom - 8  # room for the last tick
    coords = [(x + left, y + 8) for x, y in _path(values, plot_w, plot_h, top)]
    if len(coords) == 1:  # a single bucket still gets a visible line
        coords.append((left + plot_w, coords[0][1]))
    line = " ".join(f"{x:g},{y:g}" for x, y in coords)
    base = plot_h + 8
    area = f"{left},{base} {line} {coords[-1][0]:g},{base}"
    parts = [f'<line class="axis" x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}"/>',
             f'<line class="grid" x1="{left}" y1="8" x2="{left + plot_w}" y2="8"/>',
             f'<text class="tick" x="{left - 4}" y="12" text-anchor="end">{_number(top)}</text>',
             f'<text class="tick" x="{left - 4}" y="{base}" text-anchor="end">0</text>',
             f'<polygon class="area" points="{area}"/>',
             f'<polyline class="line" fill="none" points="{line}"/>']
    every = max(1, -(-len(points) // ticks))
    for index in range(0, len(points), every):
        parts.append(f'<text class="tick" x="{coords[index][0]:g}" y="{height - 4}" '
                     f'text-anchor="middle">{escape(points[index][0])}</text>')
    for (label, value), (x, y) in zip(points, coords, strict=False):
        parts.append(f'<circle class="dot" cx="{x:g}" cy="{y:g}" r="2.5">'
                     f'<title>{escape(label)}: {_number(value)}</title></circle>')
    return _svg(title, width, height, "".join(parts), "line-chart")


def sparkline(values: Sequence[float], *, title: str, width: int = 120,
              height: int = 24) -> Markup:
    """A tiny line without axes; a flat line at the bottom when there is nothing."""
    top = max(values, default=0)
    coords = _path(values, width - 2, height - 4, top) if values else []
    if len(coords) < 2:
        coords = [(0, height - 4), (width - 2, height - 4)]
    line = " ".join(f"{x + 1:g},{y + 2:g}" for x, y in coords)
    return _svg(title, width, height, f'<polyline class="line" fill="none" points="{line}"/>',
                "sparkline")


def heatmap(grid: Sequence[Sequence[float]], *, rows: Sequence[str], title: str, empty: str,
            cell: int = 22, label_width: int = 44) -> Markup:
    """A grid of cells (one row per label, e.g. weekdays; one column per hour), each as
    opaque as its share of the largest value; empty cells keep a faint outline."""
    top = max((value for row in grid for value in row), default=0)
    columns = max((len(row) for row in grid), default=0)
    width, height = label_width + columns * cell, (len(grid) + 1) * cell
    if top <= 0:
        return _empty(title, empty, width, height)
    parts = []
    for y, (label, values) in enumerate(zip(rows, grid, strict=True)):
        parts.append(f'<text class="label" x="{label_width - 6}" y="{y * cell + 15}" '
                     f'text-anchor="end">{escape(label)}</text>')
        for x, value in enumerate(values):
            shade = 0.06 + 0.94 * value / top if value else 0.03
            parts.append(
                f'<rect x="{label_width + x * cell + 1}" y="{y * cell + 1}" width="{cell - 2}" '
                f'height="{cell - 2}" rx="2" fill-opacity="{shade:.2f}">'
                f'<title>{escape(label)} {x:02d}:00: {_number(value)}</title></rect>')
    for x in range(0, columns, 3):
        parts.append(f'<text class="tick" x="{label_width + x * cell + cell / 2:g}" '
                     f'y="{height - 6}" text-anchor="middle">{x:02d}</text>')
    return _svg(title, width, height, "".join(parts), "heatmap")
