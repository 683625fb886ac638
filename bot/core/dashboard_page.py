"""The statistics dashboard's page: what its query string means, and the HTML built from a ``StatsReport`` and
the weekly trend. Pure: parsed values and markup out, nothing read or sent.

The page is self-contained: inline SVG charts, one stylesheet from the app itself, no script and no external URL.
The token travels in hidden form fields only when it came in the query string (a header-authenticated client
keeps it out of the page).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from html import escape

from bot.core.charts import IntervalBar, SplitBar, bar_chart, interval_chart, number, percent, split_chart, usd
from bot.core.stats import ContenderStats
from bot.core.stats_report import StatsReport
from bot.core.trend import DEFINITION as TREND_DEFINITION
from bot.core.trend import WeekTally, line_chart, trend_points
from bot.errors import ReviewArenaError

FILTERS = ("repo", "since", "until", "contender", "severity", "category", "language", "prompt_version", "model")
DATES = frozenset({"since", "until"})
TOKEN_PARAMETER = "token"  # noqa: S105 - the parameter's name, not a secret
MAX_VALUE = 200
_PLACEHOLDER = ' placeholder="YYYY-MM-DD"'
# table columns: (heading, definition key or "")
COLUMNS = (
    ("contender", ""),
    ("models", ""),
    ("PRs", "prs"),
    ("comments", "comments"),
    ("accepted / addressed / rejected / ignored / pending", "accepted / addressed / rejected / ignored / pending"),
    ("decided", "decided"),
    ("acceptance", "acceptance"),
    ("Wilson 95%", "wilson 95%"),
    ("bootstrap 95%", "bootstrap 95%"),
    ("useful", "useful"),
    ("yield", "yield"),
    ("latency p50 / p90", "latency p50 / p90"),
    ("USD / PR", "usd / pr"),
    ("USD / accepted", "usd / accepted"),
)


class QueryError(ReviewArenaError):
    """The dashboard's query string is invalid; the message says which parameter and why."""


def parse_filters(items: Iterable[tuple[str, str]]) -> dict[str, str | datetime]:
    """The filters in a query string (``token`` aside); empty values mean "not filtered". Dates are days
    (``2026-01-31``) or ISO date-times, in UTC unless they say otherwise; ``until`` is exclusive."""
    found: dict[str, str | datetime] = {}
    seen: set[str] = set()
    for name, raw in items:
        if name == TOKEN_PARAMETER:
            continue
        if name not in FILTERS:
            raise QueryError(f"unknown filter {name!r}; known: {', '.join(FILTERS)}")
        if name in seen:
            raise QueryError(f"{name} is given more than once")
        seen.add(name)
        value = raw.strip()
        if len(value) > MAX_VALUE:
            raise QueryError(f"{name} is longer than {MAX_VALUE} characters")
        if value:
            found[name] = parse_moment(name, value) if name in DATES else _checked(name, value)
    return found


def parse_moment(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name} is not a date (YYYY-MM-DD) or an ISO date-time: {value!r}") from None
    if len(value) == 10:  # a day: its start
        moment = datetime.combine(date.fromisoformat(value), datetime.min.time())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _checked(name: str, value: str) -> str:
    if name == "repo" and (value.count("/") != 1 or value.startswith("/") or value.endswith("/")):
        raise QueryError(f"repo must be owner/name: {value!r}")
    return value


def _acceptance(report: StatsReport) -> str:
    rows = [
        IntervalBar(c.contender, c.acceptance.value, c.acceptance.wilson, c.acceptance.bootstrap)
        for c in report.contenders
    ]
    caption = "Acceptance per contender (thin whisker: Wilson 95%; thick: PR-clustered bootstrap 95%)"
    return interval_chart(rows, chart="acceptance", caption=caption)


def _head_to_head(report: StatsReport) -> str:
    rows = [SplitBar(p.a, p.b, p.wins, p.ties, p.losses, p.win_rate.value, p.sign_p) for p in report.pairings]
    caption = "Head-to-head on pull requests both reviewed: first contender's wins / ties / losses"
    chart = split_chart(rows, chart="head-to-head", caption=caption)
    if not report.strengths:
        return chart
    strengths = [IntervalBar(name, value, None, interval) for name, (value, interval) in report.strengths.items()]
    return chart + interval_chart(strengths, chart="strength", caption="Bradley–Terry strength (bootstrap 95%)")


def _costs(report: StatsReport) -> str:
    accepted = [(c.contender, c.usd_per_accepted) for c in report.contenders]
    per_pr = [(c.contender, c.usd_per_pr) for c in report.contenders]
    return bar_chart(
        accepted, chart="cost", metric="usd_per_accepted", caption="USD per accepted comment", shown=usd
    ) + bar_chart(per_pr, chart="cost-per-pr", metric="usd_per_pr", caption="USD per pull request", shown=usd)


