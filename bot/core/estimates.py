"""Interval estimates and tests the statistics use: Wilson score intervals, the exact sign test, percentiles,
and a seeded cluster bootstrap. Pure: randomness comes from a ``bot.core.seeded.Stream`` built from the seed
passed in.

The bootstrap resamples clusters (pull requests) with replacement. Clusters with the same summary are one
"type", so a resample is a multinomial draw over the types rather than n single draws: the cost grows with the
number of distinct types, not with the number of pull requests. Binomial draws use Hörmann's BTRS method
("The generation of binomial random variates", 1993), the algorithm CPython 3.12 uses for ``binomialvariate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import TypeVar

from bot.core.seeded import Stream

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal
T = TypeVar("T", bound=Hashable)


def wilson(successes: int, trials: int, *, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion; None when there are no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def sign_test(wins: int, losses: int) -> float | None:
    """Two-sided exact sign test p-value for ``wins`` against ``losses`` (ties dropped); None with no pairs."""
    n = wins + losses
    if n == 0:
        return None
    k = min(wins, losses)
    # P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n neither overflows nor loses terms
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2) for i in range(k + 1)]
    top = max(logs)
    tail = math.exp(top) * sum(math.exp(v - top) for v in logs)
    return min(1.0, 2 * tail)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0..1) by linear interpolation between closest ranks; None for no values."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def binomial(rng: Stream, n: int, p: float) -> int:
    """One Binomial(n, p) draw."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        return _binomial_by_waiting_times(rng, n, p)
    return _binomial_btrs(rng, n, p)


def _binomial_by_waiting_times(rng: Stream, n: int, p: float) -> int:
    """Count successes by jumping over the geometric gaps between them (fast when n·p is small)."""
    c = math.log(1.0 - p)
    successes, trial = 0, 0
    while True:
        trial += math.floor(math.log(1.0 - rng.random()) / c) + 1
        if trial > n:
            return successes
        successes += 1


def _binomial_btrs(rng: Stream, n: int, p: float) -> int:
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = math.log(p / (1.0 - p))
    m = math.floor((n + 1) * p)
    h = math.lgamma(m + 1) + math.lgamma(n - m + 1)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= vr:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        if v <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k


def multinomial(rng: Stream, n: int, weights: Sequence[int]) -> list[int]:
    """One Multinomial(n, weights/sum) draw, by conditional binomials."""
    left, total, drawn = n, sum(weights), []
    for w in weights:
        if left == 0 or total <= 0:
            drawn.append(0)
            continue
        k = binomial(rng, left, w / total) if w < total else left
        drawn.append(k)
        left -= k
        total -= w
    return drawn


def resamples_of(counts: Mapping[T, int], *, seed: int, resamples: int) -> Iterator[dict[T, int]]:
    """Resamples with replacement of the clusters counted in ``counts`` ({cluster type: how many}), each as
    {cluster type: times drawn}; a function of the seed alone."""
    kinds = sorted((k for k, c in counts.items() if c > 0), key=repr)  # a stable order for the draws
    weights = [counts[k] for k in kinds]
    n = sum(weights)
    rng = Stream(seed)
    for _ in range(resamples):
        draw = multinomial(rng, n, weights)
        yield {k: d for k, d in zip(kinds, draw, strict=True) if d}


def percentile_interval(values: list[float], *, level: float = 0.95) -> tuple[float, float] | None:
    values = sorted(values)
    tail = (1.0 - level) / 2
    low, high = percentile(values, tail), percentile(values, 1.0 - tail)
    return None if low is None or high is None else (low, high)


def cluster_bootstrap(
    counts: Mapping[T, int],
    statistic: Callable[[dict[T, int]], float | None],
    *,
    seed: int,
    resamples: int = 2000,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """A percentile interval for ``statistic`` over clusters resampled with replacement.

    ``counts`` says how many clusters of each type there are; ``statistic`` receives a resample in the same
    form. Resamples where it is undefined (None) are skipped; None is returned when there are no clusters or no
    defined resample.
    """
    if not any(c > 0 for c in counts.values()):
        return None
    draws = resamples_of(counts, seed=seed, resamples=resamples)
    values = [v for draw in draws if (v := statistic(draw)) is not None]
    return percentile_interval(values, level=level)
