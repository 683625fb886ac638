"""The statistics report as JSON, CSV and Markdown, and the rows a terminal table shows. Pure.

Every figure travels with its definition: a ``definitions`` key in JSON, a ``definition`` column in CSV, and
footnotes under the Markdown and terminal tables.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from bot.core.head_to_head import Pairing
from bot.core.stats import ContenderStats, Rate
from bot.core.stats_report import SCHEMA, StatsReport

ACCEPTANCE_HEADERS = (
    "contender", "prs", "comments", "accepted", "addressed", "rejected", "ignored", "pending",
    "acceptance", "wilson 95%", "bootstrap 95%", "useful", "unique acceptance", "yield",
)  # fmt: skip
COST_HEADERS = ("contender", "models", "latency p50 / p90", "tokens", "usd / pr", "usd / accepted")
PAIR_HEADERS = (
    "pair", "paired", "wins / ties / losses", "win rate", "bootstrap 95%", "sign test p", "shared", "dice",
    "kappa", "accepted either",
)  # fmt: skip


def report_json(report: StatsReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "definition": report.definition,
        "seed": report.seed,
        "filters": report.filters,
        "contenders": [_contender_json(c) for c in report.contenders],
        "head_to_head": [asdict(p) for p in report.pairings],
        "strengths": {k: {"strength": v, "interval": i} for k, (v, i) in report.strengths.items()},
        "position": [asdict(p) for p in report.positions],
        "definitions": report.definitions,
    }


def _contender_json(c: ContenderStats) -> dict[str, Any]:
    found = asdict(c)
    found["tally"]["decided"] = c.tally.decided
    return found


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def interval(bounds: tuple[float, float] | None) -> str:
    return "–" if bounds is None else f"{100 * bounds[0]:.1f}–{100 * bounds[1]:.1f}%"


def money(value: float | None) -> str:
    return "–" if value is None else f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def acceptance_row(c: ContenderStats) -> list[str]:
    t = c.tally
    return [
        c.contender, str(c.prs), str(c.comments), str(t.accepted), str(t.addressed), str(t.rejected),
        str(t.ignored), str(t.pending), percent(c.acceptance.value), interval(c.acceptance.wilson),
        interval(c.acceptance.bootstrap), percent(c.useful.value), percent(c.unique_acceptance.value),
        number(c.yield_per_pr),
    ]  # fmt: skip


def cost_row(c: ContenderStats) -> list[str]:
    tokens = " / ".join(
        f"{name} {count(c.tokens.get(key, 0))}"
        for name, key in (("in", "input"), ("out", "output"), ("reasoning", "reasoning"))
    )
    latency = f"{number(c.latency_p50_s, 1)} / {number(c.latency_p90_s, 1)} s"
    return [c.contender, ", ".join(c.models), latency, tokens, money(c.usd_per_pr), money(c.usd_per_accepted)]


def count(n: int) -> str:
    """1,234 / 12.3k / 4.56M: compact token counts."""
    if n < 10_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.2f}M"


def p_value(p: float | None) -> str:
    if p is None:
        return "–"
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def pair_row(p: Pairing) -> list[str]:
    return [
        f"{p.a} vs {p.b}", str(p.paired), f"{p.wins} / {p.ties} / {p.losses}", percent(p.win_rate.value),
        interval(p.win_rate.bootstrap), p_value(p.sign_p), str(p.shared), number(p.dice), number(p.kappa),
        str(p.accepted_either),
    ]  # fmt: skip


def strength_rows(report: StatsReport) -> list[list[str]]:
    return [[name, number(v, 3), interval(i)] for name, (v, i) in sorted(report.strengths.items())]


def position_rows(report: StatsReport) -> list[list[str]]:
    return [
        [p.contender, percent(p.first.value), str(p.first_tally.decided), percent(p.later.value),
         str(p.later_tally.decided)]
        for p in report.positions
    ]  # fmt: skip


def report_markdown(report: StatsReport, *, title: str = "Review Arena statistics") -> str:
    parts = [f"### {title}"]
    if report.filters:
        parts.append("Filters: " + ", ".join(f"{k} = `{v}`" for k, v in sorted(report.filters.items())))
    if not report.contenders:
        parts.append("No reviews match: nothing to count yet.")
        return "\n\n".join(parts) + "\n"
    parts.append(_table(ACCEPTANCE_HEADERS, [acceptance_row(c) for c in report.contenders]))
    parts.append("**Cost and latency**\n\n" + _table(COST_HEADERS, [cost_row(c) for c in report.contenders]))
    if report.pairings:
        parts.append("**Head to head**\n\n" + _table(PAIR_HEADERS, [pair_row(p) for p in report.pairings]))
    if report.strengths:
        parts.append("**Bradley–Terry**\n\n" + _table(("contender", "strength", "95%"), strength_rows(report)))
    headers = ("contender", "acceptance posted first", "decided", "acceptance posted later", "decided")
    parts.append("**Position**\n\n" + _table(headers, position_rows(report)))
    parts.append(_footnotes(report))
    return "\n\n".join(parts) + "\n"


def _table(headers: tuple[str, ...], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _footnotes(report: StatsReport) -> str:
    notes = [f"- **{name}**: {text}" for name, text in report.definitions.items()]
    return (
        f"<details><summary>Definitions ({report.definition}, bootstrap seed {report.seed})</summary>\n\n"
        + "\n".join(notes)
        + "\n\n</details>"
    )


def report_csv(report: StatsReport) -> str:
    """Long form: one row per (section, subject, metric) with its interval and definition."""
    out = _Text()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "subject", "metric", "value", "low", "high", "definition"])
    for row in _csv_rows(report):
        writer.writerow(row)
    return "".join(out.parts)


class _Text:
    """What ``csv.writer`` writes to, kept in memory (the core does no I/O, not even ``io.StringIO``)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)


