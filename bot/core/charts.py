"""Inline SVG charts built from numbers: rates with interval whiskers, plain bars, head-to-head splits and a
weekly line. Pure: values in, markup out.

Every data mark carries its numbers as ``data-*`` attributes (floats written with ``repr``, so they read back
exactly; an empty string stands for "no value"), so a browser test can read the chart data back from the DOM.
All text is escaped: contender names come from configuration. Colours are presentation attributes rather than
inline styles, so a strict Content-Security-Policy does not strip them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 960
LEFT = 170  # the label column
RIGHT = 250  # the value column
ROW = 30
TOP = 26  # the axis labels
PALETTE = ("#2f6db5", "#d9822b", "#3a9a5b", "#b33f62", "#7a5cb8", "#8a7a2a")
OUTCOME_COLOURS = {"wins": "#3a9a5b", "ties": "#a8a8a8", "losses": "#c4473a"}


@dataclass(frozen=True, slots=True)
class IntervalBar:
    label: str
    value: float | None
    wilson: tuple[float, float] | None = None
    bootstrap: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class SplitBar:
    """Two contenders on the pull requests both reviewed: how often the first won, tied and lost."""

    a: str
    b: str
    wins: int
    ties: int
    losses: int
    win_rate: float | None
    sign_p: float | None


@dataclass(frozen=True, slots=True)
class LinePoint:
    series: str
    x: str  # a category on the x axis (a week's first day)
    value: float | None
    accepted: int = 0
    decided: int = 0


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def number(value: float | None) -> str:
    """A number as a data attribute carries it: exact, or empty for none."""
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else repr(float(value))


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def whole_percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def usd(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.4f}"


def attrs(values: Mapping[str, object]) -> str:
    return " ".join(f'{name}="{escape(str(value), quote=True)}"' for name, value in values.items())


def element(tag: str, values: Mapping[str, object], body: str = "") -> str:
    return f"<{tag} {attrs(values)}>{body}</{tag}>" if body else f"<{tag} {attrs(values)}/>"


def text(x: float, y: float, content: str, *, anchor: str = "start", css: str = "") -> str:
    values: dict[str, object] = {"x": f"{x:.1f}", "y": f"{y:.1f}", "text-anchor": anchor}
    if css:
        values["class"] = css
    return element("text", values, escape(content))


def figure(chart: str, caption: str, svg_body: str, *, height: float, empty: bool) -> str:
    """A chart in a ``<figure>``; with no data, a clear "no data" note instead of an empty frame."""
    label = escape(caption)
    if empty:
        head = f'<figure class="chart" data-chart="{chart}"><figcaption>{label}</figcaption>'
        return head + '<p class="no-data">No data.</p></figure>'
    # inline SVG in HTML needs no namespace declaration (and the page carries no URL at all)
    svg = (
        f'<svg data-chart="{chart}" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}">'
        f"<title>{label}</title>{svg_body}</svg>"
    )
    return f'<figure class="chart"><figcaption>{label}</figcaption>{svg}</figure>'


def _scale(maximum: float) -> Callable[[float], float]:
    span = WIDTH - LEFT - RIGHT
    return lambda value: LEFT + span * (value / maximum if maximum > 0 else 0.0)


def axis(
    ticks: Sequence[float], to_x: Callable[[float], float], *, bottom: float, label: Callable[[float], str]
) -> str:
    parts = []
    for tick in ticks:
        x = to_x(tick)
        parts.append(
            element("line", {"x1": f"{x:.1f}", "x2": f"{x:.1f}", "y1": TOP - 6, "y2": bottom, "class": "grid"})
        )
        parts.append(text(x, TOP - 10, label(tick), anchor="middle", css="tick"))
    return "".join(parts)


def _whisker(kind: str, interval: tuple[float, float] | None, y: float, to_x: Callable[[float], float]) -> str:
    if interval is None:
        return ""
    low, high = interval
    x1, x2 = to_x(low), to_x(high)
    geometry = {"x1": f"{x1:.1f}", "x2": f"{x2:.1f}", "y1": f"{y:.1f}", "y2": f"{y:.1f}"}
    caps = "".join(
        element("line", {"x1": f"{x:.1f}", "x2": f"{x:.1f}", "y1": f"{y - 4:.1f}", "y2": f"{y + 4:.1f}"})
        for x in (x1, x2)
    )
    values = {"class": f"whisker {kind}", "data-interval": kind, "data-low": number(low), "data-high": number(high)}
    return element("g", values, element("line", geometry) + caps)


def bar(y: float, width: float, index: int) -> str:
    """A bar starting at the value axis, in the ``index``-th colour."""
    values = {"x": LEFT, "y": f"{y + 6:.1f}", "width": f"{max(0.0, width):.1f}", "height": ROW - 12}
    return element("rect", {**values, "fill": colour(index)})


def _bounds(kind: str, interval: tuple[float, float] | None) -> dict[str, str]:
    low, high = interval if interval is not None else (None, None)
    return {f"data-{kind}-low": number(low), f"data-{kind}-high": number(high)}


def _interval_row(index: int, row: IntervalBar, to_x: Callable[[float], float]) -> str:
    y = TOP + ROW * index
    middle = y + ROW / 2
    whiskers = _whisker("wilson", row.wilson, middle - 3, to_x) + _whisker("bootstrap", row.bootstrap, middle + 3, to_x)
    shown = percent(row.value)
    if row.bootstrap is not None:
        shown += f" [{percent(row.bootstrap[0])}, {percent(row.bootstrap[1])}]"
    body = text(LEFT - 8, middle + 4, row.label, anchor="end") + bar(y, to_x(row.value or 0.0) - LEFT, index)
    body += whiskers + text(WIDTH - RIGHT + 8, middle + 4, shown, css="value")
    values = {"class": "mark", "data-contender": row.label, "data-value": number(row.value)}
    return element("g", {**values, **_bounds("wilson", row.wilson), **_bounds("bootstrap", row.bootstrap)}, body)


def interval_chart(rows: Sequence[IntervalBar], *, chart: str, caption: str) -> str:
    """Horizontal bars of a rate in [0, 1], each with its Wilson (thin) and bootstrap (thick) 95% intervals; the
    mark carries both intervals as ``data-wilson-low`` ... ``data-bootstrap-high``."""
    to_x = _scale(1.0)
    height = TOP + ROW * len(rows) + 8
    parts = [axis((0.0, 0.25, 0.5, 0.75, 1.0), to_x, bottom=height - 4, label=whole_percent)]
    parts += [_interval_row(index, row, to_x) for index, row in enumerate(rows)]
    return figure(chart, caption, "".join(parts), height=height, empty=not rows)


def _nice_ticks(maximum: float) -> tuple[float, ...]:
    """Four even steps up to a round maximum at or above ``maximum``."""
    if maximum <= 0:
        return (0.0,)
    step = 10.0 ** _floor_log10(maximum / 4)
    for multiple in (1.0, 2.0, 2.5, 5.0, 10.0):
        if 4 * step * multiple >= maximum:
            step *= multiple
            break
    return tuple(step * i for i in range(5))


def _floor_log10(value: float) -> int:
    exponent = 0
    while value >= 10:
        value, exponent = value / 10, exponent + 1
    while value < 1:
        value, exponent = value * 10, exponent - 1
    return exponent


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    chart: str,
    metric: str,
    caption: str,
    shown: Callable[[float | None], str],
) -> str:
    """Horizontal bars of one non-negative figure per contender (a row with no value gets a label, no bar)."""
    ticks = _nice_ticks(max((v for _, v in rows if v is not None), default=0.0))
    to_x = _scale(ticks[-1])
    height = TOP + ROW * len(rows) + 8
    parts = [axis(ticks, to_x, bottom=height - 4, label=shown)]
    for index, (label, value) in enumerate(rows):
        y = TOP + ROW * index
        body = text(LEFT - 8, y + ROW / 2 + 4, label, anchor="end") + bar(y, to_x(value or 0.0) - LEFT, index)
        body += text(WIDTH - RIGHT + 8, y + ROW / 2 + 4, shown(value), css="value")
        values = {"class": "mark", "data-contender": label, "data-metric": metric, "data-value": number(value)}
        parts.append(element("g", values, body))
    return figure(chart, caption, "".join(parts), height=height, empty=not rows)


def _split_segments(row: SplitBar, y: float, to_x: Callable[[float], float]) -> str:
    total = row.wins + row.ties + row.losses
    parts, start = [], 0
    for outcome, count in (("wins", row.wins), ("ties", row.ties), ("losses", row.losses)):
        x1, x2 = to_x(start / total if total else 0.0), to_x((start + count) / total if total else 0.0)
        values = {
            "class": f"segment {outcome}",
            "data-outcome": outcome,
            "data-count": count,
            "x": f"{x1:.1f}",
            "y": y + 6,
            "width": f"{x2 - x1:.1f}",
            "height": ROW - 12,
            "fill": OUTCOME_COLOURS[outcome],
        }
        parts.append(element("rect", values))
        start += count
    return "".join(parts)


def split_chart(rows: Sequence[SplitBar], *, chart: str, caption: str) -> str:
    """One bar per pair of contenders split into the first's wins, ties and losses on the paired pull requests."""
    to_x = _scale(1.0)
    height = TOP + ROW * len(rows) + 8
    parts = [axis((0.0, 0.5, 1.0), to_x, bottom=height - 4, label=whole_percent)]
    for index, row in enumerate(rows):
        y = TOP + ROW * index
        p = "n/a" if row.sign_p is None else f"{row.sign_p:.3g}"
        summary = f"{row.wins}/{row.ties}/{row.losses} · win {percent(row.win_rate)} · p {p}"
        body = text(LEFT - 8, y + ROW / 2 + 4, f"{row.a} vs {row.b}", anchor="end") + _split_segments(row, y, to_x)
        body += text(WIDTH - RIGHT + 8, y + ROW / 2 + 4, summary, css="value")
        values = {
            "class": "mark",
            "data-a": row.a,
            "data-b": row.b,
            "data-wins": row.wins,
            "data-ties": row.ties,
            "data-losses": row.losses,
            "data-win-rate": number(row.win_rate),
            "data-sign-p": number(row.sign_p),
        }
        parts.append(element("g", values, body))
    return figure(chart, caption, "".join(parts), height=height, empty=not rows)
