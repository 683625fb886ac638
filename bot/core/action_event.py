"""What a GitHub Actions event asks the arena to do, and the job summary it leaves. Pure: the event payload in,
a decision and Markdown out.

``pull_request`` and ``pull_request_target`` carry the same payload and are read by the App's own routing;
``issue_comment`` must be ``/arena review`` from someone with write access. A pull request from a fork is
flagged, because ``pull_request`` runs from forks get no secrets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.outcome import ArenaReport, ContenderOutcome
from bot.core.webhooks import REVIEW_ACTIONS, Command, Delivery, ReviewPull, route

EVENTS = ("pull_request", "pull_request_target", "issue_comment")


@dataclass(frozen=True, slots=True)
class ReviewTarget:
    owner: str
    repo: str
    number: int
    head_sha: str | None  # None for a command: the current head is fetched
    from_fork: bool
    comment_id: int | None = None  # the /arena review comment to acknowledge


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


@dataclass(frozen=True, slots=True)
class Posting:
    """What happened to one contender's review on GitHub."""

    contender: str
    review_id: int | None  # None when the review was already there
    comments: int  # inline comments posted
    moved_to_body: int  # comments GitHub refused, moved into the review body with the reason
    already_posted: bool = False


def target_of(event: str, payload: Mapping[str, Any], *, review_drafts: bool = False) -> ReviewTarget | Skip:
    """The pull request to review, or why there is none. A malformed payload raises ``WebhookError``."""
    if event not in EVENTS:
        return Skip(f"event {event!r} does not review; use pull_request, pull_request_target or issue_comment")
    action = payload.get("action")
    delivery = Delivery(
        "pull_request" if event == "pull_request_target" else event,
        "actions",
        action if isinstance(action, str) else None,
        dict(payload),
    )
    decision = route(delivery, review_actions=REVIEW_ACTIONS, review_drafts=review_drafts)
    if isinstance(decision, ReviewPull):
        fork = _head_repo(payload) not in ("", _base_repo(payload))
        return ReviewTarget(decision.owner, decision.repo, decision.number, decision.head_sha, fork)
    if isinstance(decision, Command) and decision.name == "review":
        return ReviewTarget(decision.owner, decision.repo, decision.number, None, False, decision.comment_id)
    reason = getattr(decision, "reason", None) or f"{event} {action or ''} asks for no review".strip()
    return Skip(str(reason))


def _head_repo(payload: Mapping[str, Any]) -> str:
    head = payload.get("pull_request", {}).get("head", {}).get("repo") or {}
    return str(head.get("full_name") or "") if isinstance(head, Mapping) else ""


def _base_repo(payload: Mapping[str, Any]) -> str:
    repository = payload.get("repository") or {}
    return str(repository.get("full_name") or "") if isinstance(repository, Mapping) else ""


def fork_notice(target: ReviewTarget, missing: Sequence[str]) -> str:
    return (
        f"### Review Arena: nothing posted on #{target.number}\n\n"
        "This pull request comes from a fork, and GitHub gives workflows triggered by forks no secrets, so the "
        f"model keys are missing ({', '.join(missing)}). No contender ran and nothing was posted. To review fork "
        "pull requests, use the `pull_request_target` example workflow (it never checks out the fork's code), "
        "or ask a maintainer to comment `/arena review`.\n"
    )


def review_summary(
    report: ArenaReport, postings: Sequence[Posting], *, order: Sequence[str], seed: int, url: str = ""
) -> str:
    """The job summary: one section per contender, then the files not reviewed."""
    parts = [f"## Review Arena on {report.source}", f"Posting order {' → '.join(order)} (seed {seed})."]
    posted = {p.contender: p for p in postings}
    for outcome in report.outcomes:
        parts.append(_contender_section(outcome, posted.get(outcome.contender.name), url))
    if report.skipped:
        rows = "\n".join(f"| `{s.path}` | {s.reason} |" for s in report.skipped)
        parts.append(f"### Files not reviewed ({len(report.skipped)})\n\n| file | why |\n|---|---|\n{rows}")
    parts.append(f"{len(report.reviewed)} file(s) reviewed; prompt {report.prompt_version}.")
    return "\n\n".join(parts) + "\n"


def _contender_section(outcome: ContenderOutcome, posting: Posting | None, url: str) -> str:
    u = outcome.usage
    inline = sum(1 for f in outcome.findings if f.inline)
    rows = [
        ("status", outcome.status),
        ("model", f"`{outcome.model}`"),
        ("findings", f"{len(outcome.findings)} ({inline} inline, {len(outcome.findings) - inline} in the review body)"),
        ("tokens", f"{u.input_tokens:,} in · {u.cached_input_tokens:,} cached · {u.output_tokens:,} out · "
                   f"{u.reasoning_tokens:,} reasoning"),
        ("cost", f"${outcome.cost_usd:.4f}"),
        ("latency", f"{outcome.latency_s:.1f} s"),
        ("posted", _posted(posting, url)),
    ]  # fmt: skip
    table = "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    notes = [f"- ⚠️ {p}" for p in outcome.problems] + [f"- ❌ part {f.chunk + 1}: {f.message}" for f in outcome.failures]
    return f"### {outcome.contender.label}\n\n{table}" + ("\n\n" + "\n".join(notes) if notes else "")


def _posted(posting: Posting | None, url: str) -> str:
    if posting is None:
        return "not posted"
    if posting.already_posted:
        return "already on the pull request (not posted twice)"
    where = f"[review {posting.review_id}]({url}#pullrequestreview-{posting.review_id})" if url else "a review"
    moved = f", {posting.moved_to_body} moved into the body" if posting.moved_to_body else ""
    return f"{where} with {posting.comments} inline comment(s){moved}"
