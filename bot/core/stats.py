"""Per-contender acceptance statistics: counts, acceptance with Wilson and PR-clustered bootstrap intervals,
yield, latency, tokens and cost. Pure: aggregates in (SQL does the counting), numbers out; the seed is an argument.

Only comments placed on a line count (a finding moved into the review body cannot be reacted to). Every figure
has an entry in :data:`DEFINITIONS`, which the CLI prints with the numbers and the README reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.core.estimates import cluster_bootstrap, wilson

DEFINITIONS: dict[str, str] = {
    "prs": "pull requests with at least one posted review by the contender",
    "comments": "review comments posted on a diff line (findings moved into the review body are not counted)",
    "accepted / addressed / rejected / ignored / pending": "comments by verdict, per the README's acceptance rules",
    "decided": "accepted + addressed + rejected + ignored (pending comments are left out of every rate)",
    "acceptance": "accepted ÷ decided",
    "wilson 95%": "Wilson score interval of acceptance, treating comments as independent",
    "bootstrap 95%": "percentile interval of acceptance over 1,000 resamples of pull requests with replacement "
    "(comments on one pull request are not independent); seeded, so the same data gives the same interval",
    "useful": "(accepted + addressed) ÷ decided, with its Wilson interval",
    "yield": "accepted comments per pull request reviewed",
    "latency p50 / p90": "median and 90th percentile of a review's wall time (all of the contender's model calls)",
    "tokens": "input, cached input, output and reasoning tokens summed over runs (reasoning is part of output)",
    "usd / pr": "cost of the contender's runs ÷ pull requests reviewed, at the configured prices",
    "usd / accepted": "cost of the contender's runs ÷ accepted comments (empty when none was accepted)",
}


@dataclass(frozen=True, slots=True)
class Tally:
    accepted: int = 0
    addressed: int = 0
    rejected: int = 0
    ignored: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.accepted + self.addressed + self.rejected + self.ignored

    @property
    def total(self) -> int:
        return self.decided + self.pending

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.accepted + other.accepted,
            self.addressed + other.addressed,
            self.rejected + other.rejected,
            self.ignored + other.ignored,
            self.pending + other.pending,
        )

    def add(self, verdict: str, count: int = 1) -> Tally:
        return replace(self, **{verdict: getattr(self, verdict) + count})


@dataclass(frozen=True, slots=True)
class ContenderInput:
    """One contender's figures as SQL aggregates them: tallies, run sums and percentiles, and the bootstrap's
    clusters, as {(accepted, decided) on one pull request: how many pull requests}."""

    contender: str
    prs: int
    tally: Tally
    unique_accepted: int = 0  # among comments no other contender shared
    unique_decided: int = 0
    first: Tally = Tally()  # comments when the contender's review was posted first
    later: Tally = Tally()
    models: tuple[str, ...] = ()
    latency_p50_s: float | None = None
    latency_p90_s: float | None = None
    tokens: dict[str, int] = field(default_factory=dict)
    usd: float = 0.0
    clusters: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rate:
    value: float | None
    wilson: tuple[float, float] | None
    bootstrap: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class ContenderStats:
    contender: str
    models: tuple[str, ...]
    prs: int
    comments: int
    tally: Tally
    acceptance: Rate
    useful: Rate
    unique_acceptance: Rate
    yield_per_pr: float | None
    latency_p50_s: float | None
    latency_p90_s: float | None
    tokens: dict[str, int] = field(default_factory=dict)
    usd_total: float = 0.0
    usd_per_pr: float | None = None
    usd_per_accepted: float | None = None


def rate(successes: int, trials: int) -> Rate:
    return Rate(successes / trials if trials else None, wilson(successes, trials))


def clustered_acceptance(
    clusters: dict[tuple[int, int], int], *, seed: int, resamples: int = 1000
) -> tuple[float, float] | None:
    """Bootstrap interval of accepted ÷ decided, resampling pull requests ({(accepted, decided): count})."""
    decided = {kind: count for kind, count in clusters.items() if kind[1]}

    def acceptance(draw: dict[tuple[int, int], int]) -> float | None:
        decided = sum(d * times for (_, d), times in draw.items())
        return sum(a * times for (a, _), times in draw.items()) / decided if decided else None

    return cluster_bootstrap(decided, acceptance, seed=seed, resamples=resamples)


def contender_stats(data: ContenderInput, *, seed: int, resamples: int = 1000) -> ContenderStats:
    """Every per-contender figure from its aggregates."""
    total = data.tally
    acceptance = rate(total.accepted, total.decided)
    return ContenderStats(
        contender=data.contender,
        models=data.models,
        prs=data.prs,
        comments=total.total,
        tally=total,
        acceptance=replace(acceptance, bootstrap=clustered_acceptance(data.clusters, seed=seed, resamples=resamples)),
        useful=rate(total.accepted + total.addressed, total.decided),
        unique_acceptance=rate(data.unique_accepted, data.unique_decided),
        yield_per_pr=total.accepted / data.prs if data.prs else None,
        latency_p50_s=data.latency_p50_s,
        latency_p90_s=data.latency_p90_s,
        tokens=dict(data.tokens),
        usd_total=data.usd,
        usd_per_pr=data.usd / data.prs if data.prs else None,
        usd_per_accepted=data.usd / total.accepted if total.accepted else None,
    )
