"""The SQL schema: installations, repositories, pull requests, runs, posted comments, agreements, and the
acceptance data: signals, verdicts and harvest cursors.

Unique keys make every write idempotent: a redelivered event or a retried task finds its row instead of adding
one. Migrations in ``bot/migrations`` create exactly these tables (a test compares them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Installation(Base):
    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account: Mapped[str] = mapped_column(String(100))
    account_type: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Repository(Base):
    __tablename__ = "repositories"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_repositories_owner_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    installation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    active: Mapped[bool] = mapped_column(default=True)


class PullRequest(Base):
    __tablename__ = "pull_requests"
    __table_args__ = (UniqueConstraint("repository_id", "number", name="uq_pull_requests_repo_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger, doc="Seeds the posting order, so position bias can be measured.")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(10), default="open", doc="open | closed | merged")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)


class Run(Base):
    """One contender reviewing one pull request at one head commit."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("pull_request_id", "head_sha", "contender", name="uq_runs_pull_head_contender"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64), unique=True)
    pull_request_id: Mapped[int] = mapped_column(ForeignKey("pull_requests.id"), index=True)
    head_sha: Mapped[str] = mapped_column(String(64))
    contender: Mapped[str] = mapped_column(String(40), index=True)
    requested_model: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    prompt_version: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, doc="0 posts first.")
    seed: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_s: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    findings_json: Mapped[str] = mapped_column(Text, default="[]")
    review_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    files_reviewed: Mapped[int] = mapped_column(Integer, default=0, doc="Files the contender was shown.")
    # the run's line comments by verdict, kept by every reclassification, so statistics need not scan comments
    n_accepted: Mapped[int] = mapped_column(Integer, default=0)
    n_addressed: Mapped[int] = mapped_column(Integer, default=0)
    n_rejected: Mapped[int] = mapped_column(Integer, default=0)
    n_ignored: Mapped[int] = mapped_column(Integer, default=0)
    n_pending: Mapped[int] = mapped_column(Integer, default=0)
    n_shared_accepted: Mapped[int] = mapped_column(Integer, default=0, doc="accepted comments another contender shared")
    n_shared_decided: Mapped[int] = mapped_column(Integer, default=0, doc="decided comments another contender shared")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Comment(Base):
    """A finding as posted: inline comments have a GitHub id; body notes do not."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("run_pk", "fingerprint", name="uq_comments_run_fingerprint"),
        # the statistics read comments run by run, and files pull request by pull request, from these alone
        Index("ix_comments_run_stats", "run_pk", "placement", "verdict", "agreement_id"),
        Index("ix_comments_pull_path", "pull_request_id", "path", "contender", "placement"),
        Index("ix_comments_agreement", "agreement_id", "contender", "verdict", "pull_request_id", "placement"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    github_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    contender: Mapped[str] = mapped_column(String(40), index=True)
    fingerprint: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    side: Mapped[str] = mapped_column(String(5))
    severity: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(40))
    placement: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    marker: Mapped[str] = mapped_column(Text, default="")
    suggestion: Mapped[str | None] = mapped_column(Text, nullable=True, doc="The committable suggestion, if any.")
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), nullable=True)
    language: Mapped[str] = mapped_column(String(24), default="Other", doc="bot.core.languages.language_of(path)")
    verdict: Mapped[str] = mapped_column(String(10), default="pending", doc="A copy of verdicts.verdict for SQL")
    pull_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("pull_requests.id"), nullable=True, doc="A copy of the run's, for the per-file statistics"
    )


class Agreement(Base):
    """Two contenders flagging the same spot on the same head."""

    __tablename__ = "agreements"
    __table_args__ = (
        UniqueConstraint(
            "pull_request_id",
            "head_sha",
            "contender_a",
            "fingerprint_a",
            "contender_b",
            "fingerprint_b",
            name="uq_agreements_pair",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pull_request_id: Mapped[int] = mapped_column(ForeignKey("pull_requests.id"), index=True)
    head_sha: Mapped[str] = mapped_column(String(64))
    contender_a: Mapped[str] = mapped_column(String(40))
    fingerprint_a: Mapped[str] = mapped_column(String(16))
    contender_b: Mapped[str] = mapped_column(String(40))
    fingerprint_b: Mapped[str] = mapped_column(String(16))


class PullSnapshot(Base):
    """What one task fetched from GitHub for a head (files, config, title), shared with the other contenders'
    tasks so a pull request costs the same GitHub requests however many contenders review it."""

    __tablename__ = "pull_snapshots"
    __table_args__ = (UniqueConstraint("pull_request_id", "head_sha", name="uq_pull_snapshots_pull_head"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pull_request_id: Mapped[int] = mapped_column(ForeignKey("pull_requests.id"), index=True)
    head_sha: Mapped[str] = mapped_column(String(64))
    data_json: Mapped[str | None] = mapped_column(Text, nullable=True, doc="NULL while the fetching task works.")
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviews_listed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True),
        nullable=True,
        doc="When a task about to post listed the head's reviews on GitHub and recorded every contender's review "
        "it found there; a run first claimed after that need not list them again.",
    )


class Signal(Base):
    """One observed action on one posted comment (see ``bot.core.acceptance``). The natural key (comment, kind,
    source id) makes a redelivered event, a repeated poll and a harvest of the same action one row."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("comment_id", "kind", "source_id", name="uq_signals_comment_kind_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(100))
    actor_association: Mapped[str] = mapped_column(String(24))
    actor_is_bot: Mapped[bool] = mapped_column(default=False)
    value: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16), doc="webhook | poll | push | harvest")
    source_id: Mapped[str] = mapped_column(String(100), doc="GitHub's id of the action: reaction, comment, thread")
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Verdict(Base):
    """What the signals mean for one comment, recomputed whenever they change."""

    __tablename__ = "verdicts"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(10), index=True)
    rule: Mapped[str] = mapped_column(String(24))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    definition: Mapped[str] = mapped_column(String(24))


class HarvestCursor(Base):
    """How far ``review-arena harvest`` got through a repository, so an interrupted harvest resumes."""

    __tablename__ = "harvest_cursors"

    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id"), primary_key=True)
    done_through: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    pending_json: Mapped[str] = mapped_column(Text, default="[]", doc="Pull numbers listed but not yet harvested.")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
