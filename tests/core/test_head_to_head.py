"""Head-to-head figures: Cohen's κ against published examples, Bradley–Terry against Zermelo's iteration
and its likelihood equations, paired wins, agreement and position bias from hand-built aggregates."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.core.estimates import sign_test, wilson
from bot.core.head_to_head import (
    FileCells,
    PairInput,
    bradley_terry,
    kappa,
    pairing,
    pairwise_wins,
    position_bias,
    strengths,
)
from bot.core.stats import Tally


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # Wikipedia, "Cohen's kappa", simple example: 50 proposals, 20 yes-yes, 5 yes-no, 10 no-yes, 15 no-no
        pytest.param(FileCells(20, 5, 10, 15), 0.4, id="wikipedia-20-5-10-15"),
        # Wikipedia, "Cohen's kappa", same percentages (60% agreement) but different marginals
        pytest.param(FileCells(45, 15, 25, 15), 0.1304, id="wikipedia-45-15-25-15"),
        pytest.param(FileCells(25, 35, 5, 35), 0.2593, id="wikipedia-25-35-5-35"),
        pytest.param(FileCells(12, 0, 0, 30), 1.0, id="perfect-agreement"),
        pytest.param(FileCells(25, 25, 25, 25), 0.0, id="agreement-at-chance"),
        pytest.param(FileCells(0, 10, 10, 0), -1.0, id="perfect-disagreement"),
    ],
)
def test_kappa_matches_published_and_limiting_values(cells: FileCells, expected: float) -> None:
    assert kappa(cells) == pytest.approx(expected, abs=5e-5)


def test_kappa_is_symmetric_in_the_two_raters() -> None:
    assert kappa(FileCells(7, 3, 11, 20)) == pytest.approx(kappa(FileCells(7, 11, 3, 20)))


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param(FileCells(), id="no-files"),
        pytest.param(FileCells(both=9), id="both-flag-every-file"),
        pytest.param(FileCells(neither=9), id="neither-flags-any-file"),
    ],
)
def test_kappa_without_room_for_chance_is_none(cells: FileCells) -> None:
    assert kappa(cells) is None


def test_pairwise_wins_by_hand() -> None:
    # one pull request where (a, b, c) had (2, 1, 0) accepted comments, and two where they had (1, 1, 3)
    wins = pairwise_wins({(2, 1, 0): 1, (1, 1, 3): 2}, ["a", "b", "c"])
    assert wins == {
        ("a", "b"): 0.5 + 1 + 2 * 0.5,  # the half-win pseudo-count, a win, two ties
        ("b", "a"): 0.5 + 0 + 2 * 0.5,
        ("a", "c"): 0.5 + 1,
        ("c", "a"): 0.5 + 2,
        ("b", "c"): 0.5 + 1,
        ("c", "b"): 0.5 + 2,
    }


def test_pairwise_wins_without_pull_requests_are_the_pseudo_counts() -> None:
    assert set(pairwise_wins({}, ["a", "b"]).values()) == {0.5}


def zermelo_bradley_terry(wins: dict[tuple[str, str], float], names: Sequence[str]) -> dict[str, float]:
    """The maximum-likelihood strengths by Zermelo's (1929) fixed-point iteration, run to full convergence:
    π_i ← W_i ÷ Σ_j n_ij / (π_i + π_j), renormalised to sum to 1."""
    strength = dict.fromkeys(names, 1.0 / len(names))
    for _ in range(1_000_000):
        updated = {
            i: sum(wins[(i, j)] for j in names if j != i)
            / sum((wins[(i, j)] + wins[(j, i)]) / (strength[i] + strength[j]) for j in names if j != i)
            for i in names
        }
        updated = {name: value / sum(updated.values()) for name, value in updated.items()}
        if max(abs(updated[name] - strength[name]) for name in names) < 1e-14:
            return updated
        strength = updated
    raise AssertionError("no convergence")


@pytest.mark.parametrize(
    ("names", "vectors"),
    [
        pytest.param(["a", "b", "c"], {(2, 1, 0): 1, (1, 1, 3): 2}, id="three-small"),
        pytest.param(["a", "b", "c"], {(3, 1, 0): 40, (0, 2, 1): 15, (1, 1, 1): 10, (0, 0, 4): 5}, id="three-larger"),
        pytest.param(["a", "b", "c"], {(5, 3, 0): 30}, id="three-one-sided"),
        pytest.param(["a", "b", "c", "d"], {(1, 0, 2, 3): 4, (0, 3, 1, 0): 6, (2, 2, 0, 1): 3}, id="four"),
    ],
)
def test_bradley_terry_is_the_maximum_likelihood_solution(
    names: list[str], vectors: dict[tuple[int, ...], int]
) -> None:
    wins = pairwise_wins(vectors, names)
    assert bradley_terry(wins, names) == pytest.approx(zermelo_bradley_terry(wins, names), abs=1e-9)


@pytest.mark.parametrize(
    "vectors",
    [
        pytest.param({(3, 1, 0): 40, (0, 2, 1): 15, (1, 1, 1): 10}, id="mixed"),
        pytest.param({(5, 3, 0): 3000}, id="one-contender-always-wins"),
        pytest.param({(2, 1, 0): 3000, (0, 0, 1): 30}, id="nearly-ordered"),
    ],
)
def test_bradley_terry_solves_the_likelihood_equations(vectors: dict[tuple[int, ...], int]) -> None:
    # at the maximum each contender's wins equal its expected wins: W_i = Σ_j n_ij · π_i / (π_i + π_j)
    names = ["a", "b", "c"]
    wins = pairwise_wins(vectors, names)
    pi = bradley_terry(wins, names)
    for i in names:
        expected = sum((wins[(i, j)] + wins[(j, i)]) * pi[i] / (pi[i] + pi[j]) for j in names if j != i)
        assert sum(wins[(i, j)] for j in names if j != i) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("won", "lost"), [(7, 3), (0, 4), (12, 12)])
def test_bradley_terry_of_two_is_the_pseudo_counted_win_share(won: int, lost: int) -> None:
    # with two contenders the likelihood is maximised at π_a ÷ (π_a + π_b) = wins ÷ games, half-wins included
    wins = pairwise_wins({(1, 0): won, (0, 1): lost}, ["a", "b"])
    assert bradley_terry(wins, ["a", "b"])["a"] == pytest.approx((won + 0.5) / (won + lost + 1))


def test_bradley_terry_of_equal_records_is_equal() -> None:
    names = ["a", "b", "c"]
    fitted = bradley_terry(pairwise_wins({(1, 0, 0): 2, (0, 1, 0): 2, (0, 0, 1): 2}, names), names)
    assert fitted == pytest.approx(dict.fromkeys(names, 1 / 3))


def test_strengths_sum_to_one_with_intervals_around_them() -> None:
    names = ["a", "b", "c"]
    vectors = {(3, 1, 0): 40, (0, 2, 1): 15, (1, 1, 1): 10}
    found = strengths(names, vectors, seed=5, resamples=200)
    assert sum(value for value, _ in found.values()) == pytest.approx(1.0)
    for name, (value, interval) in found.items():
        assert value == pytest.approx(bradley_terry(pairwise_wins(vectors, names), names)[name])
        assert interval is not None and interval[0] <= value <= interval[1]


def test_strengths_are_a_function_of_the_seed() -> None:
    names, vectors = ["a", "b", "c"], {(3, 1, 0): 4, (0, 2, 1): 3, (1, 1, 1): 2}
    assert strengths(names, vectors, seed=5, resamples=100) == strengths(names, vectors, seed=5, resamples=100)
    assert strengths(names, vectors, seed=5, resamples=100) != strengths(names, vectors, seed=6, resamples=100)


def test_strengths_without_common_pull_requests_are_empty() -> None:
    assert strengths(["a", "b", "c"], {}, seed=1) == {}


PAIR = PairInput(
    "deepseek",
    "openai",
    wins=6,
    ties=2,
    losses=2,
    comments_a=10,
    comments_b=6,
    accepted_a=4,
    accepted_b=3,
    shared=4,
    both_accepted=2,
    cells=FileCells(20, 5, 10, 15),
)


@pytest.mark.parametrize(
    ("figure", "value"),
    [
        pytest.param("paired", 10, id="paired-is-wins-ties-losses"),
        pytest.param("sign_p", 2 * (1 + 8 + 28) / 2**8, id="sign-p-ties-dropped"),
        pytest.param("dice", 2 * 4 / (10 + 6), id="dice"),
        pytest.param("kappa", 0.4, id="kappa-of-the-file-cells"),
        pytest.param("accepted_either", 4 + 3 - 2, id="accepted-either-counts-shared-once"),
        pytest.param("shared", 4, id="shared"),
    ],
)
def test_pairing_figures_by_hand(figure: str, value: float) -> None:
    assert getattr(pairing(PAIR, seed=1), figure) == pytest.approx(value)


def test_win_rate_counts_a_tie_as_half_a_win() -> None:
    win_rate = pairing(PAIR, seed=1).win_rate
    assert win_rate.value == pytest.approx((6 + 2 / 2) / 10)
    assert win_rate.wilson is None
    assert win_rate.bootstrap is not None and win_rate.bootstrap[0] <= 0.7 <= win_rate.bootstrap[1]


def test_win_rate_interval_is_a_function_of_the_seed() -> None:
    assert pairing(PAIR, seed=1).win_rate == pairing(PAIR, seed=1).win_rate


def test_sign_p_matches_the_sign_test() -> None:
    assert pairing(PAIR, seed=1).sign_p == sign_test(6, 2)


def test_a_pair_without_common_pull_requests_has_no_rates() -> None:
    found = pairing(PairInput("deepseek", "openai", wins=0, ties=0, losses=0), seed=1)
    assert (found.paired, found.win_rate.value, found.win_rate.bootstrap) == (0, None, None)
    assert (found.sign_p, found.dice, found.kappa, found.accepted_either) == (None, None, None, 0)


def test_a_pair_of_ties_only_has_an_even_win_rate_and_no_sign_test() -> None:
    found = pairing(PairInput("deepseek", "openai", wins=0, ties=5, losses=0), seed=1)
    assert found.win_rate.value == 0.5 and found.win_rate.bootstrap == (0.5, 0.5)
    assert found.sign_p is None


def test_position_bias_rates_each_position() -> None:
    found = position_bias("deepseek", Tally(accepted=3, rejected=1, pending=4), Tally(accepted=1, ignored=3))
    assert (found.first.value, found.later.value) == (0.75, 0.25)
    assert (found.first.wilson, found.later.wilson) == (wilson(3, 4), wilson(1, 4))
    assert found.first_tally.pending == 4


def test_position_bias_without_decided_comments_is_none() -> None:
    found = position_bias("deepseek", Tally(pending=2), Tally())
    assert (found.first.value, found.later.value) == (None, None)
