"""Interval estimates against published reference values and against closed forms worked out here: the Wilson
score interval, the exact sign test, percentiles, the SplitMix64 stream, the binomial and multinomial samplers,
and the seeded cluster bootstrap."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from fractions import Fraction

import pytest

from bot.core.estimates import (
    Z95,
    binomial,
    cluster_bootstrap,
    multinomial,
    percentile,
    percentile_interval,
    resamples_of,
    sign_test,
    wilson,
)
from bot.core.seeded import Stream

# Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven methods",
# Statistics in Medicine 17 (1998) 857-872: the worked examples, method 3 (score interval, no continuity
# correction), to the four decimals the paper prints.
NEWCOMBE_1998 = [
    pytest.param(81, 263, (0.2553, 0.3662), id="newcombe-81-of-263"),
    pytest.param(15, 148, (0.0624, 0.1605), id="newcombe-15-of-148"),
    pytest.param(0, 20, (0.0000, 0.1611), id="newcombe-0-of-20"),
    pytest.param(1, 29, (0.0061, 0.1718), id="newcombe-1-of-29"),
]


def wilson_closed_form(k: int, n: int, z: float) -> tuple[float, float]:
    """Wilson (1927) as the roots of (p̂ - p)² = z² p (1 - p) / n, solved with the quadratic formula."""
    # n (p̂ - p)² - z² p (1 - p) = 0  ⇔  (n + z²) p² - (2k + z²) p + k²/n = 0
    a, b, c = n + z * z, -(2 * k + z * z), k * k / n
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


@pytest.mark.parametrize(("successes", "trials", "published"), NEWCOMBE_1998)
def test_wilson_matches_newcombes_worked_examples(successes: int, trials: int, published: tuple[float, float]) -> None:
    interval = wilson(successes, trials)
    assert interval is not None
    assert interval == pytest.approx(published, abs=5e-5)


@pytest.mark.parametrize(
    ("successes", "trials"),
    [
        pytest.param(0, 10, id="none-of-10"),
        pytest.param(10, 10, id="all-of-10"),
        pytest.param(1, 29, id="1-of-29"),
        pytest.param(81, 263, id="81-of-263"),
        pytest.param(500, 1000, id="half-of-1000"),
        pytest.param(1, 1, id="1-of-1"),
    ],
)
def test_wilson_is_the_root_pair_of_the_score_equation(successes: int, trials: int) -> None:
    assert wilson(successes, trials) == pytest.approx(wilson_closed_form(successes, trials, Z95), abs=1e-12)


@pytest.mark.parametrize(
    ("successes", "trials", "interval"),
    [
        # the score equation's roots are then 0 and z²/(n + z²), or n/(n + z²) and 1
        pytest.param(0, 10, (0.0, Z95**2 / (10 + Z95**2)), id="none-of-10"),
        pytest.param(10, 10, (10 / (10 + Z95**2), 1.0), id="all-of-10"),
    ],
)
def test_wilson_at_the_edges_has_a_closed_form(successes: int, trials: int, interval: tuple[float, float]) -> None:
    assert wilson(successes, trials) == pytest.approx(interval, abs=1e-12)


def test_wilson_is_symmetric_in_successes_and_failures() -> None:
    low, high = wilson(3, 17) or (0.0, 0.0)
    assert wilson(14, 17) == pytest.approx((1 - high, 1 - low))


def test_wilson_narrows_with_a_smaller_z() -> None:
    wide, narrow = wilson(30, 100), wilson(30, 100, z=1.0)
    assert wide is not None and narrow is not None
    assert wide[0] < narrow[0] < 0.3 < narrow[1] < wide[1]


@pytest.mark.parametrize("trials", [pytest.param(0, id="zero"), pytest.param(-1, id="negative")])
def test_wilson_without_trials_is_none(trials: int) -> None:
    assert wilson(0, trials) is None


def exact_sign_p(wins: int, losses: int) -> float:
    """2 · P(X ≤ min) for X ~ Binomial(wins + losses, 1/2), summed exactly, capped at 1."""
    n = wins + losses
    tail = Fraction(sum(math.comb(n, i) for i in range(min(wins, losses) + 1)), 2**n)
    return float(min(Fraction(1), 2 * tail))


@pytest.mark.parametrize(
    ("wins", "losses"),
    [
        pytest.param(1, 0, id="1-0"),
        pytest.param(5, 0, id="5-0"),
        pytest.param(9, 1, id="9-1"),
        pytest.param(8, 2, id="8-2"),
        pytest.param(5, 5, id="5-5"),
        pytest.param(3, 2, id="3-2"),
        pytest.param(15, 5, id="15-5"),
        pytest.param(60, 40, id="60-40"),
        pytest.param(600, 400, id="600-400"),
    ],
)
def test_sign_test_is_the_exact_two_sided_binomial_tail(wins: int, losses: int) -> None:
    assert sign_test(wins, losses) == pytest.approx(exact_sign_p(wins, losses), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(
    ("wins", "losses", "p"),
    [
        pytest.param(9, 1, 22 / 1024, id="9-1"),  # 2 · (1 + 10) / 2¹⁰
        pytest.param(5, 0, 2 / 32, id="5-0"),
        pytest.param(4, 4, 1.0, id="balanced"),
    ],
)
def test_sign_test_by_hand(wins: int, losses: int, p: float) -> None:
    assert sign_test(wins, losses) == pytest.approx(p)


@pytest.mark.parametrize(("wins", "losses"), [(9, 1), (2, 7), (30, 12)])
def test_sign_test_is_symmetric(wins: int, losses: int) -> None:
    assert sign_test(wins, losses) == sign_test(losses, wins)


def test_sign_test_with_no_pairs_is_none() -> None:
    assert sign_test(0, 0) is None


@pytest.mark.parametrize(
    ("wins", "losses", "low", "high"),
    [
        pytest.param(60_000, 40_000, 0.0, 1e-100, id="lopsided"),
        pytest.param(50_001, 50_000, 1.0 - 1e-9, 1.0, id="balanced"),
    ],
)
def test_sign_test_stays_finite_for_very_many_pairs(wins: int, losses: int, low: float, high: float) -> None:
    p = sign_test(wins, losses)
    assert p is not None and low <= p <= high


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        pytest.param([1.0, 2.0, 3.0, 4.0], 0.5, 2.5, id="median-between-ranks"),
        pytest.param([1.0, 2.0, 3.0], 0.5, 2.0, id="median-on-a-rank"),
        pytest.param([10.0, 20.0, 30.0, 40.0, 50.0], 0.9, 46.0, id="p90-interpolated"),
        pytest.param([10.0, 20.0, 30.0, 40.0, 50.0], 0.0, 10.0, id="minimum"),
        pytest.param([10.0, 20.0, 30.0, 40.0, 50.0], 1.0, 50.0, id="maximum"),
        pytest.param([7.0], 0.9, 7.0, id="one-value"),
    ],
)
def test_percentile_interpolates_between_closest_ranks(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_agrees_with_the_standard_librarys_inclusive_quantiles() -> None:
    values = sorted(float(v * v % 37) for v in range(23))
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert [percentile(values, k / 10) for k in range(1, 10)] == pytest.approx(deciles)


def test_percentile_of_nothing_is_none() -> None:
    assert percentile([], 0.5) is None


def test_percentile_interval_cuts_both_tails() -> None:
    assert percentile_interval([float(v) for v in range(101)][::-1]) == pytest.approx((2.5, 97.5))
    assert percentile_interval([]) is None


# Rosetta Code, "Pseudo-random numbers/Splitmix64": the first five outputs for seed 1234567 (they agree with
# Vigna's splitmix64.c), and the histogram of floor(5 · next_float()) over 100,000 draws from seed 987654321.
SPLITMIX64_1234567 = [
    6457827717110365317,
    3203168211198807973,
    9817491932198370423,
    4593380528125082431,
    16408922859458223821,
]
SPLITMIX64_987654321_FIFTHS = [20027, 19892, 20073, 19978, 20030]


def test_splitmix64_matches_the_published_outputs() -> None:
    stream = Stream(1234567)
    assert [stream.next64() for _ in SPLITMIX64_1234567] == SPLITMIX64_1234567


def test_splitmix64_seed_zero_starts_at_vignas_first_output() -> None:
    assert Stream(0).next64() == 0xE220A8397B1DCDAF


def test_splitmix64_floats_match_the_published_histogram() -> None:
    stream = Stream(987654321)
    fifths = Counter(math.floor(stream.random() * 5) for _ in range(100_000))
    assert [fifths[k] for k in range(5)] == SPLITMIX64_987654321_FIFTHS


def test_random_is_next64_scaled_to_53_bits() -> None:
    ints, floats = Stream(42), Stream(42)
    for _ in range(100):
        assert floats.random() == (ints.next64() >> 11) / 2**53


def test_seeds_wrap_to_64_bits() -> None:
    assert Stream(-1).next64() == Stream(2**64 - 1).next64()


# One regime per code path: waiting times (n·p < 10), BTRS (n·p ≥ 10), and p > 0.5 through the complement.
BINOMIAL_REGIMES = [
    pytest.param(20, 0.1, id="small-np-waiting-times"),
    pytest.param(10, 0.5, id="fair-coin-waiting-times"),
    pytest.param(1000, 0.3, id="large-n-btrs"),
    pytest.param(100_000, 0.001, id="rare-events-btrs"),
    pytest.param(40, 0.25, id="np-exactly-10-btrs"),
    pytest.param(30, 0.9, id="p-above-half-waiting-times"),
    pytest.param(500, 0.7, id="p-above-half-btrs"),
]
DRAWS = 20_000


def draws(n: int, p: float, *, seed: int = 20260101) -> list[int]:
    rng = Stream(seed)
    return [binomial(rng, n, p) for _ in range(DRAWS)]


@pytest.mark.parametrize(("n", "p"), BINOMIAL_REGIMES)
def test_binomial_draws_have_the_binomial_mean_and_variance(n: int, p: float) -> None:
    sample = draws(n, p)
    mean, variance = n * p, n * p * (1 - p)
    # tolerances of five standard errors; the stream is seeded, so the outcome is the same on every run
    assert statistics.fmean(sample) == pytest.approx(mean, abs=5 * math.sqrt(variance / DRAWS))
    assert statistics.variance(sample) == pytest.approx(variance, rel=5 * math.sqrt(2 / DRAWS))


@pytest.mark.parametrize(("n", "p"), BINOMIAL_REGIMES)
def test_binomial_draws_follow_the_binomial_distribution(n: int, p: float) -> None:
    """Kolmogorov–Smirnov: the draws' distribution function stays within the 1% critical distance (1.63 / √N;
    conservative for a discrete distribution) of the exact binomial one."""
    seen = Counter(draws(n, p))
    assert all(0 <= k <= n for k in seen)

    def probability(k: int) -> float:
        log_choose = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
        return math.exp(log_choose + k * math.log(p) + (n - k) * math.log1p(-p))

    exact = empirical = distance = 0.0
    for k in range(n + 1):
        exact += probability(k)
        empirical += seen[k] / DRAWS
        distance = max(distance, abs(empirical - exact))
    assert distance < 1.63 / math.sqrt(DRAWS)


@pytest.mark.parametrize(
    ("n", "p", "expected"),
    [
        pytest.param(0, 0.5, 0, id="no-trials"),
        pytest.param(10, 0.0, 0, id="never"),
        pytest.param(10, 1.0, 10, id="always"),
    ],
)
def test_binomial_degenerate_cases(n: int, p: float, expected: int) -> None:
    assert binomial(Stream(1), n, p) == expected


def test_binomial_is_a_function_of_the_seed() -> None:
    assert draws(1000, 0.3, seed=5)[:200] == draws(1000, 0.3, seed=5)[:200]
    assert draws(1000, 0.3, seed=5)[:200] != draws(1000, 0.3, seed=6)[:200]


@pytest.mark.parametrize(
    ("n", "weights"),
    [
        pytest.param(100, [1, 2, 3, 4], id="four-kinds"),
        pytest.param(1, [5, 5], id="one-draw"),
        pytest.param(1000, [0, 7, 0, 3], id="zero-weights"),
        pytest.param(50, [50], id="one-kind"),
    ],
)
def test_multinomial_draws_add_up_to_n_and_skip_empty_kinds(n: int, weights: list[int]) -> None:
    rng = Stream(9)
    for _ in range(200):
        drawn = multinomial(rng, n, weights)
        assert sum(drawn) == n
        assert all(d == 0 for d, w in zip(drawn, weights, strict=True) if w == 0)


def test_multinomial_means_follow_the_weights() -> None:
    rng, weights, n, rounds = Stream(3), [1, 2, 3, 4], 100, 5000
    totals = [0] * len(weights)
    for _ in range(rounds):
        totals = [t + d for t, d in zip(totals, multinomial(rng, n, weights), strict=True)]
    assert [t / rounds for t in totals] == pytest.approx([10.0, 20.0, 30.0, 40.0], rel=0.02)


def test_resamples_draw_as_many_clusters_as_there_are() -> None:
    counts = {"a": 3, "b": 5, "c": 0, "d": 2}
    resamples = list(resamples_of(counts, seed=1, resamples=50))
    assert len(resamples) == 50
    assert all(sum(r.values()) == 10 and "c" not in r for r in resamples)


def mean_of(draw: dict[int, int]) -> float | None:
    n = sum(draw.values())
    return sum(value * times for value, times in draw.items()) / n if n else None


def test_cluster_bootstrap_is_a_function_of_the_seed() -> None:
    counts = {0: 70, 1: 30}
    assert cluster_bootstrap(counts, mean_of, seed=11) == cluster_bootstrap(counts, mean_of, seed=11)


def test_cluster_bootstrap_differs_with_another_seed() -> None:
    counts = {0: 70, 1: 30}
    assert cluster_bootstrap(counts, mean_of, seed=11) != cluster_bootstrap(counts, mean_of, seed=12)


def test_cluster_bootstrap_covers_the_value_with_the_normal_width() -> None:
    # 100 clusters, 30 of them successes: the interval is close to 0.3 ± 1.96 · √(0.3 · 0.7 / 100)
    interval = cluster_bootstrap({0: 70, 1: 30}, mean_of, seed=11)
    assert interval is not None
    low, high = interval
    half = Z95 * math.sqrt(0.3 * 0.7 / 100)
    assert low < 0.3 < high
    assert low == pytest.approx(0.3 - half, abs=0.02) and high == pytest.approx(0.3 + half, abs=0.02)


def test_cluster_bootstrap_of_identical_clusters_has_no_width() -> None:
    assert cluster_bootstrap({4: 25}, mean_of, seed=1) == (4.0, 4.0)


@pytest.mark.parametrize(
    "counts",
    [pytest.param({}, id="no-kinds"), pytest.param({1: 0, 2: 0}, id="no-clusters")],
)
def test_cluster_bootstrap_without_clusters_is_none(counts: dict[int, int]) -> None:
    assert cluster_bootstrap(counts, mean_of, seed=1) is None


def test_cluster_bootstrap_where_the_statistic_is_never_defined_is_none() -> None:
    assert cluster_bootstrap({1: 5}, lambda draw: None, seed=1) is None
