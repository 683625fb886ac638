"""The stable JSON shape of an arena run, shared by the CLI, the App and the Action. Pure.

``schema`` names the version of this shape: fields are only ever added within a version.
"""

from __future__ import annotations

from typing import Any

from bot.core.anchoring import AnchoredFinding
from bot.core.comments import Marker, fingerprint, render_finding
from bot.core.outcome import ArenaReport, ContenderOutcome
from bot.core.summary import context_for, review_payload

SCHEMA = "review-arena/review@1"


def report_json(report: ArenaReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "source": report.source,
        "head_sha": report.head_sha,
        "prompt_version": report.prompt_version,
        "files": {
            "reviewed": list(report.reviewed),
            "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        },
        "notes": list(report.notes),
        "contenders": [contender_json(o, report) for o in report.outcomes],
    }


def contender_json(outcome: ContenderOutcome, report: ArenaReport) -> dict[str, Any]:
    c = outcome.contender
    return {
        "name": c.name,
        "label": c.label,
        "dialect": c.dialect,
        "requested_model": c.model,
        "model": outcome.model,
        "run_id": outcome.run_id,
        "status": outcome.status,
        "error": outcome.error,
        "failures": [{"chunk": f.chunk, "kind": f.kind, "message": f.message} for f in outcome.failures],
        "problems": list(outcome.problems),
        "usage": outcome.usage.as_dict(),
        "cost_usd": outcome.cost_usd,
        "latency_s": round(outcome.latency_s, 3),
        "chunks": outcome.chunks,
        "findings": [finding_json(item, outcome, report) for item in outcome.findings],
        "review": review_payload(outcome, report),
    }


def finding_json(item: AnchoredFinding, outcome: ContenderOutcome, report: ArenaReport) -> dict[str, Any]:
    f, p = item.finding, item.placement
    ctx = context_for(outcome, report)
    marker = Marker("finding", ctx.contender, ctx.run_id, ctx.head_sha, fingerprint(f))
    return {
        "label": outcome.contender.label,
        "path": p.path,
        "line": p.line,
        "start_line": p.start_line,
        "side": p.side,
        "placement": p.kind,
        "moved_from": p.moved_from,
        "placement_reason": p.reason,
        "requested": {"line": f.line, "start_line": f.start_line, "side": f.side},
        "severity": f.severity,
        "category": f.category,
        "title": f.title,
        "body": f.body,
        "suggestion": item.suggestion,
        "suggestion_dropped": item.suggestion_note,
        "fingerprint": marker.fingerprint,
        "marker": {
            "contender": marker.contender,
            "run_id": marker.run_id,
            "head_sha": marker.head_sha,
            "fingerprint": marker.fingerprint,
            "text": marker.render(),
        },
        "comment_body": render_finding(item, ctx) if item.inline else None,
        "model": outcome.model,
        "prompt_version": report.prompt_version,
        "usage": outcome.usage.as_dict(),
        "cost_usd": outcome.cost_usd,
        "latency_s": round(outcome.latency_s, 3),
    }