def _trend(report: StatsReport, weeks: Sequence[WeekTally]) -> str:
    names = [c.contender for c in report.contenders]
    names += sorted({w.contender for w in weeks} - set(names))
    caption = "Acceptance per week (weeks start on Monday, UTC)"
    return line_chart(names, trend_points(weeks), chart="trend", caption=caption)


def _footnote(key: str, numbers: dict[str, int]) -> str:
    return f'<sup><a href="#def-{numbers[key]}">{numbers[key]}</a></sup>' if key in numbers else ""


def _interval(bounds: tuple[float, float] | None) -> str:
    return "n/a" if bounds is None else f"{percent(bounds[0])} – {percent(bounds[1])}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} s"


def _cells(c: ContenderStats) -> list[tuple[str, str]]:
    """(text, data-value) per column, in ``COLUMNS`` order."""
    t = c.tally
    return [
        (c.contender, c.contender),
        (", ".join(c.models), ""),
        (str(c.prs), number(c.prs)),
        (str(c.comments), number(c.comments)),
        (f"{t.accepted} / {t.addressed} / {t.rejected} / {t.ignored} / {t.pending}", ""),
        (str(t.decided), number(t.decided)),
        (percent(c.acceptance.value), number(c.acceptance.value)),
        (_interval(c.acceptance.wilson), ""),
        (_interval(c.acceptance.bootstrap), ""),
        (percent(c.useful.value), number(c.useful.value)),
        ("n/a" if c.yield_per_pr is None else f"{c.yield_per_pr:.2f}", number(c.yield_per_pr)),
        (f"{_seconds(c.latency_p50_s)} / {_seconds(c.latency_p90_s)}", ""),
        (usd(c.usd_per_pr), number(c.usd_per_pr)),
        (usd(c.usd_per_accepted), number(c.usd_per_accepted)),
    ]


def _table(report: StatsReport, numbers: dict[str, int]) -> str:
    head = "".join(f"<th>{escape(title)}{_footnote(key, numbers)}</th>" for title, key in COLUMNS)
    rows = []
    for c in report.contenders:
        cells = "".join(
            f'<td data-column="{escape(key or title)}" data-value="{escape(value)}">{escape(shown)}</td>'
            for (title, key), (shown, value) in zip(COLUMNS, _cells(c), strict=True)
        )
        rows.append(f'<tr data-contender="{escape(c.contender)}">{cells}</tr>')
    return f'<table class="contenders"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _definitions(definitions: dict[str, str], numbers: dict[str, int]) -> str:
    items = "".join(
        f'<li id="def-{numbers[key]}"><b>{escape(key)}</b>: {escape(meaning)}</li>'
        for key, meaning in definitions.items()
    )
    return f'<section class="definitions"><h2>Definitions</h2><ol>{items}</ol></section>'


def _filter_form(filters: dict[str, str], token: str | None) -> str:
    hidden = "" if token is None else f'<input type="hidden" name="{TOKEN_PARAMETER}" value="{escape(token)}">'
    fields = "".join(
        f'<label>{escape(name)} <input name="{name}" value="{escape(filters.get(name, ""))}"'
        f"{_PLACEHOLDER if name in DATES else ''}></label>"
        for name in FILTERS
    )
    apply = f'<form class="filters" method="get" action="/dashboard">{fields}{hidden}<button>Apply</button></form>'
    clear = f'<form class="clear" method="get" action="/dashboard">{hidden}<button>Clear filters</button></form>'
    return apply + clear


def _described(filters: dict[str, str]) -> str:
    if not filters:
        return "all posted reviews"
    return " · ".join(f"{escape(name)} = {escape(value)}" for name, value in filters.items())


def render_page(
    report: StatsReport,
    weeks: Sequence[WeekTally],
    *,
    token: str | None,
    stylesheet: str = "/dashboard/static/dashboard.css",
) -> str:
    """The whole page; with no contender in the report, a "no data" note instead of charts and table."""
    definitions = {**report.definitions, "trend": TREND_DEFINITION}
    numbers = {key: index for index, key in enumerate(definitions, start=1)}
    if report.contenders:
        body = _acceptance(report) + _head_to_head(report) + _costs(report) + _trend(report, weeks)
        body += _table(report, numbers) + _definitions(definitions, numbers)
    else:
        body = '<p class="no-data" id="no-data">No posted reviews match these filters.</p>'
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f'<title>Review Arena statistics</title><link rel="stylesheet" href="{escape(stylesheet)}"></head><body>'
        f'<header><h1>Review Arena statistics</h1><p class="shown">Showing: {_described(report.filters)}</p>'
        f'<p class="meta">definitions {escape(report.definition)} · bootstrap seed {report.seed}</p></header>'
        f"{_filter_form(report.filters, token)}<main>{body}</main></body></html>"
    )
