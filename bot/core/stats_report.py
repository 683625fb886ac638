"""The statistics report: every contender's figures, the head-to-head comparisons and the definitions, as one
value that renders to JSON, CSV, Markdown or a terminal table. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.acceptance import DEFINITION_VERSION
from bot.core.head_to_head import DEFINITIONS as H2H_DEFINITIONS
from bot.core.head_to_head import Pairing, PairInput, Position, pairing, position_bias, strengths
from bot.core.stats import DEFINITIONS as STATS_DEFINITIONS
from bot.core.stats import ContenderInput, ContenderStats, contender_stats

SCHEMA = "review-arena/stats@1"


@dataclass(frozen=True, slots=True)
class StatsInput:
    """What the SQL aggregation hands over: per-contender aggregates, per-pair aggregates, and for three or more
    contenders the pull requests all reviewed, counted by accepted comments per contender (names sorted)."""

    contenders: Sequence[ContenderInput]
    pairs: Sequence[PairInput] = ()
    vectors: dict[tuple[int, ...], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatsReport:
    contenders: tuple[ContenderStats, ...]
    pairings: tuple[Pairing, ...]
    strengths: dict[str, tuple[float, tuple[float, float] | None]]
    positions: tuple[Position, ...]
    filters: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    definition: str = DEFINITION_VERSION

    @property
    def definitions(self) -> dict[str, str]:
        return {**STATS_DEFINITIONS, **H2H_DEFINITIONS}


def every_contender(contenders: Sequence[ContenderInput], *, seed: int) -> tuple[ContenderStats, ...]:
    return tuple(contender_stats(c, seed=seed) for c in contenders)


def build_report(
    data: StatsInput,
    *,
    seed: int,
    filters: dict[str, str] | None = None,
    contenders: tuple[ContenderStats, ...] | None = None,
) -> StatsReport:
    """The report; ``contenders`` may come precomputed by :func:`every_contender` (the caller overlaps it with
    its own work), and must then be for the same input and seed."""
    names = [c.contender for c in data.contenders]
    return StatsReport(
        contenders=contenders if contenders is not None else every_contender(data.contenders, seed=seed),
        pairings=tuple(pairing(p, seed=seed) for p in data.pairs),
        strengths=strengths(names, data.vectors, seed=seed) if len(names) >= 3 else {},
        positions=tuple(position_bias(c.contender, c.first, c.later) for c in data.contenders),
        filters=dict(filters or {}),
        seed=seed,
    )
