"""Seeding and reading for the acceptance tracking tests: a reviewed pull request in the SQL store (a run opened
and posted through ``bot.storage.SqlStore``, as the review task does) and plain views of the stored signals,
verdicts and pull request rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, text

from bot.acceptance_tracking import PullKey
from bot.core.comments import Marker
from bot.runs import PostedComment, RunKey
from bot.storage import SqlStore
from bot.storage_schema import Comment, PullRequest, Signal, Verdict

OWNER, REPO, NUMBER = "octo", "hello", 7
PULL = PullKey(OWNER, REPO, NUMBER)
HEAD = "a" * 40
AUTHOR = "contributor"
RUN_ID = "1" * 32
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def marker(fingerprint: str, *, run_id: str = RUN_ID, contender: str = "deepseek", head: str = HEAD) -> str:
    return Marker("finding", contender, run_id, head, fingerprint).render()


def finding(
    fingerprint: str,
    *,
    line: int | None = 4,
    start_line: int | None = None,
    path: str = "app.py",
    side: str = "RIGHT",
    placement: str = "inline",
    suggestion: str | None = None,
    run_id: str = RUN_ID,
    contender: str = "deepseek",
) -> PostedComment:
    """A posted finding as the review task records it, with the marker its GitHub body ends with."""
    return PostedComment(
        fingerprint,
        path,
        line,
        start_line,
        side,
        "high",
        "bug",
        placement,
        suggestion=suggestion,
        marker=marker(fingerprint, run_id=run_id, contender=contender),
    )


def post_run(
    store: SqlStore,
    comments: list[PostedComment],
    *,
    pull: PullKey = PULL,
    run_id: str = RUN_ID,
    contender: str = "deepseek",
    head: str = HEAD,
    installation_id: int | None = 5,
) -> None:
    """Open ``contender``'s run on ``pull`` at ``head`` and mark it posted with ``comments``."""
    key = RunKey(pull.owner, pull.repo, pull.number, head, contender)
    store.open_run(
        key,
        run_id=run_id,
        requested_model="m",
        prompt_version="review-v1",
        contenders=["deepseek", "openai"],
        seed=3,
        installation_id=installation_id,
        author=AUTHOR,
    )
    store.mark_posted(run_id, review_id=1, comments=comments)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every stored time is UTC."""
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


def signals(engine: Engine) -> list[tuple[str, str, str, str, str, bool]]:
    """(fingerprint, kind, actor, association, value, retracted) for every stored signal, sorted."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Comment.fingerprint,
                Signal.kind,
                Signal.actor,
                Signal.actor_association,
                Signal.value,
                Signal.retracted_at.is_not(None),
            ).join(Comment, Signal.comment_id == Comment.id)
        )
        return sorted((fp, kind, actor, assoc, value, bool(gone)) for fp, kind, actor, assoc, value, gone in rows)


def verdicts(engine: Engine) -> dict[str, tuple[str, str]]:
    """Fingerprint → (verdict, rule) for every stored verdict."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Comment.fingerprint, Verdict.verdict, Verdict.rule).join(Comment, Verdict.comment_id == Comment.id)
        )
        return {fp: (verdict, rule) for fp, verdict, rule in rows}


def comment_ids(engine: Engine) -> dict[str, int]:
    """Fingerprint → stored primary key."""
    with engine.connect() as conn:
        return {fp: pk for fp, pk in conn.execute(select(Comment.fingerprint, Comment.id))}


def pull_row(engine: Engine, number: int = NUMBER) -> dict[str, Any]:
    """The pull request's row, its times made aware."""
    with engine.connect() as conn:
        row = conn.execute(select(PullRequest.__table__).where(PullRequest.number == number)).mappings().one()
    return {k: utc(v) if isinstance(v, datetime) else v for k, v in row.items()}


class Clock:
    """A clock the test moves by hand: pass it as ``now=``."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def insert_revision_0002_rows(engine: Engine) -> None:
    """One posted inline comment (github id 501) on a pull request, as a database at revision 0002 held it."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO repositories (id, owner, name, installation_id, active)"
                " VALUES (1, 'octo', 'hello', 5, :on)"
            ),
            {"on": True},
        )
        conn.execute(
            text("INSERT INTO pull_requests (id, repository_id, number, seed, created_at) VALUES (1, 1, 7, 3, :t)"),
            {"t": T0},
        )
        conn.execute(
            text(
                "INSERT INTO runs (id, run_id, pull_request_id, head_sha, contender, requested_model, prompt_version,"
                " position, seed, status, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,"
                " cost_usd, latency_s, findings_json, created_at, updated_at) VALUES (1, :run, 1, :head, 'deepseek',"
                " 'm', 'review-v1', 0, 3, 'posted', 0, 0, 0, 0, 0, 0, '[]', :t, :t)"
            ),
            {"run": RUN_ID, "head": HEAD, "t": T0},
        )
        conn.execute(
            text(
                "INSERT INTO comments (id, run_pk, github_id, contender, fingerprint, path, line, side, severity,"
                " category, placement, created_at) VALUES (1, 1, 501, 'deepseek', :fp, 'app.py', 4, 'RIGHT', 'high',"
                " 'bug', 'inline', :t)"
            ),
            {"fp": "a" * 16, "t": T0},
        )
