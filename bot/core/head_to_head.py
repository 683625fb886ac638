"""Comparisons between contenders on the pull requests they all reviewed: paired wins with a sign test,
Bradley–Terry strengths, agreement (shared findings, Cohen's κ) and position bias. Pure; seeds are arguments.

Every figure has an entry in :data:`DEFINITIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, permutations

from bot.core.estimates import cluster_bootstrap, percentile_interval, resamples_of, sign_test
from bot.core.stats import Rate, Tally, rate

DEFINITIONS: dict[str, str] = {
    "paired": "pull requests both contenders reviewed; a win has more accepted comments than the other's, "
    "a tie as many",
    "win rate": "(wins + ties ÷ 2) ÷ paired pull requests, with a bootstrap 95% interval over pull requests",
    "sign test p": "two-sided exact binomial test of wins against losses (ties dropped)",
    "bradley-terry": "strengths fitted to the pairwise wins (ties as half a win each, plus half a win each way per "
    "pair so no strength is zero), normalised to sum to 1, with bootstrap 95% intervals over pull requests; "
    "shown for three or more contenders (for two it is the win rate)",
    "shared": "pairs of comments flagging the same spot (same path, lines within ±3, similar words)",
    "dice": "2 × shared ÷ (comments by the first + comments by the second), on the paired pull requests",
    "kappa": "Cohen's κ of 'flagged this file' between the two contenders, over the files of each paired review",
    "accepted either": "distinct accepted findings of the two: a shared finding accepted by both counts once",
    "unique acceptance": "acceptance of the comments no other contender shared",
    "position": "acceptance of a contender's comments when its review was posted first (position 0) or later",
}


@dataclass(frozen=True, slots=True)
class FileCells:
    """Files of the pull requests two contenders both reviewed, by who commented on them."""

    both: int = 0
    only_a: int = 0
    only_b: int = 0
    neither: int = 0


@dataclass(frozen=True, slots=True)
class PairInput:
    """Two contenders on the pull requests both reviewed, as SQL aggregates them."""

    a: str
    b: str
    wins: int  # pull requests where a had more accepted comments than b
    ties: int
    losses: int
    comments_a: int = 0
    comments_b: int = 0
    accepted_a: int = 0
    accepted_b: int = 0
    shared: int = 0  # agreement pairs
    both_accepted: int = 0  # agreement pairs where both comments were accepted
    cells: FileCells = FileCells()


@dataclass(frozen=True, slots=True)
class Pairing:
    a: str
    b: str
    paired: int
    wins: int
    ties: int
    losses: int
    win_rate: Rate
    sign_p: float | None
    shared: int
    dice: float | None
    kappa: float | None
    accepted_either: int


@dataclass(frozen=True, slots=True)
class Position:
    contender: str
    first: Rate
    later: Rate
    first_tally: Tally
    later_tally: Tally


def pairing(data: PairInput, *, seed: int, resamples: int = 1000) -> Pairing:
    n = data.wins + data.ties + data.losses
    outcomes = {1: data.wins, 0: data.ties, -1: data.losses}

    def score(draw: dict[int, int]) -> float:
        return sum((o + 1) / 2 * t for o, t in draw.items()) / n

    comments = data.comments_a + data.comments_b
    return Pairing(
        a=data.a,
        b=data.b,
        paired=n,
        wins=data.wins,
        ties=data.ties,
        losses=data.losses,
        win_rate=Rate(
            score(outcomes) if n else None, None, cluster_bootstrap(outcomes, score, seed=seed, resamples=resamples)
        ),
        sign_p=sign_test(data.wins, data.losses),
        shared=data.shared,
        dice=2 * data.shared / comments if comments else None,
        kappa=kappa(data.cells),
        accepted_either=data.accepted_a + data.accepted_b - data.both_accepted,
    )


def kappa(cells: FileCells) -> float | None:
    """Cohen's κ for two raters deciding, file by file, whether to comment."""
    both, only_a, only_b, neither = cells.both, cells.only_a, cells.only_b, cells.neither
    n = both + only_a + only_b + neither
    if n == 0:
        return None
    observed = (both + neither) / n
    pa, pb = (both + only_a) / n, (both + only_b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return None if expected >= 1.0 else (observed - expected) / (1 - expected)


def bradley_terry(
    wins: dict[tuple[str, str], float], names: Sequence[str], *, iterations: int = 100
) -> dict[str, float]:
    """Maximum-likelihood strengths summing to 1; ``wins[(i, j)]`` is how often i beat j.

    Newton's method on log-strengths (the first held at 0), halving a step until the log-likelihood rises. With
    the half-win pseudo-counts on every pair the log-likelihood is strictly concave, so a few steps reach the
    maximum even when one contender wins nearly every time, where Hunter's MM algorithm needs thousands.
    """
    k = len(names)
    won = [[wins.get((a, b), 0.0) if a != b else 0.0 for b in names] for a in names]
    theta = [0.0] * k
    best = _log_likelihood(won, theta)
    for _ in range(iterations):
        gradient, hessian = [0.0] * k, [[0.0] * k for _ in range(k)]
        for i, j in permutations(range(k), 2):
            p = 1.0 / (1.0 + math.exp(theta[j] - theta[i]))
            gradient[i] += won[i][j] - (won[i][j] + won[j][i]) * p
            curvature = (won[i][j] + won[j][i]) * p * (1.0 - p)
            hessian[i][i] -= curvature
            hessian[i][j] += curvature
        step = _solve([row[1:] for row in hessian[1:]], [-g for g in gradient[1:]])
        if step is None or max((abs(x) for x in step), default=0.0) < 1e-12:
            break
        for _ in range(60):
            trial = [0.0, *(t + x for t, x in zip(theta[1:], step, strict=True))]
            if (value := _log_likelihood(won, trial)) >= best:
                theta, best = trial, value
                break
            step = [x / 2 for x in step]
        else:
            break
    top = max(theta)
    weights = [math.exp(t - top) for t in theta]
    return {name: w / sum(weights) for name, w in zip(names, weights, strict=True)}


def _log_likelihood(won: list[list[float]], theta: list[float]) -> float:
    # log(p_ij) = -log(1 + e^(θj - θi)), written so a large difference neither overflows nor loses precision
    def log_p(d: float) -> float:
        return -(d + math.log1p(math.exp(-d))) if d > 0 else -math.log1p(math.exp(d))

    return sum(won[i][j] * log_p(theta[j] - theta[i]) for i, j in permutations(range(len(theta)), 2))


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None for a singular matrix (a contender never compared)."""
    n = len(rhs)
    rows = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-300:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col], strict=True)]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (rows[r][n] - sum(rows[r][c] * x[c] for c in range(r + 1, n))) / rows[r][r]
    return x


def pairwise_wins(outcomes: dict[tuple[int, ...], int], names: Sequence[str]) -> dict[tuple[str, str], float]:
    """Wins from per-pull-request accepted counts (one tuple per pull request, in ``names`` order), ties as
    half a win each, plus half a win each way per pair."""
    wins: dict[tuple[str, str], float] = {(i, j): 0.5 for i in names for j in names if i != j}
    for counts, times in outcomes.items():
        for (x, i), (y, j) in combinations(list(enumerate(names)), 2):
            diff = counts[x] - counts[y]
            wins[(i, j)] += times * (1.0 if diff > 0 else 0.5 if diff == 0 else 0.0)
            wins[(j, i)] += times * (1.0 if diff < 0 else 0.5 if diff == 0 else 0.0)
    return wins


def strengths(
    names: Sequence[str], vectors: dict[tuple[int, ...], int], *, seed: int, resamples: int = 1000
) -> dict[str, tuple[float, tuple[float, float] | None]]:
    """Bradley–Terry strength and bootstrap interval per contender, from the pull requests every contender
    reviewed: ``vectors`` counts them by their accepted comments per contender, in ``names`` order."""
    if not vectors:
        return {}
    fitted = bradley_terry(pairwise_wins(vectors, names), names)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for draw in resamples_of(vectors, seed=seed, resamples=resamples):
        for name, value in bradley_terry(pairwise_wins(draw, names), names).items():
            samples[name].append(value)
    return {n: (fitted[n], percentile_interval(samples[n])) for n in names}


def position_bias(name: str, first: Tally, later: Tally) -> Position:
    return Position(name, rate(first.accepted, first.decided), rate(later.accepted, later.decided), first, later)
