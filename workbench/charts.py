"""Server-rendered SVG charts shared by the committee dashboard and the yearly PDF.

Pure functions: figures in, safe inline SVG markup out. No JavaScript and no
external assets; a fixed viewBox so a chart scales to its container (a phone's
width or an A4 column). Every chart carries a `<title>` (its accessible name) and
a `<desc>` spelling out its figures; `chart_table` gives the same figures as a
table for pages that want one beside the picture (visually hidden by default).
Labels are escaped: they come from organization names people typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 640
ROW_HEIGHT = 28
BAR_HEIGHT = 18
FONT_SIZE = 13
LABEL_MAX_WIDTH = 190
VALUE_WIDTH = 80
FONT_FAMILY = (
    "'Noto Sans CJK SC', 'Noto Serif CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', "
    "'PingFang SC', 'Microsoft YaHei', sans-serif"
)
# A measured value is not a warning: bars are slate blue, since red means late on every page.
BAR_COLOUR = "#37618f"
TRACK_COLOUR = "#f0f1f3"
INK = "#1f2328"
MUTED = "#5b636b"
# 好 / 较好 / 一般 / 差 in that order, the grades' own colours of static/css/app.css; further series are grey.
DISTRIBUTION_COLOURS = ("#00796b", "#2f6fb3", "#b77900", "#6a1b1b")
FALLBACK_COLOUR = "#8a9199"

Number = float | int | Decimal


def _text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """A CJK character is about one em wide, a Latin one about half: enough to lay out labels."""
    # The ellipsis and full-width punctuation are drawn an em wide by CJK fonts too.
    return sum(font_size if ord(char) > 0x2E7F or char in "…（）、，" else font_size * 0.56 for char in text)


def _fit(text: str, max_width: float) -> str:
    """Cuts a label to the room it has, with an ellipsis; the full label stays in the tooltip and the table."""
    if _text_width(text) <= max_width:
        return text
    kept = ""
    for char in text:
        if _text_width(kept + char + "…") > max_width:
            break
        kept += char
    return kept + "…"


def _n(value: float) -> str:
    """A coordinate with one decimal (format_html escapes its arguments to text, so numbers are formatted first)."""
    return f"{value:.1f}"


def format_value(value: Number, unit: str = "") -> str:
    """85.0 reads 85, 85.25 reads 85.3: one decimal at most, then the unit."""
    number = float(value)
    text = f"{number:.1f}".rstrip("0").rstrip(".") if number != int(number) else str(int(number))
    return f"{text}{unit}"


def _svg(*, title: str, description: str, height: int, body: SafeString, css_class: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{}" font-family="{}" font-size="{}">'
        "<title>{}</title><desc>{}</desc>{}</svg>",
        css_class,
        WIDTH,
        height,
        title,
        FONT_FAMILY,
        FONT_SIZE,
        title,
        description,
        body,
    )


def _describe(rows: Sequence[tuple[str, Number]], unit: str) -> str:
    return "；".join(f"{label}：{format_value(value, unit)}" for label, value in rows) or _("暂无数据")


def bar_chart(
    rows: Sequence[tuple[str, Number]],
    *,
    title: str,
    unit: str = "",
    max_value: Number | None = None,
) -> SafeString:
    """Horizontal bars, one row per (label, value), longest bar = `max_value` (default: the largest value)."""
    rows = [(str(label), value) for label, value in rows]
    if not rows:
        return _svg(
            title=title,
            description=_("暂无数据"),
            height=ROW_HEIGHT + 8,
            css_class="chart-bar",
            body=format_html('<text x="0" y="{}" fill="{}">{}</text>', ROW_HEIGHT - 8, MUTED, _("暂无数据")),
        )
    scale = float(max_value) if max_value is not None else max(float(value) for _label, value in rows)
    scale = scale if scale > 0 else 1.0
    label_width = min(LABEL_MAX_WIDTH, max(_text_width(label) for label, _value in rows)) + 8
    track_width = WIDTH - label_width - VALUE_WIDTH
    parts = []
    for index, (label, value) in enumerate(rows):
        top = index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        baseline = index * ROW_HEIGHT + ROW_HEIGHT / 2 + FONT_SIZE * 0.35
        length = max(0.0, min(1.0, float(value) / scale)) * track_width
        parts.append(
            format_html(
                "<g><title>{label}：{value}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end" fill="{ink}">{short}</text>'
                '<rect x="{x}" y="{top}" width="{track}" height="{h}" fill="{track_fill}"/>'
                '<rect x="{x}" y="{top}" width="{length}" height="{h}" fill="{fill}"/>'
                '<text x="{vx}" y="{ty}" fill="{ink}">{value}</text></g>',
                label=label,
                value=format_value(value, unit),
                short=_fit(label, label_width - 8),
                lx=_n(label_width - 8),
                x=_n(label_width),
                top=_n(top),
                ty=_n(baseline),
                track=_n(track_width),
                length=_n(length),
                h=BAR_HEIGHT,
                track_fill=TRACK_COLOUR,
                fill=BAR_COLOUR,
                ink=INK,
                vx=_n(label_width + track_width + 6),
            )
        )
    return _svg(
        title=title,
        description=_describe(rows, unit),
        height=len(rows) * ROW_HEIGHT,
        css_class="chart-bar",
        body=mark_safe("".join(parts)),  # each part was built with format_html
    )


def distribution_chart(counts: Sequence[tuple[str, int]], *, title: str) -> SafeString:
    """One stacked bar of shares (e.g. 好 / 较好 / 一般 / 差) with a legend giving counts and percentages."""
    counts = [(str(label), int(count)) for label, count in counts]
    total = sum(count for _label, count in counts)
    bar_top, bar_height = 4, 28
    legend_top = bar_top + bar_height + 14
    height = legend_top + ROW_HEIGHT
    parts = []
    if total == 0:
        parts.append(
            format_html(
                '<rect x="0" y="{}" width="{}" height="{}" fill="{}"/><text x="8" y="{}" fill="{}">{}</text>',
                bar_top,
                WIDTH,
                bar_height,
                TRACK_COLOUR,
                _n(bar_top + bar_height / 2 + FONT_SIZE * 0.35),
                MUTED,
                _("暂无数据"),
            )
        )
    x = 0.0
    for index, (label, count) in enumerate(counts):
        colour = DISTRIBUTION_COLOURS[index] if index < len(DISTRIBUTION_COLOURS) else FALLBACK_COLOUR
        share = count / total if total else 0.0
        width = share * WIDTH
        if width > 0:
            inside = format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="#fff">{}</text>',
                _n(x + width / 2),
                _n(bar_top + bar_height / 2 + FONT_SIZE * 0.35),
                count,
            )
            parts.append(
                format_html(
                    '<g><title>{}：{}（{}）</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>{}</g>',
                    label,
                    count,
                    format_value(share * 100, "%"),
                    _n(x),
                    bar_top,
                    _n(width),
                    bar_height,
                    colour,
                    inside if width >= _text_width(str(count)) + 6 else "",
                )
            )
        x += width
    slot = WIDTH / max(len(counts), 1)
    parts.append(
        format_html_join(
            "",
            '<g><rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
            '<text x="{}" y="{}" fill="' + INK + '">{}</text></g>',
            (
                (
                    _n(index * slot),
                    legend_top,
                    DISTRIBUTION_COLOURS[index] if index < len(DISTRIBUTION_COLOURS) else FALLBACK_COLOUR,
                    _n(index * slot + 18),
                    legend_top + 11,
                    _fit(f"{label} {count}（{format_value(count / total * 100 if total else 0, '%')}）", slot - 22),
                )
                for index, (label, count) in enumerate(counts)
            ),
        )
    )
    description = (
        "；".join(
            f"{label}：{count}（{format_value(count / total * 100 if total else 0, '%')}）" for label, count in counts
        )
        if total
        else _("暂无数据")
    )
    return _svg(
        title=title,
        description=description,
        height=height,
        css_class="chart-distribution",
        body=mark_safe("".join(parts)),  # each part was built with format_html
    )


def chart_table(
    rows: Sequence[tuple[str, Number]],
    *,
    caption: str,
    label_header: str | None = None,
    value_header: str | None = None,
    unit: str = "",
    hidden: bool = True,
) -> SafeString:
    """The chart's figures as a table: its text alternative (visually hidden unless `hidden=False`)."""
    body = format_html_join(
        "", '<tr><th scope="row">{}</th><td>{}</td></tr>', ((label, format_value(value, unit)) for label, value in rows)
    )
    return format_html(
        '<table class="{}"><caption>{}</caption><thead><tr><th scope="col">{}</th><th scope="col">{}</th></tr></thead>'
        "<tbody>{}</tbody></table>",
        "chart-data visually-hidden" if hidden else "chart-data table",
        caption,
        label_header or _("项目"),
        value_header or _("数值"),
        body,
    )


__all__ = ["bar_chart", "chart_table", "distribution_chart", "format_value"]
