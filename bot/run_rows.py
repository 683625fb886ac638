"""The run store's rows: the dicts ``bot.storage`` inserts (agreements, comments) and the records it reads back.
Plain functions over SQLAlchemy rows and connections; the store decides when they run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot import run_statements as sql
from bot.core.languages import language_of
from bot.runs import PostedComment, RunKey, RunRecord, Spot


def agreements_of(c: Connection, pull_id: int, head_sha: str, contender: str) -> dict[str, int]:
    """The run's fingerprints that another contender also raised, each with one agreement row's id."""
    found: dict[str, int] = {}
    for a in c.execute(sql.AGREEMENTS, {"pull": pull_id, "head": head_sha}):
        for who, fp in ((a.contender_a, a.fingerprint_a), (a.contender_b, a.fingerprint_b)):
            if who == contender:
                found.setdefault(fp, a.id)
    return found


def pull_where(key: RunKey) -> dict[str, Any]:
    return {"owner": key.owner, "repo": key.repo, "number": key.number}


def agreement_rows(pull_id: int, head_sha: str, pairs: Sequence[tuple[str, str, str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "pull_request_id": pull_id,
            "head_sha": head_sha,
            "contender_a": a,
            "fingerprint_a": fa,
            "contender_b": b,
            "fingerprint_b": fb,
        }
        for a, fa, b, fb in dict.fromkeys(pairs)
    ]


def comment_row(comment: PostedComment, run: Any, agreement_id: int | None, now: datetime) -> dict[str, Any]:
    return {
        "run_pk": run.id,
        "contender": run.contender,
        "fingerprint": comment.fingerprint,
        "path": comment.path,
        "line": comment.line,
        "start_line": comment.start_line,
        "side": comment.side,
        "severity": comment.severity,
        "category": comment.category,
        "placement": comment.placement,
        "created_at": now,
        "marker": comment.marker,
        "suggestion": comment.suggestion,
        "agreement_id": agreement_id,
        "pull_request_id": run.pull_request_id,
        "language": language_of(comment.path),
        "verdict": "pending",
    }


def require_run(c: Connection, result: Any, run_id: str) -> None:
    """A guarded update that changed nothing is fine for a run that exists; a missing run is an error."""
    if result.rowcount == 0 and c.scalar(sql.RUN_EXISTS, {"rid": run_id}) is None:
        raise KeyError(f"no run {run_id}")


def spots_from(findings_json: str | None) -> tuple[Spot, ...]:
    return tuple(Spot.from_dict(d) for d in json.loads(findings_json or "[]"))


def record_of(run: Any) -> RunRecord:
    spots = spots_from(run.findings_json)
    return RunRecord(
        run_id=run.run_id,
        contender=run.contender,
        head_sha=run.head_sha,
        status=run.status,
        position=run.position,
        seed=run.seed,
        spots=spots,
        review_id=run.review_id,
    )
