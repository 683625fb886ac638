"""Builds each contender's review: the summary body and the ``POST /pulls/{n}/reviews`` payload. Pure.

The summary carries what did not fit on a line (file-level findings with the reason), the files left out,
problems with the reply, tokens, cost, latency and the exact model string. The body is kept under GitHub's
65,536-character limit by shortening the lists, saying how many entries were cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.comments import (
    NO_HEAD,
    SEVERITY_BADGES,
    CommentContext,
    Marker,
    escape_model_text,
    fingerprint,
    footer,
    render_finding,
    review_comment,
)
from bot.core.outcome import ArenaReport, ContenderOutcome
from bot.core.run_data import render_run_data, run_data_of

GITHUB_BODY_LIMIT = 65_536
_BUDGET = GITHUB_BODY_LIMIT - 4_000


def context_for(outcome: ContenderOutcome, report: ArenaReport) -> CommentContext:
    c = outcome.contender
    return CommentContext(
        label=c.label,
        contender=c.name,
        run_id=outcome.run_id,
        head_sha=report.head_sha or NO_HEAD,
        model=outcome.model,
        prompt_version=report.prompt_version,
    )


def review_payload(
    outcome: ContenderOutcome, report: ArenaReport, *, also_raised: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, Any]:
    """One COMMENT review for one contender. Never APPROVE or REQUEST_CHANGES."""
    ctx = context_for(outcome, report)
    raised = also_raised or {}
    comments = []
    for item in outcome.findings:
        if item.inline:
            body = render_finding(item, ctx, also_raised_by=raised.get(fingerprint(item.finding), ()))
            comments.append(review_comment(item, body))
    payload: dict[str, Any] = {"event": "COMMENT", "body": summary_body(outcome, report), "comments": comments}
    if report.head_sha:
        payload["commit_id"] = report.head_sha
    return payload


def summary_body(outcome: ContenderOutcome, report: ArenaReport) -> str:
    ctx = context_for(outcome, report)
    sections = [_headline(outcome), _numbers(outcome)]
    sections += _list_section("Findings not on a diff line", _body_findings(outcome))
    sections += _list_section("Files not reviewed", [f"`{s.path}`: {s.reason}" for s in report.skipped])
    sections += _list_section(
        "Problems",
        [
            *(f"⚠️ {escape_model_text(p)}" for p in outcome.problems),
            *(f"❌ part {f.chunk + 1}: {f.message}" for f in outcome.failures),
        ],
    )
    sections.append(footer(ctx))
    body = _fit("\n\n".join(sections))
    data = render_run_data(
        run_data_of(outcome, prompt_version=report.prompt_version, files_reviewed=len(report.reviewed))
    )
    return body + "\n" + data + "\n" + Marker("summary", ctx.contender, ctx.run_id, ctx.head_sha, "-").render()


def _headline(outcome: ContenderOutcome) -> str:
    label = escape_model_text(outcome.contender.label)
    inline = sum(1 for f in outcome.findings if f.inline)
    total = len(outcome.findings)
    if outcome.status == "failed":
        return f"### {label} could not review this change\n\n{escape_model_text(outcome.error or 'failed')}"
    counts = _severity_counts(outcome)
    state = " (some parts failed)" if outcome.status == "partial" else ""
    return (
        f"### {label}: {total} finding{'s' if total != 1 else ''}{state}\n\n{inline} inline · "
        f"{total - inline} below · {counts}"
    )


def _severity_counts(outcome: ContenderOutcome) -> str:
    counts = {s: 0 for s in SEVERITY_BADGES}
    for f in outcome.findings:
        counts[f.finding.severity] += 1
    return " · ".join(f"{SEVERITY_BADGES[s]}: {n}" for s, n in counts.items() if n) or "no issues found"


def _numbers(outcome: ContenderOutcome) -> str:
    u = outcome.usage
    return (
        "| model | input tokens | cached | output | reasoning | cost | latency |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        f"| `{outcome.model.replace('`', '')}` | {u.input_tokens:,} | {u.cached_input_tokens:,} | "
        f"{u.output_tokens:,} | {u.reasoning_tokens:,} | ${outcome.cost_usd:.4f} | {outcome.latency_s:.1f} s |"
    )


def _body_findings(outcome: ContenderOutcome) -> list[str]:
    lines = []
    for item in outcome.findings:
        if item.inline:
            continue
        f = item.finding
        title = f" **{escape_model_text(f.title)}**" if f.title else ""
        lines.append(
            f"`{escape_model_text(item.placement.path)}` ({escape_model_text(item.placement.reason or '')})"
            f" · {SEVERITY_BADGES[f.severity]} · {escape_model_text(f.category)}:{title} "
            f"{escape_model_text(f.body)}"
        )
    return lines


def _list_section(title: str, entries: list[str]) -> list[str]:
    if not entries:
        return []
    return [
        f"<details{' open' if title.startswith('Findings') else ''}><summary>{title} ({len(entries)})"
        "</summary>\n\n" + "\n".join(f"- {e}" for e in entries) + "\n\n</details>"
    ]


def _fit(body: str) -> str:
    if len(body) <= _BUDGET:
        return body
    cut = body[:_BUDGET]
    dropped = body[_BUDGET:].count("\n- ") + 1
    return cut + f"\n\n… {dropped} more entries cut to fit GitHub's body limit; the JSON report has them all."
