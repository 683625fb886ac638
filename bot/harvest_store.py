"""SQL storage for ``review-arena harvest``: the runs and comments a harvest finds, the repository's harvest
cursor, and the counts its report prints. An adapter over the tables of ``bot.storage_schema``.

Runs and comments are inserted with ``ON CONFLICT DO NOTHING`` on their unique keys, so a second harvest, or a
harvest after the App recorded the same reviews, finds the rows instead of adding new ones.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.acceptance_store import SqlAcceptanceStore, aware
from bot.acceptance_tracking import PullKey
from bot.core.languages import language_of
from bot.database import insert_ignoring_duplicates
from bot.harvest import Cursor
from bot.harvested import HarvestedComment, HarvestedRun
from bot.storage_schema import Comment, HarvestCursor, PullRequest, Repository, Run, Signal, Verdict

_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


class SqlHarvestStore(SqlAcceptanceStore):
    """``bot.harvest.HarvestStore`` over SQLAlchemy."""

    def ensure_run(self, pull: PullKey, run: HarvestedRun) -> int | None:
        with self._session() as s:
            pull_id = _ensure_pull(s, pull, created_at=run.submitted_at)
            existing = s.scalar(select(Run).where(Run.run_id == run.run_id))
            if existing is not None:
                if existing.review_id is None:  # posted, but the posting was never recorded
                    existing.review_id, existing.status = run.review_id, "posted"
                return existing.id
            s.execute(insert_ignoring_duplicates(s, Run, [_run_row(pull_id, run)]))
            return s.scalar(select(Run.id).where(Run.run_id == run.run_id))

    def ensure_comment(self, run_pk: int, *, contender: str, comment: HarvestedComment) -> None:
        row: dict[str, object] = {
            "run_pk": run_pk,
            "github_id": comment.github_id,
            "contender": contender,
            "fingerprint": comment.fingerprint,
            "path": comment.path,
            "line": comment.line,
            "start_line": comment.start_line,
            "side": comment.side,
            "severity": comment.severity,
            "category": comment.category,
            "placement": "inline",
            "created_at": comment.created_at,
            "marker": comment.marker,
            "suggestion": comment.suggestion,
            "language": language_of(comment.path),
        }
        with self._session() as s:
            row["pull_request_id"] = s.scalar(select(Run.pull_request_id).where(Run.id == run_pk))
            # one row, not a list: the context-sensitive column defaults cannot read a multi-row VALUES
            dialect = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            s.execute(dialect(Comment).values(**row).on_conflict_do_nothing())

    def harvest_cursor(self, owner: str, repo: str) -> Cursor:
        with self._session() as s:
            row = s.scalar(
                select(HarvestCursor)
                .join(Repository, HarvestCursor.repository_id == Repository.id)
                .where(Repository.owner == owner, Repository.name == repo)
            )
            if row is None:
                return Cursor()
            return Cursor(aware(row.done_through), tuple(int(n) for n in json.loads(row.pending_json or "[]")))

    def save_harvest_cursor(self, owner: str, repo: str, cursor: Cursor) -> None:
        with self._session() as s:
            repository_id = _ensure_repository(s, owner, repo)
            row = s.get(HarvestCursor, repository_id)
            if row is None:
                row = HarvestCursor(repository_id=repository_id)
                s.add(row)
            row.done_through, row.pending_json = cursor.done_through, json.dumps(list(cursor.pending))
            row.updated_at = self._now()

    def signal_count(self, pull: PullKey) -> int:
        with self._session() as s:
            return int(s.scalar(_of_pull(select(func.count(Signal.id)).join(Comment), pull)) or 0)

    def verdict_counts(self, pull: PullKey) -> dict[str, dict[str, int]]:
        query = select(Comment.contender, Verdict.verdict, func.count()).join(Verdict)
        with self._session() as s:
            rows = s.execute(_of_pull(query, pull).group_by(Comment.contender, Verdict.verdict))
            counts: dict[str, dict[str, int]] = {}
            for contender, verdict, n in rows:
                counts.setdefault(contender, {})[verdict] = int(n)
            return counts


def _of_pull(query: _Query, pull: PullKey) -> _Query:
    """``query`` (over comments) narrowed to one pull request's tracked comments."""
    return (
        query.join(Run, Comment.run_pk == Run.id)
        .join(PullRequest, Run.pull_request_id == PullRequest.id)
        .join(Repository, PullRequest.repository_id == Repository.id)
        .where(Repository.owner == pull.owner, Repository.name == pull.repo, PullRequest.number == pull.number)
        .where(Comment.placement != "body")
    )


def _ensure_repository(s: Session, owner: str, repo: str) -> int:
    row = {"owner": owner, "name": repo, "installation_id": None, "active": True}
    s.execute(insert_ignoring_duplicates(s, Repository, [row]))
    found = s.scalar(select(Repository.id).where(Repository.owner == owner, Repository.name == repo))
    assert found is not None
    return found


def _ensure_pull(s: Session, pull: PullKey, *, created_at: datetime) -> int:
    """The pull request's row; a new one is dated by the first review found and has seed 0 (unknown)."""
    repository_id = _ensure_repository(s, pull.owner, pull.repo)
    row = {"repository_id": repository_id, "number": pull.number, "seed": 0, "created_at": created_at, "state": "open"}
    s.execute(insert_ignoring_duplicates(s, PullRequest, [row]))
    found = s.scalar(
        select(PullRequest.id).where(PullRequest.repository_id == repository_id, PullRequest.number == pull.number)
    )
    assert found is not None
    return found


def _run_row(pull_id: int, run: HarvestedRun) -> dict[str, object]:
    data = run.data
    row: dict[str, object] = {
        "run_id": run.run_id,
        "pull_request_id": pull_id,
        "head_sha": run.head_sha,
        "contender": run.contender,
        "requested_model": data.requested_model[:200] if data else "",
        "model": data.model[:200] if data else None,
        "prompt_version": data.prompt_version[:40] if data else "",
        "position": run.position,
        "seed": 0,
        "status": "posted",
        "review_id": run.review_id,
        "findings_json": "[]",
        "created_at": run.submitted_at,
        "updated_at": run.submitted_at,
    }
    if data is not None:
        row.update(
            input_tokens=data.input_tokens,
            cached_input_tokens=data.cached_input_tokens,
            output_tokens=data.output_tokens,
            reasoning_tokens=data.reasoning_tokens,
            cost_usd=data.cost_usd,
            latency_s=data.latency_s,
        )
    return row
