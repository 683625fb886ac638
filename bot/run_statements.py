"""The run store's SQL, built once at import: the statements a review's task runs on the hot path of a worker
(statements made once are compiled once and keep their cache key), and the recount of each run's verdicts
that the statistics read. ``bot.storage`` and ``bot.acceptance_store`` run them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from bot.storage_schema import Agreement, Comment, PullRequest, PullSnapshot, Repository, Run

# these sessions load no object the update could touch: skip the ORM's evaluation of the WHERE clause against them
NO_SYNC = {"synchronize_session": False}
PULL_ID = (
    select(PullRequest.id)
    .join(Repository, PullRequest.repository_id == Repository.id)
    .where(
        Repository.owner == bindparam("owner"),
        Repository.name == bindparam("repo"),
        PullRequest.number == bindparam("number"),
    )
)
RUNS = (
    select(Run.run_id, Run.contender, Run.head_sha, Run.status, Run.position, Run.seed)
    .add_columns(Run.findings_json, Run.review_id)
    .where(Run.pull_request_id == bindparam("pull"), Run.head_sha == bindparam("head"))
    .order_by(Run.position)
)
SNAPSHOT = select(PullSnapshot.data_json).where(
    PullSnapshot.pull_request_id == bindparam("pull"), PullSnapshot.head_sha == bindparam("head")
)
PULL_ROW = (
    select(PullRequest.id, PullRequest.seed, PullRequest.author)
    .join(Repository, PullRequest.repository_id == Repository.id)
    .where(
        Repository.owner == bindparam("owner"),
        Repository.name == bindparam("repo"),
        PullRequest.number == bindparam("number"),
    )
)
REPOSITORY_ID = select(Repository.id).where(
    Repository.owner == bindparam("owner"), Repository.name == bindparam("repo")
)
SET_AUTHOR = update(PullRequest).where(PullRequest.id == bindparam("pull")).values(author=bindparam("author"))
RUN = select(Run).where(Run.run_id == bindparam("run_id"))
RUN_OF_HEAD = (
    select(Run.run_id, Run.contender, Run.head_sha, Run.status, Run.position, Run.seed)
    .add_columns(Run.findings_json, Run.review_id)
    .where(
        Run.pull_request_id == bindparam("pull"),
        Run.head_sha == bindparam("head"),
        Run.contender == bindparam("contender"),
    )
)
# a head whose files are saved, or whose fetch was claimed recently enough not to be taken over
HELD = select(PullSnapshot.id).where(
    PullSnapshot.pull_request_id == bindparam("pull"),
    PullSnapshot.head_sha == bindparam("head"),
    or_(PullSnapshot.data_json.is_not(None), PullSnapshot.claimed_at >= bindparam("fresh")),
)
# a claim to fetch that was never filled and is old enough to be taken over
TAKE_OVER = (
    update(PullSnapshot)
    .where(PullSnapshot.pull_request_id == bindparam("pull"), PullSnapshot.head_sha == bindparam("head"))
    .where(PullSnapshot.data_json.is_(None), PullSnapshot.claimed_at < bindparam("fresh"))
    .values(claimed_at=bindparam("now"))
)
SAVE_SNAPSHOT = (
    update(PullSnapshot)
    .where(PullSnapshot.pull_request_id == bindparam("pull"), PullSnapshot.head_sha == bindparam("head"))
    .values(data_json=bindparam("data"))
)
SET_STATUS = (
    update(Run)
    .where(Run.run_id == bindparam("rid"), Run.status.not_in(("posting", "posted")))
    .values(status=bindparam("to"), updated_at=bindparam("now"))
)
RUN_EXISTS = select(Run.id).where(Run.run_id == bindparam("rid"))
NOT_CLAIMED = Run.status.not_in(("posting", "posted"))
# the first claim of a run; a retried execution cannot make a run that is posting or posted claimable again
CLAIM_FIRST = (
    update(Run).where(Run.run_id == bindparam("rid"), NOT_CLAIMED).values(status="posting", updated_at=bindparam("now"))
)
CLAIM_STALE = (
    update(Run)
    .where(Run.run_id == bindparam("rid"), Run.status == "posting", Run.updated_at < bindparam("stale"))
    .values(status="posting", updated_at=bindparam("now"))
)
LISTED = (
    select(PullSnapshot.reviews_listed_at)
    .join(Run, and_(Run.pull_request_id == PullSnapshot.pull_request_id, Run.head_sha == PullSnapshot.head_sha))
    .where(Run.run_id == bindparam("rid"))
)
MARK_LISTED = (
    update(PullSnapshot)
    .where(PullSnapshot.pull_request_id == bindparam("pull"), PullSnapshot.head_sha == bindparam("head"))
    .values(reviews_listed_at=bindparam("now"))
)
# a contender's review found on GitHub by another's listing (the store had lost it)
FOUND_POSTED = (
    update(Run)
    .where(
        Run.pull_request_id == bindparam("pull"),
        Run.head_sha == bindparam("head"),
        Run.contender == bindparam("who"),
        Run.status != "posted",
    )
    .values(status="posted", review_id=bindparam("review"), updated_at=bindparam("now"))
)
MARK_POSTED = (
    update(Run)
    .where(Run.run_id == bindparam("rid"))
    .values(status="posted", review_id=bindparam("review"), updated_at=bindparam("now"))
    .returning(Run.id, Run.contender, Run.pull_request_id, Run.head_sha)
)
# reactions are polled from 15 minutes after the first review on
FIRST_POLL = (
    update(PullRequest)
    .where(PullRequest.id == bindparam("pull"), PullRequest.next_poll_at.is_(None), PullRequest.polled_at.is_(None))
    .values(next_poll_at=bindparam("at"))
)
AGREEMENTS = (
    select(Agreement.id, Agreement.contender_a, Agreement.fingerprint_a)
    .add_columns(Agreement.contender_b, Agreement.fingerprint_b)
    .where(Agreement.pull_request_id == bindparam("pull"), Agreement.head_sha == bindparam("head"))
)


def recount_runs(s: Session, run_ids: Sequence[int]) -> None:
    """Store each run's line comments by verdict (and shared ones), which the statistics read instead of comments."""
    s.execute(RECOUNT, {"run_ids": list(run_ids)}, execution_options=NO_SYNC)


def _recount() -> Any:
    line = (Comment.run_pk == Run.id, Comment.placement != "body")
    decided = Comment.verdict.in_(("accepted", "addressed", "rejected", "ignored"))
    shared = Comment.agreement_id.is_not(None)

    def count(*where: Any) -> Any:
        return select(func.count()).select_from(Comment).where(*line, *where).scalar_subquery()

    values = {
        f"n_{v}": count(Comment.verdict == v) for v in ("accepted", "addressed", "rejected", "ignored", "pending")
    }
    values["n_shared_accepted"] = count(shared, Comment.verdict == "accepted")
    values["n_shared_decided"] = count(shared, decided)
    return update(Run).where(Run.id.in_(bindparam("run_ids", expanding=True))).values(**values)


RECOUNT = _recount()
