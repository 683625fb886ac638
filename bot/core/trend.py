"""Acceptance over time: per-day tallies bucketed into weeks (starting Monday, UTC), and their line chart. Pure.

The SQL adapter (``bot.stats_trend``) counts per contender and day; the week is decided here, once, for both
databases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from bot.core.charts import WIDTH, LinePoint, colour, element, figure, number, percent, text, whole_percent

DEFINITION = "acceptance of the comments of the runs posted in each week (Monday to Sunday, UTC): accepted ÷ decided"
_LEFT, _RIGHT, _TOP, _BOTTOM, _PLOT_HEIGHT = 60, 170, 16, 44, 220


@dataclass(frozen=True, slots=True)
class DayTally:
    contender: str
    day: date
    accepted: int
    decided: int


@dataclass(frozen=True, slots=True)
class WeekTally:
    contender: str
    week: date  # the Monday the week starts on
    accepted: int
    decided: int

    @property
    def acceptance(self) -> float | None:
        return self.accepted / self.decided if self.decided else None


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(days: Iterable[DayTally]) -> tuple[WeekTally, ...]:
    """Sum the days into weeks, sorted by contender then week."""
    sums: dict[tuple[str, date], tuple[int, int]] = {}
    for d in days:
        key = (d.contender, week_of(d.day))
        accepted, decided = sums.get(key, (0, 0))
        sums[key] = (accepted + d.accepted, decided + d.decided)
    return tuple(WeekTally(c, w, a, n) for (c, w), (a, n) in sorted(sums.items()))


def trend_points(weeks: Sequence[WeekTally]) -> list[LinePoint]:
    return [LinePoint(w.contender, w.week.isoformat(), w.acceptance, w.accepted, w.decided) for w in weeks]


def _week_labels(xs: Sequence[str], to_x: dict[str, float], bottom: float) -> str:
    every = max(1, -(-len(xs) // 8))  # at most about eight labels
    return "".join(text(to_x[x], bottom + 16, x, anchor="middle", css="tick") for x in xs[::every])


def _y_axis(to_y: float, plot_right: float) -> str:
    parts = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _TOP + to_y * (1 - tick)
        parts.append(
            element(
                "line", {"x1": _LEFT, "x2": f"{plot_right:.1f}", "y1": f"{y:.1f}", "y2": f"{y:.1f}", "class": "grid"}
            )
        )
        parts.append(text(_LEFT - 6, y + 4, whole_percent(tick), anchor="end", css="tick"))
    return "".join(parts)


def _series(name: str, index: int, points: Sequence[LinePoint], to_x: dict[str, float]) -> str:
    def y(value: float) -> float:
        return _TOP + _PLOT_HEIGHT * (1 - value)

    shown = [p for p in points if p.value is not None]
    path = " ".join(f"{to_x[p.x]:.1f},{y(p.value):.1f}" for p in shown if p.value is not None)
    parts = [element("polyline", {"points": path, "fill": "none", "stroke": colour(index), "stroke-width": 2})]
    for p in shown:
        values = {
            "class": "mark",
            "data-contender": name,
            "data-week": p.x,
            "data-value": number(p.value),
            "data-accepted": p.accepted,
            "data-decided": p.decided,
            "cx": f"{to_x[p.x]:.1f}",
            "cy": f"{y(p.value or 0.0):.1f}",
            "r": 3.5,
            "fill": colour(index),
        }
        title = f"{name}, week of {p.x}: {percent(p.value)} ({p.accepted} of {p.decided})"
        parts.append(element("circle", values, f"<title>{escape(title)}</title>"))
    legend_y = _TOP + 14 + 18 * index
    legend = element(
        "rect", {"x": WIDTH - _RIGHT + 16, "y": legend_y - 9, "width": 10, "height": 10, "fill": colour(index)}
    )
    legend += text(WIDTH - _RIGHT + 32, legend_y, name)
    return element("g", {"class": "series", "data-contender": name}, "".join(parts) + legend)


def line_chart(names: Sequence[str], points: Sequence[LinePoint], *, chart: str, caption: str) -> str:
    """One line per contender over the weeks, in ``names`` order (so colours match the other charts)."""
    xs = sorted({p.x for p in points})
    plot_right = WIDTH - _RIGHT
    step = (plot_right - _LEFT) / max(1, len(xs) - 1)
    to_x = {x: (_LEFT + step * i if len(xs) > 1 else (_LEFT + plot_right) / 2) for i, x in enumerate(xs)}
    body = _y_axis(_PLOT_HEIGHT, plot_right) + _week_labels(xs, to_x, _TOP + _PLOT_HEIGHT)
    for index, name in enumerate(names):
        body += _series(name, index, [p for p in points if p.series == name], to_x)
    has_data = any(p.value is not None for p in points)
    return figure(chart, caption, body, height=_TOP + _PLOT_HEIGHT + _BOTTOM, empty=not has_data)
