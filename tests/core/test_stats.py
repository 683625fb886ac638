"""Per-contender figures from small aggregates whose every number is worked out by hand, and None wherever a
figure has nothing to be computed from."""

from __future__ import annotations

import pytest

from bot.core.estimates import wilson
from bot.core.stats import DEFINITIONS, ContenderInput, Rate, Tally, clustered_acceptance, contender_stats, rate

# 12 comments on 4 pull requests: 3 accepted, 2 addressed, 4 rejected, 1 ignored, 2 pending
TALLY = Tally(accepted=3, addressed=2, rejected=4, ignored=1, pending=2)
DEEPSEEK = ContenderInput(
    contender="deepseek",
    prs=4,
    tally=TALLY,
    unique_accepted=1,
    unique_decided=6,
    models=("deepseek-v4-pro",),
    latency_p50_s=31.5,
    latency_p90_s=88.0,
    tokens={"input": 1000, "cached_input": 200, "output": 300, "reasoning": 100},
    usd=0.6,
    clusters={(1, 3): 2, (1, 2): 1, (0, 2): 1},
)


def test_tally_counts_decided_and_total() -> None:
    assert (TALLY.decided, TALLY.total) == (10, 12)


def test_tallies_add_verdict_by_verdict() -> None:
    assert Tally(1, 2, 3, 4, 5) + Tally(10, 20, 30, 40, 50) == Tally(11, 22, 33, 44, 55)


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        pytest.param("accepted", Tally(accepted=2), id="accepted"),
        pytest.param("pending", Tally(pending=2), id="pending"),
    ],
)
def test_tally_add_counts_one_verdict(verdict: str, expected: Tally) -> None:
    assert Tally().add(verdict).add(verdict) == expected


@pytest.mark.parametrize(
    ("figure", "value"),
    [
        pytest.param("prs", 4, id="prs"),
        pytest.param("comments", 12, id="comments-include-pending"),
        pytest.param("yield_per_pr", 3 / 4, id="yield-accepted-per-pr"),
        pytest.param("usd_total", 0.6, id="usd-total"),
        pytest.param("usd_per_pr", 0.6 / 4, id="usd-per-pr"),
        pytest.param("usd_per_accepted", 0.6 / 3, id="usd-per-accepted"),
        pytest.param("latency_p50_s", 31.5, id="latency-p50-passed-through"),
        pytest.param("latency_p90_s", 88.0, id="latency-p90-passed-through"),
        pytest.param("models", ("deepseek-v4-pro",), id="models"),
    ],
)
def test_contender_figures_by_hand(figure: str, value: object) -> None:
    stats = contender_stats(DEEPSEEK, seed=1)
    assert getattr(stats, figure) == pytest.approx(value)


@pytest.mark.parametrize(
    ("rate_name", "successes", "trials"),
    [
        pytest.param("acceptance", 3, 10, id="acceptance-accepted-of-decided"),
        pytest.param("useful", 5, 10, id="useful-accepted-or-addressed-of-decided"),
        pytest.param("unique_acceptance", 1, 6, id="unique-acceptance"),
    ],
)
def test_rates_leave_pending_out_and_carry_wilson(rate_name: str, successes: int, trials: int) -> None:
    found = getattr(contender_stats(DEEPSEEK, seed=1), rate_name)
    assert found.value == pytest.approx(successes / trials)
    assert found.wilson == wilson(successes, trials)


def test_tokens_are_a_copy() -> None:
    stats = contender_stats(DEEPSEEK, seed=1)
    assert stats.tokens == DEEPSEEK.tokens and stats.tokens is not DEEPSEEK.tokens


def test_acceptance_has_a_bootstrap_interval_around_it() -> None:
    interval = contender_stats(DEEPSEEK, seed=1).acceptance.bootstrap
    assert interval is not None
    assert interval[0] <= 0.3 <= interval[1]


@pytest.mark.parametrize(
    ("figure", "data"),
    [
        pytest.param("yield_per_pr", ContenderInput("x", prs=0, tally=Tally()), id="yield-without-prs"),
        pytest.param("usd_per_pr", ContenderInput("x", prs=0, tally=Tally(), usd=1.0), id="usd-per-pr-without-prs"),
        pytest.param(
            "usd_per_accepted",
            ContenderInput("x", prs=2, tally=Tally(rejected=3), usd=1.0),
            id="usd-per-accepted-without-accepted",
        ),
    ],
)
def test_figures_without_a_denominator_are_none(figure: str, data: ContenderInput) -> None:
    assert getattr(contender_stats(data, seed=1), figure) is None


@pytest.mark.parametrize(
    "tally",
    [pytest.param(Tally(), id="no-comments"), pytest.param(Tally(pending=7), id="every-comment-pending")],
)
def test_rates_without_decided_comments_are_none(tally: Tally) -> None:
    stats = contender_stats(ContenderInput("x", prs=3, tally=tally, clusters={(0, 0): 3}), seed=1)
    for found in (stats.acceptance, stats.useful, stats.unique_acceptance):
        assert (found.value, found.wilson, found.bootstrap) == (None, None, None)
    assert stats.yield_per_pr == 0.0


def test_rate_of_nothing_is_undefined() -> None:
    assert rate(0, 0) == Rate(None, None, None)


def test_clustered_acceptance_is_a_function_of_the_seed() -> None:
    clusters = {(1, 3): 20, (2, 2): 5, (0, 4): 10}
    assert clustered_acceptance(clusters, seed=3) == clustered_acceptance(clusters, seed=3)
    assert clustered_acceptance(clusters, seed=3) != clustered_acceptance(clusters, seed=4)


def test_clustered_acceptance_ignores_pull_requests_without_decided_comments() -> None:
    # pull requests with nothing decided add nothing to accepted ÷ decided in any resample
    clusters = {(1, 3): 20, (2, 2): 5, (0, 4): 10}
    assert clustered_acceptance({**clusters, (0, 0): 40}, seed=3) == clustered_acceptance(clusters, seed=3)


def test_clustered_acceptance_of_identical_pull_requests_has_no_width() -> None:
    assert clustered_acceptance({(1, 4): 30}, seed=1) == (0.25, 0.25)


def test_clustered_acceptance_is_wider_than_wilson_when_pull_requests_disagree() -> None:
    # 10 pull requests with 10 of 10 accepted and 10 with 0 of 10: 200 comments but only 20 independent units
    interval = clustered_acceptance({(10, 10): 10, (0, 10): 10}, seed=1)
    independent = wilson(100, 200)
    assert interval is not None and independent is not None
    assert interval[1] - interval[0] > 2 * (independent[1] - independent[0])


@pytest.mark.parametrize(
    "clusters",
    [pytest.param({}, id="no-pull-requests"), pytest.param({(0, 0): 5}, id="nothing-decided")],
)
def test_clustered_acceptance_without_decided_comments_is_none(clusters: dict[tuple[int, int], int]) -> None:
    assert clustered_acceptance(clusters, seed=1) is None


def test_every_figure_is_defined() -> None:
    assert {"acceptance", "useful", "yield", "usd / pr", "usd / accepted", "decided"} <= set(DEFINITIONS)
