"""SQL storage for acceptance tracking: signals, verdicts, pull request state and the polling schedule.

An adapter over the tables of ``bot.storage_schema`` (the same engine as ``bot.storage.SqlStore``). Signals
are inserted with ``ON CONFLICT DO NOTHING`` on their natural key, so every write is idempotent; verdicts are
recomputed from the stored signals with ``bot.core.acceptance.classify`` and upserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.acceptance_tracking import Observed, PullKey, TrackedComment
from bot.core.acceptance import DEFINITION_VERSION, Kind, Policy, PullFacts, classify
from bot.core.acceptance import Signal as SignalValue
from bot.database import SqlAdapter, insert_ignoring_duplicates
from bot.run_statements import recount_runs
from bot.storage_schema import Comment, PullRequest, Repository, Run, Signal, Verdict


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class SqlAcceptanceStore(SqlAdapter):
    """``bot.acceptance_tracking.AcceptanceStore`` over SQLAlchemy."""

    @staticmethod
    def _pull(s: Session, pull: PullKey) -> PullRequest | None:
        return s.scalar(
            select(PullRequest)
            .join(Repository, PullRequest.repository_id == Repository.id)
            .where(Repository.owner == pull.owner, Repository.name == pull.repo, PullRequest.number == pull.number)
        )

    def tracked_comments(self, pull: PullKey) -> list[TrackedComment]:
        with self._session() as s:
            row = self._pull(s, pull)
            if row is None:
                return []
            rows = s.execute(
                select(Comment, Run.run_id, Run.head_sha)
                .join(Run, Comment.run_pk == Run.id)
                .where(Run.pull_request_id == row.id, Comment.placement != "body")
                .order_by(Comment.id)
            )
            return [_tracked(c, run_id, head) for c, run_id, head in rows]

    def link_comment(self, pull: PullKey, *, run_id: str, fingerprint: str, github_id: int) -> int | None:
        with self._session() as s:
            comment = s.scalar(
                select(Comment)
                .join(Run, Comment.run_pk == Run.id)
                .join(PullRequest, Run.pull_request_id == PullRequest.id)
                .join(Repository, PullRequest.repository_id == Repository.id)
                .where(Run.run_id == run_id, Comment.fingerprint == fingerprint)
                .where(Repository.owner == pull.owner, Repository.name == pull.repo, PullRequest.number == pull.number)
            )
            if comment is None:
                return None
            if comment.github_id is None:
                comment.github_id = github_id
            return comment.id if comment.github_id == github_id else None

    def record(self, observed: Sequence[Observed]) -> int:
        if not observed:
            return 0
        now = self._now()
        rows = [_signal_row(o, now) for o in observed]
        with self._session() as s:
            result = s.execute(insert_ignoring_duplicates(s, Signal, rows).returning(Signal.id))
            return len(result.all())

    def set_live(self, observed: Observed, *, live: bool, at: datetime) -> None:
        with self._session() as s:
            s.execute(insert_ignoring_duplicates(s, Signal, [_signal_row(observed, self._now())]))
            key = _key(observed)
            if live:
                sig = observed.signal
                s.execute(
                    update(Signal)
                    .where(*key)
                    .values(retracted_at=None, actor=sig.actor, actor_association=sig.association, at=sig.at)
                )
            else:
                s.execute(update(Signal).where(*key, Signal.retracted_at.is_(None)).values(retracted_at=at))

    def retract_missing(self, comment_pk: int, *, kinds: Sequence[Kind], keep: set[str], at: datetime) -> None:
        wanted = [str(k) for k in kinds]
        with self._session() as s:
            base = (Signal.comment_id == comment_pk, Signal.kind.in_(wanted))
            s.execute(
                update(Signal)
                .where(*base, Signal.retracted_at.is_(None), Signal.source_id.not_in(keep))
                .values(retracted_at=at)
            )
            if keep:
                s.execute(
                    update(Signal)
                    .where(*base, Signal.retracted_at.is_not(None), Signal.source_id.in_(keep))
                    .values(retracted_at=None)
                )

    def set_pull_state(
        self, pull: PullKey, *, state: str, closed_at: datetime | None, author: str | None = None
    ) -> None:
        with self._session() as s:
            row = self._pull(s, pull)
            if row is None:
                return  # never reviewed here: nothing to track
            row.state, row.closed_at = state, closed_at
            if author:
                row.author = author

    def set_author(self, pull: PullKey, author: str) -> None:
        with self._session() as s:
            row = self._pull(s, pull)
            if row is not None and author:
                row.author = author

    def record_push(self, pull: PullKey, *, at: datetime) -> None:
        with self._session() as s:
            row = self._pull(s, pull)
            if row is not None:
                row.last_pushed_at = at

    def pull_times(self, pull: PullKey) -> tuple[datetime, datetime | None]:
        with self._session() as s:
            row = self._pull(s, pull)
            if row is None:
                raise KeyError(f"no pull request {pull}")
            created = aware(row.created_at)
            assert created is not None
            return created, aware(row.closed_at)

    def schedule_poll(self, pull: PullKey, *, polled_at: datetime, next_at: datetime | None) -> None:
        with self._session() as s:
            row = self._pull(s, pull)
            if row is not None:
                row.polled_at, row.next_poll_at = polled_at, next_at

    def due_polls(self, *, now: datetime, lease_until: datetime, limit: int = 100) -> list[tuple[PullKey, int | None]]:
        """Pull requests whose poll is due; each is leased until ``lease_until`` so a sweep sends it once."""
        with self._session() as s:
            rows = s.execute(
                select(PullRequest, Repository.owner, Repository.name, Repository.installation_id)
                .join(Repository, PullRequest.repository_id == Repository.id)
                .where(PullRequest.next_poll_at.is_not(None), PullRequest.next_poll_at <= now)
                .order_by(PullRequest.next_poll_at)
                .limit(limit)
                .with_for_update(of=PullRequest, skip_locked=True)  # concurrent sweeps lease disjoint rows
            ).all()
            due = []
            for row, owner, name, installation in rows:
                row.next_poll_at = lease_until
                due.append((PullKey(owner, name, row.number), installation))
            return due

    def recompute(self, pull: PullKey, *, policy: Policy, now: datetime) -> dict[str, int]:
        with self._session() as s:
            row = self._pull(s, pull)
            if row is None:
                return {}
            # Take the pull request's row lock before reading the signals, so concurrent recomputes run one after
            # the other and the last one sees every committed signal (no stale verdict overwrites a fresh one).
            s.execute(update(PullRequest).where(PullRequest.id == row.id).values(state=PullRequest.state))
            s.refresh(row)
            facts = PullFacts(
                author=row.author,
                closed_at=aware(row.closed_at),
                merged=row.state == "merged",
                pushed_at=() if row.last_pushed_at is None else (aware(row.last_pushed_at) or now,),
            )
            comments = s.scalars(
                select(Comment)
                .join(Run, Comment.run_pk == Run.id)
                .where(Run.pull_request_id == row.id, Comment.placement != "body")
            ).all()
            signals = _signals_by_comment(s, [c.id for c in comments])
            counts: dict[str, int] = {}
            runs: set[int] = set()
            for c in comments:
                runs.add(c.run_pk)
                posted = aware(c.created_at) or now
                verdict = classify(signals.get(c.id, []), posted_at=posted, pull=facts, policy=policy, now=now)
                _upsert_verdict(s, c.id, verdict.verdict, verdict.rule, verdict.at, now)
                counts[verdict.verdict] = counts.get(verdict.verdict, 0) + 1
            recount_runs(s, sorted(runs))
            return counts


def _tracked(c: Comment, run_id: str, head_sha: str) -> TrackedComment:
    return TrackedComment(
        pk=c.id,
        github_id=c.github_id,
        run_id=run_id,
        fingerprint=c.fingerprint,
        head_sha=head_sha,
        path=c.path,
        side=c.side,
        start_line=c.start_line,
        line=c.line,
        suggestion=c.suggestion,
        posted_at=aware(c.created_at) or datetime.now(UTC),
    )


def _signal_row(o: Observed, now: datetime) -> dict[str, Any]:
    sig = o.signal
    return {
        "comment_id": o.comment_pk,
        "kind": str(sig.kind),
        "actor": sig.actor[:100],
        "actor_association": sig.association[:24],
        "actor_is_bot": sig.actor_is_bot,
        "value": sig.value[:64],
        "at": sig.at,
        "source": o.source,
        "source_id": o.source_id[:100],
        "retracted_at": now if sig.retracted else None,
        "recorded_at": now,
    }


def _key(o: Observed) -> tuple[Any, ...]:
    return (Signal.comment_id == o.comment_pk, Signal.kind == str(o.signal.kind), Signal.source_id == o.source_id)


def _signals_by_comment(s: Session, ids: list[int]) -> dict[int, list[SignalValue]]:
    found: dict[int, list[SignalValue]] = {}
    for start in range(0, len(ids), 500):
        for row in s.scalars(select(Signal).where(Signal.comment_id.in_(ids[start : start + 500]))):
            found.setdefault(row.comment_id, []).append(
                SignalValue(
                    kind=Kind(row.kind),
                    actor=row.actor,
                    association=row.actor_association,
                    at=aware(row.at) or datetime.now(UTC),
                    actor_is_bot=row.actor_is_bot,
                    value=row.value,
                    retracted=row.retracted_at is not None,
                )
            )
    return found


def _upsert_verdict(
    s: Session, comment_id: int, verdict: str, rule: str, decided_at: datetime | None, now: datetime
) -> None:
    """Insert-or-update that is safe when two tasks reclassify the same comment at once."""
    values = {"verdict": verdict, "rule": rule, "decided_at": decided_at, "computed_at": now}
    values["definition"] = DEFINITION_VERSION
    s.execute(insert_ignoring_duplicates(s, Verdict, [{"comment_id": comment_id, **values}]))
    s.execute(update(Verdict).where(Verdict.comment_id == comment_id).values(**values))
    s.execute(update(Comment).where(Comment.id == comment_id).values(verdict=verdict))
