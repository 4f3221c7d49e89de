"""Server-rendered SVG charts: readable without JavaScript, each with role="img", a <title> and a
<desc>, and shown beside its data table (issue 12, WCAG 2.1 AA).

Why no charting library: a bar chart of a handful of budget years is a few rectangles and labels;
writing them here keeps the page free of scripts and of a dependency, and the amounts exact (the
bars are scaled from integer cents, the labels use the same ``eur`` filter as the tables).
Colour is never the only cue: the parts of a stacked bar differ by fill pattern (solid, hatched,
outlined), a legend names them in words, every part has its own <title>, and the table beside
the chart holds every figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from portal.web import eur

WIDTH, LABEL, BAR_AREA, ROW = 640, 80, 360, 28
BAR_COLOUR = "#1f4e79"      # on white: contrast 9.3:1, above the 3:1 that WCAG asks of graphics
SECOND_COLOUR = "#8a4b00"   # on white: contrast 6.6:1
TEXT_COLOUR = "#1a1a1a"
STYLES = ("solid", "hatched", "outline")   # the parts of a stacked bar, in this order


def _head(ident: str, title: str, desc: str, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'aria-labelledby="{ident}-title {ident}-desc" data-testid="{ident}">'
            f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>')


def bar_chart(title: str, desc: str, rows: Sequence[tuple[str, int]], ident: str = "chart") -> Markup:
    """A horizontal bar chart of ``(label, cents)`` rows; negative amounts draw as zero-length bars
    (their figure stays in the label and in the table beside the chart). ``ident`` keeps the ids of
    two charts on one page apart."""
    top = max((cents for _, cents in rows), default=0)
    height = ROW * len(rows) + 8
    parts = [_head(ident, title, desc, height)]
    for i, (label, cents) in enumerate(rows):
        y = 4 + i * ROW
        width = round(BAR_AREA * cents / top) if top > 0 and cents > 0 else 0
        parts.append(f'<text x="0" y="{y + 18}" fill="{TEXT_COLOUR}" font-size="14">{escape(label)}</text>'
                     f'<rect x="{LABEL + 20}" y="{y + 4}" width="{width}" height="{ROW - 8}" fill="{BAR_COLOUR}"/>'
                     f'<text x="{LABEL + 28 + width}" y="{y + 18}" fill="{TEXT_COLOUR}" font-size="14">{escape(eur(cents))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and figure is escaped above; numbers are ints


def _defs(ident: str) -> str:
    return (f'<defs><pattern id="{ident}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            f'<rect width="3" height="6" fill="{SECOND_COLOUR}"/></pattern></defs>')


def _part(ident: str, style: str, x: int, y: int, width: int, tip: str = "") -> str:
    """One part of a stacked bar (or its legend's swatch), with its own title: the series and amount."""
    fill = {"solid": f'fill="{BAR_COLOUR}"', "hatched": f'fill="url(#{ident}-hatch)" stroke="{SECOND_COLOUR}"',
            "outline": f'fill="#ffffff" stroke="{BAR_COLOUR}" stroke-dasharray="4 2"'}[style]
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return f'<rect x="{x}" y="{y}" width="{width}" height="{ROW - 8}" {fill} data-part="{style}">{title}</rect>'


def _legend(ident: str, series: Sequence[str], y: int) -> str:
    parts, x = [], 0
    for style, name in zip(STYLES, series, strict=False):
        parts.append(_part(ident, style, x, y, 16) + f'<text x="{x + 22}" y="{y + 15}" fill="{TEXT_COLOUR}" font-size="13">{escape(name)}</text>')
        x += 28 + 8 * len(name)
    return "".join(parts)


def stacked_chart(title: str, desc: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[int], str]],
                  ident: str = "stacked") -> Markup:
    """A horizontal stacked bar per ``(label, parts in cents, label at the bar's end)`` row.

    ``series`` names the parts (at most three: solid, hatched, outlined), shown in a legend above
    the bars; a negative part draws as nothing (its figure is in the table beside the chart).
    """
    top = max((sum(max(c, 0) for c in parts) for _, parts, _ in rows), default=0)
    height = ROW * (len(rows) + 1) + 8
    out = [_head(ident, title, desc, height), _defs(ident), _legend(ident, series, 4)]
    for i, (label, parts, end) in enumerate(rows, 1):
        y, x = 4 + i * ROW, LABEL + 20
        out.append(f'<text x="0" y="{y + 18}" fill="{TEXT_COLOUR}" font-size="14">{escape(label)}</text>')
        for style, name, cents in zip(STYLES, series, parts, strict=False):
            width = round(BAR_AREA * cents / top) if top > 0 and cents > 0 else 0
            if width:
                out.append(_part(ident, style, x, y + 4, width, f"{name}: {eur(cents)}"))
            x += width
        out.append(f'<text x="{x + 8}" y="{y + 18}" fill="{TEXT_COLOUR}" font-size="14">{escape(end)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every label and figure is escaped above; numbers are ints
