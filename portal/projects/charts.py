"""Server-rendered SVG charts: readable without JavaScript, each with role="img", a <title> and a
<desc>, and shown beside its data table (issue 12, WCAG 2.1 AA).

Why no charting library: a bar chart of a handful of budget years is a few rectangles and labels;
writing them here keeps the page free of scripts and of a dependency, and the amounts exact (the
bars are scaled from integer cents, the labels use the same ``eur`` filter as the tables).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from portal.web import eur

WIDTH, BAR_AREA, ROW = 640, 360, 28
BAR_COLOUR = "#1f4e79"      # on white: contrast 9.3:1, above the 3:1 that WCAG asks of graphics
TEXT_COLOUR = "#1a1a1a"


def bar_chart(title: str, desc: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """A horizontal bar chart of ``(label, cents)`` rows; negative amounts draw as zero-length bars
    (their figure stays in the label and in the table beside the chart)."""
    top = max((cents for _, cents in rows), default=0)
    height = ROW * len(rows) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" aria-labelledby="chart-title chart-desc" data-testid="chart">',
             f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>']
    for i, (label, cents) in enumerate(rows):
        y = 4 + i * ROW
        width = round(BAR_AREA * cents / top) if top > 0 and cents > 0 else 0
        parts.append(f'<text x="0" y="{y + 18}" fill="{TEXT_COLOUR}" font-size="14">{escape(label)}</text>'
                     f'<rect x="80" y="{y + 4}" width="{width}" height="{ROW - 8}" fill="{BAR_COLOUR}"/>'
                     f'<text x="{88 + width}" y="{y + 18}" fill="{TEXT_COLOUR}" font-size="14">{escape(eur(cents))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and figure is escaped above; numbers are ints
