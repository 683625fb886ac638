"""The dashboard's pure parts: the SVG charts (``bot.core.charts``), the weekly trend (``bot.core.trend``) and the
page with its query string (``bot.core.dashboard_page``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from bot.core.charts import IntervalBar, LinePoint, SplitBar, bar_chart, interval_chart, number, split_chart, usd
from bot.core.dashboard_page import QueryError, parse_filters, render_page
from bot.core.head_to_head import PairInput
from bot.core.stats import ContenderInput, Tally
from bot.core.stats_report import StatsInput, StatsReport, build_report
from bot.core.trend import DayTally, WeekTally, line_chart, week_of, weekly

HOSTILE = '<script>alert("x")</script> & co'


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of a piece of markup."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def marks(self) -> list[dict[str, str]]:
        return [a for _, a in self.tags if "mark" in a.get("class", "").split()]


def report_of(*names: str, paired: bool = True) -> StatsReport:
    contenders = [
        ContenderInput(
            contender=name,
            prs=10,
            tally=Tally(accepted=3 + i, addressed=2, rejected=4, ignored=1, pending=2),
            usd=0.5 * (i + 1),
            clusters={(1, 3): 3, (0, 2): 4 + i},
        )
        for i, name in enumerate(names)
    ]
    pairs = [PairInput(names[0], names[1], wins=5, ties=3, losses=2)] if paired and len(names) > 1 else []
    vectors = {tuple(range(len(names))): 4, tuple(reversed(range(len(names)))): 2} if len(names) >= 3 else {}
    return build_report(StatsInput(contenders, pairs, vectors), seed=0, filters={"repo": "acme/app"})


WEEKS = (
    WeekTally("alpha", date(2026, 1, 5), 3, 10),
    WeekTally("alpha", date(2026, 1, 12), 0, 0),
    WeekTally("alpha", date(2026, 1, 19), 5, 8),
    WeekTally("beta", date(2026, 1, 12), 2, 4),
)


# numbers as data attributes


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param(None, "", id="none"),
        pytest.param(3, "3", id="int"),
        pytest.param(0.1 + 0.2, "0.30000000000000004", id="float-exact"),
        pytest.param(1.0, "1.0", id="whole-float"),
    ],
)
def test_a_number_is_written_exactly_or_empty(value: float | None, written: str) -> None:
    assert number(value) == written
    assert written == "" or float(written) == value


# the interval chart


def test_every_contender_gets_a_mark_with_its_value_and_both_intervals() -> None:
    rows = [IntervalBar("alpha", 0.25, (0.2, 0.3), (0.18, 0.33)), IntervalBar("beta", 0.5, (0.4, 0.6), (0.41, 0.59))]
    marks = Elements(interval_chart(rows, chart="acceptance", caption="Acceptance")).marks()
    assert [(m["data-contender"], float(m["data-value"])) for m in marks] == [("alpha", 0.25), ("beta", 0.5)]
    assert [m["data-wilson-low"] for m in marks] == ["0.2", "0.4"]
    assert [m["data-bootstrap-high"] for m in marks] == ["0.33", "0.59"]


def test_the_whiskers_carry_their_interval() -> None:
    tags = Elements(interval_chart([IntervalBar("alpha", 0.25, (0.2, 0.3), (0.1, 0.4))], chart="a", caption="c")).tags
    whiskers = {a["data-interval"]: (a["data-low"], a["data-high"]) for _, a in tags if "data-interval" in a}
    assert whiskers == {"wilson": ("0.2", "0.3"), "bootstrap": ("0.1", "0.4")}


def test_a_contender_with_nothing_decided_is_marked_without_a_value() -> None:
    markup = interval_chart([IntervalBar("alpha", None)], chart="acceptance", caption="c")
    [mark] = Elements(markup).marks()
    assert (mark["data-value"], mark["data-wilson-low"], mark["data-bootstrap-high"]) == ("", "", "")
    assert "n/a" in markup and "data-interval" not in markup


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param(interval_chart([IntervalBar(HOSTILE, 0.5)], chart="a", caption=HOSTILE), id="interval"),
        pytest.param(bar_chart([(HOSTILE, 1.0)], chart="c", metric="m", caption="c", shown=usd), id="bar"),
        pytest.param(split_chart([SplitBar(HOSTILE, "b", 1, 0, 0, 1.0, 1.0)], chart="h", caption="c"), id="split"),
        pytest.param(
            line_chart([HOSTILE], [LinePoint(HOSTILE, "2026-01-05", 0.5, 1, 2)], chart="t", caption="c"), id="line"
        ),
    ],
)
def test_names_from_configuration_are_escaped(markup: str) -> None:
    assert "<script" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in markup
    assert HOSTILE in "".join(Elements(markup).text) or any(HOSTILE in a.values() for _, a in Elements(markup).tags)


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param(interval_chart([], chart="acceptance", caption="Acceptance"), id="interval"),
        pytest.param(bar_chart([], chart="cost", metric="m", caption="Cost", shown=usd), id="bar"),
        pytest.param(split_chart([], chart="h2h", caption="Head to head"), id="split"),
        pytest.param(line_chart(["a"], [LinePoint("a", "2026-01-05", None)], chart="t", caption="Trend"), id="line"),
    ],
)
def test_a_chart_without_data_says_so_instead_of_drawing_a_frame(markup: str) -> None:
    assert "No data." in markup and "<svg" not in markup


# the bar and head-to-head charts


def test_bars_are_marked_with_their_metric_and_scaled_to_a_round_maximum() -> None:
    markup = bar_chart(
        [("alpha", 0.03), ("beta", None)], chart="cost", metric="usd_per_accepted", caption="c", shown=usd
    )
    marks = Elements(markup).marks()
    assert [(m["data-contender"], m["data-metric"], m["data-value"]) for m in marks] == [
        ("alpha", "usd_per_accepted", "0.03"),
        ("beta", "usd_per_accepted", ""),
    ]
    widths = [float(a["width"]) for t, a in Elements(markup).tags if t == "rect"]
    assert widths[0] > 0 and widths[1] == 0
    assert "$0.0300" in markup


def test_a_pair_is_split_into_wins_ties_and_losses_in_proportion() -> None:
    markup = split_chart([SplitBar("alpha", "beta", 6, 3, 1, 0.75, 0.125)], chart="head-to-head", caption="c")
    [mark] = Elements(markup).marks()
    assert {k: mark[k] for k in ("data-a", "data-b", "data-wins", "data-ties", "data-losses")} == {
        "data-a": "alpha",
        "data-b": "beta",
        "data-wins": "6",
        "data-ties": "3",
        "data-losses": "1",
    }
    assert (mark["data-win-rate"], mark["data-sign-p"]) == ("0.75", "0.125")
    widths = {a["data-outcome"]: float(a["width"]) for _, a in Elements(markup).tags if "data-outcome" in a}
    assert widths["wins"] == pytest.approx(2 * widths["ties"], abs=0.1)
    assert widths["ties"] == pytest.approx(3 * widths["losses"], abs=0.1)


def test_a_pair_with_no_shared_pull_request_draws_empty_segments() -> None:
    markup = split_chart([SplitBar("alpha", "beta", 0, 0, 0, None, None)], chart="h", caption="c")
    assert {float(a["width"]) for _, a in Elements(markup).tags if "data-outcome" in a} == {0.0}


# the weekly trend


@pytest.mark.parametrize("offset", range(7), ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
def test_a_day_belongs_to_the_week_starting_on_the_monday_before(offset: int) -> None:
    assert week_of(date(2026, 1, 5) + timedelta(days=offset)) == date(2026, 1, 5)


def test_days_are_summed_into_weeks_per_contender() -> None:
    days = [
        DayTally("beta", date(2026, 1, 11), 1, 2),  # a Sunday: the week of the 5th
        DayTally("alpha", date(2026, 1, 6), 1, 3),
        DayTally("alpha", date(2026, 1, 9), 2, 4),
        DayTally("alpha", date(2026, 1, 12), 0, 1),
    ]
    assert weekly(days) == (
        WeekTally("alpha", date(2026, 1, 5), 3, 7),
        WeekTally("alpha", date(2026, 1, 12), 0, 1),
        WeekTally("beta", date(2026, 1, 5), 1, 2),
    )


def test_a_week_with_nothing_decided_has_no_acceptance() -> None:
    assert WeekTally("a", date(2026, 1, 5), 0, 0).acceptance is None
    assert WeekTally("a", date(2026, 1, 5), 1, 4).acceptance == 0.25


def test_the_line_chart_marks_every_week_with_decided_comments() -> None:
    points = [LinePoint(w.contender, w.week.isoformat(), w.acceptance, w.accepted, w.decided) for w in WEEKS]
    marks = Elements(line_chart(["alpha", "beta"], points, chart="trend", caption="c")).marks()
    assert [(m["data-contender"], m["data-week"], m["data-value"], m["data-decided"]) for m in marks] == [
        ("alpha", "2026-01-05", "0.3", "10"),
        ("alpha", "2026-01-19", "0.625", "8"),
        ("beta", "2026-01-12", "0.5", "4"),
    ]


# the query string


@pytest.mark.parametrize(
    ("query", "parsed"),
    [
        pytest.param([], {}, id="nothing"),
        pytest.param([("token", "t"), ("repo", "")], {}, id="token-and-empty"),
        pytest.param([("repo", " acme/app ")], {"repo": "acme/app"}, id="repo"),
        pytest.param([("since", "2026-01-31")], {"since": datetime(2026, 1, 31, tzinfo=UTC)}, id="day"),
        pytest.param([("until", "2026-01-31T12:00")], {"until": datetime(2026, 1, 31, 12, tzinfo=UTC)}, id="naive"),
        pytest.param(
            [("since", "2026-01-31T12:00+02:00")],
            {"since": datetime(2026, 1, 31, 10, tzinfo=UTC)},
            id="offset",
        ),
        pytest.param(
            [("contender", "openai"), ("severity", "high"), ("model", "gpt")],
            {"contender": "openai", "severity": "high", "model": "gpt"},
            id="words",
        ),
    ],
)
def test_the_query_string_gives_the_filters(query: list[tuple[str, str]], parsed: dict[str, object]) -> None:
    assert parse_filters(query) == parsed


def test_a_parsed_date_is_in_utc() -> None:
    [moment] = parse_filters([("since", "2026-01-31T23:30-05:00")]).values()
    assert isinstance(moment, datetime) and moment.tzinfo == UTC
    assert moment == datetime(2026, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param([("since", "yesterday")], "since is not a date", id="word"),
        pytest.param([("until", "2026-02-30")], "until is not a date", id="no-such-day"),
        pytest.param([("repo", "acme")], "repo must be owner/name", id="repo-no-slash"),
        pytest.param([("repo", "a/b/c")], "repo must be owner/name", id="repo-two-slashes"),
        pytest.param([("colour", "red")], "unknown filter 'colour'", id="unknown"),
        pytest.param([("model", "a"), ("model", "b")], "model is given more than once", id="twice"),
        pytest.param([("model", "x" * 201)], "longer than 200", id="long"),
    ],
)
def test_a_bad_query_string_is_refused_with_a_reason(query: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        parse_filters(query)


# the page


def test_the_page_has_every_chart_and_a_row_per_contender() -> None:
    markup = render_page(report_of("alpha", "beta"), WEEKS, token=None)
    tags = Elements(markup).tags
    charts = [a["data-chart"] for t, a in tags if t == "svg"]
    assert charts == ["acceptance", "head-to-head", "cost", "cost-per-pr", "trend"]
    assert [a["data-contender"] for t, a in tags if t == "tr" and "data-contender" in a] == ["alpha", "beta"]


def test_three_contenders_add_the_bradley_terry_strengths() -> None:
    tags = Elements(render_page(report_of("alpha", "beta", "gamma"), (), token=None)).tags
    marks = [a["data-contender"] for t, a in tags if a.get("class") == "mark" and "data-contender" in a]
    assert "strength" in [a["data-chart"] for t, a in tags if t == "svg"]
    assert marks.count("gamma") == 4  # acceptance, strength and both cost charts


def test_the_page_names_no_external_url_and_runs_no_script() -> None:
    markup = render_page(report_of("alpha", "beta", "gamma"), WEEKS, token="t")
    assert not re.search(r"https?:|//[a-z]|<script|src=", markup, re.IGNORECASE)
    hrefs = [a["href"] for _, a in Elements(markup).tags if "href" in a]
    assert all(h.startswith(("#", "/dashboard/")) for h in hrefs)


def test_every_definition_is_a_footnote_the_table_links_to() -> None:
    report = report_of("alpha", "beta")
    tags = Elements(render_page(report, WEEKS, token=None)).tags
    notes = {a["id"] for t, a in tags if t == "li" and a.get("id", "").startswith("def-")}
    assert len(notes) == len(report.definitions) + 1  # and the trend's
    links = {a["href"].removeprefix("#") for t, a in tags if t == "a"}
    assert links and links <= notes


def test_the_token_is_carried_in_the_forms_only_when_given_and_escaped() -> None:
    with_token = render_page(report_of("alpha"), (), token='a"b')
    assert with_token.count('<input type="hidden" name="token" value="a&quot;b">') == 2  # apply and clear
    assert 'name="token"' not in render_page(report_of("alpha"), (), token=None)


def test_the_filters_are_shown_and_kept_in_the_form() -> None:
    markup = render_page(report_of("alpha"), (), token=None)
    assert "Showing: repo = acme/app" in markup
    assert '<input name="repo" value="acme/app">' in markup


def test_an_empty_report_renders_a_clear_no_data_state() -> None:
    markup = render_page(build_report(StatsInput(contenders=[]), seed=0), (), token=None)
    assert "No posted reviews match these filters." in markup and "Showing: all posted reviews" in markup
    assert "<svg" not in markup and "<table" not in markup
