"""The whole report from aggregates, at the edges: no comments, one contender, nothing decided yet, three
contenders. A contender added part-way through is covered from SQL in ``tests/test_stats_queries.py``."""

from __future__ import annotations

import pytest

from bot.core.head_to_head import FileCells, PairInput
from bot.core.stats import ContenderInput, Tally
from bot.core.stats_report import StatsInput, build_report


def two_contenders(deepseek: Tally, openai: Tally, *, prs: int = 3) -> StatsInput:
    return StatsInput(
        contenders=[
            ContenderInput("deepseek", prs=prs, tally=deepseek, first=deepseek, clusters={(0, 0): prs}),
            ContenderInput("openai", prs=prs, tally=openai, later=openai, clusters={(0, 0): prs}),
        ],
        pairs=[PairInput("deepseek", "openai", wins=0, ties=prs, losses=0, cells=FileCells(neither=4))],
    )


def test_a_report_without_comments_has_no_rates() -> None:
    report = build_report(two_contenders(Tally(), Tally()), seed=1)
    for stats in report.contenders:
        assert (stats.comments, stats.acceptance.value, stats.acceptance.wilson) == (0, None, None)
        assert (stats.useful.value, stats.unique_acceptance.value, stats.usd_per_accepted) == (None, None, None)
        assert stats.yield_per_pr == 0.0
    (pair,) = report.pairings
    assert (pair.dice, pair.sign_p, pair.kappa, pair.win_rate.value) == (None, None, None, 0.5)


def test_a_report_without_anything_is_empty() -> None:
    report = build_report(StatsInput(contenders=[]), seed=1)
    assert (report.contenders, report.pairings, report.strengths, report.positions) == ((), (), {}, ())


def test_a_report_where_every_comment_is_pending_has_no_rates_or_intervals() -> None:
    pending = Tally(pending=6)
    report = build_report(two_contenders(pending, pending), seed=1)
    for stats in report.contenders:
        assert stats.comments == 6
        for found in (stats.acceptance, stats.useful, stats.unique_acceptance):
            assert (found.value, found.wilson, found.bootstrap) == (None, None, None)
    for position in report.positions:
        assert (position.first.value, position.later.value) == (None, None)


def test_a_single_contender_has_no_comparisons() -> None:
    only = ContenderInput("deepseek", prs=2, tally=Tally(accepted=1, rejected=1), clusters={(1, 2): 1, (0, 0): 1})
    report = build_report(StatsInput(contenders=[only]), seed=1)
    assert [s.contender for s in report.contenders] == ["deepseek"]
    assert report.contenders[0].acceptance.value == 0.5
    assert (report.pairings, report.strengths) == ((), {})


def test_two_contenders_have_a_pairing_but_no_strengths() -> None:
    report = build_report(two_contenders(Tally(accepted=2), Tally(rejected=2)), seed=1)
    assert len(report.pairings) == 1 and report.strengths == {}


THREE = StatsInput(
    contenders=[
        ContenderInput("claude", prs=70, tally=Tally(accepted=90, rejected=60), clusters={(1, 2): 70}),
        ContenderInput("deepseek", prs=70, tally=Tally(accepted=60, rejected=90), clusters={(1, 2): 70}),
        ContenderInput("openai", prs=70, tally=Tally(accepted=50, rejected=100), clusters={(1, 2): 70}),
    ],
    pairs=[
        PairInput("claude", "deepseek", wins=40, ties=10, losses=20),
        PairInput("claude", "openai", wins=45, ties=10, losses=15),
        PairInput("deepseek", "openai", wins=30, ties=20, losses=20),
    ],
    vectors={(3, 1, 0): 40, (0, 2, 1): 15, (1, 1, 1): 10, (0, 0, 4): 5},
)


def test_three_contenders_have_strengths_summing_to_one() -> None:
    report = build_report(THREE, seed=1)
    assert set(report.strengths) == {"claude", "deepseek", "openai"}
    assert sum(value for value, _ in report.strengths.values()) == pytest.approx(1.0)
    assert all(interval is not None for _, interval in report.strengths.values())
    assert len(report.pairings) == 3


def test_the_report_is_a_function_of_its_input_and_seed() -> None:
    assert build_report(THREE, seed=4) == build_report(THREE, seed=4)
    assert build_report(THREE, seed=4) != build_report(THREE, seed=5)


def test_the_report_carries_its_filters_seed_and_definitions() -> None:
    report = build_report(THREE, seed=9, filters={"repo": "acme/one"})
    assert (report.filters, report.seed) == ({"repo": "acme/one"}, 9)
    assert {"acceptance", "bradley-terry", "kappa", "dice"} <= set(report.definitions)