def _csv_rows(report: StatsReport) -> Iterator[list[Any]]:
    d = report.definitions
    for c in report.contenders:
        yield from _rate_rows("contender", c.contender, "acceptance", c.acceptance, d["acceptance"])
        yield from _rate_rows("contender", c.contender, "useful", c.useful, d["useful"])
        yield from _rate_rows(
            "contender", c.contender, "unique acceptance", c.unique_acceptance, d["unique acceptance"]
        )
        for metric, value, key in (
            ("prs", c.prs, "prs"),
            ("comments", c.comments, "comments"),
            *((v, getattr(c.tally, v), "accepted / addressed / rejected / ignored / pending") for v in _VERDICTS),
            ("yield", c.yield_per_pr, "yield"),
            ("latency p50 s", c.latency_p50_s, "latency p50 / p90"),
            ("latency p90 s", c.latency_p90_s, "latency p50 / p90"),
            *((f"tokens {k}", v, "tokens") for k, v in c.tokens.items()),
            ("usd total", c.usd_total, "usd / pr"),
            ("usd / pr", c.usd_per_pr, "usd / pr"),
            ("usd / accepted", c.usd_per_accepted, "usd / accepted"),
        ):
            yield ["contender", c.contender, metric, _plain(value), "", "", d[key]]
    for p in report.pairings:
        subject = f"{p.a} vs {p.b}"
        yield from _rate_rows("head to head", subject, "win rate", p.win_rate, d["win rate"])
        for metric, value, key in (
            ("paired", p.paired, "paired"),
            ("wins", p.wins, "paired"),
            ("ties", p.ties, "paired"),
            ("losses", p.losses, "paired"),
            ("sign test p", p.sign_p, "sign test p"),
            ("shared", p.shared, "shared"),
            ("dice", p.dice, "dice"),
            ("kappa", p.kappa, "kappa"),
            ("accepted either", p.accepted_either, "accepted either"),
        ):
            yield ["head to head", subject, metric, _plain(value), "", "", d[key]]
    for name, (value, bounds) in sorted(report.strengths.items()):
        low, high = bounds or ("", "")
        yield ["bradley-terry", name, "strength", value, low, high, d["bradley-terry"]]
    for pos in report.positions:
        yield from _rate_rows("position", pos.contender, "acceptance posted first", pos.first, d["position"])
        yield from _rate_rows("position", pos.contender, "acceptance posted later", pos.later, d["position"])


_VERDICTS = ("accepted", "addressed", "rejected", "ignored", "pending")


def _rate_rows(section: str, subject: str, metric: str, rate: Rate, definition: str) -> Iterator[list[Any]]:
    wilson = rate.wilson or ("", "")
    yield [section, subject, metric, _plain(rate.value), wilson[0], wilson[1], definition]
    if rate.bootstrap is not None:
        yield [section, subject, f"{metric} (bootstrap)", _plain(rate.value), *rate.bootstrap, definition]


def _plain(value: float | int | None) -> float | int | str:
    return "" if value is None else value
