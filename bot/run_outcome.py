"""What one contender's outcome leaves behind: its row in the run store (the summary and the spots its peers
compare for agreement), its comments as posted, and the "also raised by" labels of the spots it shares.
Plain functions over the core's outcome, used by the App's and the Action's reviews.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.comments import Marker, fingerprint
from bot.core.config import Settings
from bot.core.findings import Finding
from bot.core.outcome import ContenderOutcome
from bot.runs import PostedComment, RunSummary, Spot


def also_raised_for(
    pairs: Sequence[tuple[str, str, str, str]], me: str, settings: Settings
) -> dict[str, tuple[str, ...]]:
    labels = {c.name: c.label for c in settings.contenders}
    raised: dict[str, list[str]] = {}
    for a, fa, b, fb in pairs:
        if a == me:
            raised.setdefault(fa, []).append(labels.get(b, b))
        elif b == me:
            raised.setdefault(fb, []).append(labels.get(a, a))
    return {fp: tuple(dict.fromkeys(names)) for fp, names in raised.items()}


def summarise(outcome: ContenderOutcome, *, files_reviewed: int = 0) -> RunSummary:
    u = outcome.usage
    return RunSummary(
        status="failed" if outcome.status == "failed" else "reviewed",
        model=outcome.model,
        input_tokens=u.input_tokens,
        cached_input_tokens=u.cached_input_tokens,
        output_tokens=u.output_tokens,
        reasoning_tokens=u.reasoning_tokens,
        cost_usd=outcome.cost_usd,
        latency_s=outcome.latency_s,
        error=outcome.error,
        files_reviewed=files_reviewed,
    )


def spots_of(outcome: ContenderOutcome) -> list[Spot]:
    spots = []
    for item in outcome.findings:
        f, p = item.finding, item.placement
        if p.line is not None:
            spots.append(Spot(fingerprint(f), p.path, p.start_line or p.line, p.line, f"{f.title} {f.body}"))
    return spots


def spot_tuples(outcome: ContenderOutcome) -> list[tuple[str, str, int, int, str]]:
    """The outcome's findings as the agreement detection reads them."""
    return [spot_tuple(s) for s in spots_of(outcome)]


def spot_tuple(spot: Spot) -> tuple[str, str, int, int, str]:
    return (spot.fingerprint, spot.path, spot.start, spot.end, spot.text)


def _finding_marker(outcome: ContenderOutcome, head_sha: str, finding: Finding) -> str:
    return Marker("finding", outcome.contender.name, outcome.run_id, head_sha, fingerprint(finding)).render()


def posted_comments(outcome: ContenderOutcome, head_sha: str) -> list[PostedComment]:
    return [
        PostedComment(
            fingerprint=fingerprint(item.finding),
            path=item.placement.path,
            line=item.placement.line,
            start_line=item.placement.start_line,
            side=item.placement.side,
            severity=item.finding.severity,
            category=item.finding.category,
            placement=item.placement.kind,
            suggestion=item.suggestion if item.inline else None,
            marker=_finding_marker(outcome, head_sha, item.finding) if item.inline else "",
        )
        for item in outcome.findings
    ]
