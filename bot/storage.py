"""SQL storage through SQLAlchemy: an adapter that records runs, posted comments, agreements and installations.

SQLite is the embedded default and runs in WAL mode with a busy timeout, so the receiver and the workers can
share one file; PostgreSQL comes from ``DATABASE_URL``. Every write is keyed by a unique constraint, so
retries and redeliveries find their row instead of adding one.

The calls a review makes while it waits for its peers are the hot path of a worker: they run the statements
``bot.run_statements`` builds once, and remember each pull request's row id (a row that, once made, is never
renumbered or removed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import run_statements as sql
from bot.core.posting import posting_order
from bot.database import SqlAdapter, ignoring_duplicates
from bot.run_rows import agreement_rows, agreements_of, comment_row, pull_where, record_of, require_run, spots_from
from bot.runs import PostedComment, PostingClaim, RunKey, RunRecord, RunSummary, Spot
from bot.storage_schema import Agreement, Comment, Installation, PullRequest, PullSnapshot, Repository, Run

FIRST_POLL_AFTER = timedelta(minutes=15)
PULL_IDS_KEPT = 4096


class SqlStore(SqlAdapter):
    """The run store of the App (see ``bot.pr_review.RunStore``)."""

    def __init__(self, engine: Engine, **kwargs: Any) -> None:
        super().__init__(engine, **kwargs)
        self._pull_ids: dict[tuple[str, str, int], int] = {}

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True

    def open_run(
        self,
        key: RunKey,
        *,
        run_id: str,
        requested_model: str,
        prompt_version: str,
        contenders: Sequence[str],
        seed: int,
        installation_id: int | None,
        author: str = "",
        snapshot: str | None = None,
        peers: Mapping[str, str] | None = None,
    ) -> RunRecord:
        """The run for ``key``, created on first call; a retry gets the existing row, whatever ``run_id``.

        The task that fetched the head passes its files as ``snapshot`` and the requested model of each other
        active contender as ``peers``: the head is shared and every contender's run opened in this one
        transaction, so the others' tasks find theirs with a read.
        """
        with self.engine.connect() as c:  # reads first, outside the write gate
            pull = c.execute(sql.PULL_ROW, pull_where(key)).first()
            if pull is not None:
                self._remember(key, pull.id)
                found = c.execute(sql.RUN_OF_HEAD, self._of_head(pull.id, key)).first()
                if found is not None and snapshot is None:  # usually the fetcher opened this run
                    return record_of(found)
            repo_id = c.scalar(sql.REPOSITORY_ID, {"owner": key.owner, "repo": key.repo}) if pull is None else None
        for _ in range(3):
            try:
                with self._begin() as c:
                    pull_id, pull_seed = self._ensure_pull(
                        c, key, pull, repo_id, seed=seed, installation_id=installation_id, author=author
                    )
                    if snapshot is not None:
                        self._share(c, pull_id, key.head_sha, snapshot)
                    order = posting_order(sorted(set(contenders) | {key.contender}), seed=pull_seed)
                    models = {name: model for name, model in (peers or {}).items() if name in order}
                    models[key.contender] = requested_model
                    rows = [
                        self._run_row(pull_id, key.head_sha, name, model, order.index(name), pull_seed, prompt_version)
                        for name, model in models.items()
                    ]
                    rows = [{**row, "run_id": run_id} if row["contender"] == key.contender else row for row in rows]
                    c.execute(ignoring_duplicates(c, Run), rows)
                    found = c.execute(sql.RUN_OF_HEAD, self._of_head(pull_id, key)).first()
                    assert found is not None
                    return record_of(found)
            except IntegrityError:  # another process created a row first: read it
                pull = repo_id = None
        raise RuntimeError(f"could not open the run for {key}")

    @staticmethod
    def _of_head(pull_id: int, key: RunKey) -> dict[str, Any]:
        return {"pull": pull_id, "head": key.head_sha, "contender": key.contender}

    def _run_row(
        self, pull_id: int, head_sha: str, contender: str, model: str, position: int, seed: int, prompt_version: str
    ) -> dict[str, Any]:
        """A new pending run, with a fresh run id."""
        return {
            "run_id": uuid.uuid4().hex,
            "pull_request_id": pull_id,
            "head_sha": head_sha,
            "contender": contender,
            "requested_model": model,
            "prompt_version": prompt_version,
            "position": position,
            "seed": seed,
            "status": "pending",
            "created_at": self._now(),
            "updated_at": self._now(),
        }

    def _pull(
        self, c: Connection, key: RunKey, *, seed: int, installation_id: int | None, author: str = ""
    ) -> tuple[int, int]:
        """The pull request's row id and seed, the row (and its repository's) created if missing."""
        found = c.execute(sql.PULL_ROW, pull_where(key)).first()
        if found is not None:
            self._remember(key, found.id)  # read, so committed before this transaction
        return self._ensure_pull(c, key, found, None, seed=seed, installation_id=installation_id, author=author)

    def _ensure_pull(
        self,
        c: Connection,
        key: RunKey,
        found: Any,
        repo_id: int | None,
        *,
        seed: int,
        installation_id: int | None,
        author: str,
    ) -> tuple[int, int]:
        """``found`` (the pull request's row read before) or the row made now, with its repository's if
        ``repo_id`` is None; safe when tasks in other processes race to make them."""
        if found is None:
            if repo_id is None:
                repository = {"owner": key.owner, "name": key.repo, "installation_id": installation_id, "active": True}
                c.execute(ignoring_duplicates(c, Repository), repository)
                repo_id = c.scalar(sql.REPOSITORY_ID, {"owner": key.owner, "repo": key.repo})
            row = {"repository_id": repo_id, "number": key.number, "seed": seed, "created_at": self._now()}
            made = ignoring_duplicates(c, PullRequest).returning(PullRequest.id, PullRequest.seed, PullRequest.author)
            found = c.execute(made, {**row, "author": author, "state": "open"}).first()
            if found is None:  # another process made it first
                found = c.execute(sql.PULL_ROW, pull_where(key)).first()
            assert found is not None  # not remembered yet: this transaction may still roll back
        if author and not found.author:
            c.execute(sql.SET_AUTHOR, {"pull": found.id, "author": author})
        return int(found.id), int(found.seed)

    def claim_snapshot(self, key: RunKey, *, stale_after_s: float) -> bool:
        """True for the one task that should fetch this head from GitHub; a stale, unfilled claim is taken over."""
        now = self._now()
        fresh = now - timedelta(seconds=stale_after_s)
        with self.engine.connect() as c:  # usually another task has claimed it: say so without a write
            pull_id = self._known_pull_id(c, key)
            if pull_id is not None and c.scalar(sql.HELD, {"pull": pull_id, "head": key.head_sha, "fresh": fresh}):
                return False
        with self._begin() as c:
            pull_id = self._pull_id(c, key)
            # the peer that started with this task may have claimed it while this one waited for the write gate
            if c.scalar(sql.HELD, {"pull": pull_id, "head": key.head_sha, "fresh": fresh}):
                return False
            row = {"pull_request_id": pull_id, "head_sha": key.head_sha, "data_json": None, "claimed_at": now}
            # RETURNING says whether this insert won; rowcount is not reliable for it on every driver
            inserted = c.execute(ignoring_duplicates(c, PullSnapshot).returning(PullSnapshot.id), row)
            if inserted.first() is not None:
                return True
            taken = c.execute(sql.TAKE_OVER, {"pull": pull_id, "head": key.head_sha, "fresh": fresh, "now": now})
            return bool(taken.rowcount == 1)

    def save_snapshot(self, key: RunKey, data: str) -> None:
        """Share the head's files; whether or not a task claimed the fetch first."""
        with self._begin() as c:
            self._share(c, self._pull_id(c, key), key.head_sha, data)

    def _share(self, c: Connection, pull_id: int, head_sha: str, data: str) -> None:
        row = {"pull_request_id": pull_id, "head_sha": head_sha, "data_json": data, "claimed_at": self._now()}
        inserted = c.execute(ignoring_duplicates(c, PullSnapshot).returning(PullSnapshot.id), row)
        if inserted.first() is None:  # a claim made the row
            c.execute(sql.SAVE_SNAPSHOT, {"pull": pull_id, "head": head_sha, "data": data})

    def load_snapshot(self, key: RunKey) -> str | None:
        with self.engine.connect() as connection:
            pull_id = self._known_pull_id(connection, key)
            if pull_id is None:
                return None
            found: str | None = connection.scalar(sql.SNAPSHOT, {"pull": pull_id, "head": key.head_sha})
            return found

    def runs_for(self, key: RunKey) -> list[RunRecord]:
        """Every contender's run for the same pull request and head."""
        with self.engine.connect() as connection:
            pull_id = self._known_pull_id(connection, key)
            if pull_id is None:
                return []
            rows = connection.execute(sql.RUNS, {"pull": pull_id, "head": key.head_sha})
            return [
                RunRecord(
                    run_id=r.run_id,
                    contender=r.contender,
                    head_sha=r.head_sha,
                    status=r.status,
                    position=r.position,
                    seed=r.seed,
                    spots=spots_from(r.findings_json),
                    review_id=r.review_id,
                )
                for r in rows
            ]

    def _known_pull_id(self, connection: Any, key: RunKey) -> int | None:
        """The pull request's row id, or None while no task has created the row."""
        found = self._pull_ids.get((key.owner, key.repo, key.number))
        if found is None:
            found = connection.scalar(sql.PULL_ID, {"owner": key.owner, "repo": key.repo, "number": key.number})
            if found is not None:
                self._remember(key, found)
        return found

    def _pull_id(self, c: Connection, key: RunKey) -> int:
        """The pull request's row id, creating the row when it is missing."""
        found = self._pull_ids.get((key.owner, key.repo, key.number))
        return found if found is not None else self._pull(c, key, seed=0, installation_id=None)[0]

    def _remember(self, key: RunKey, pull_id: int) -> None:
        if len(self._pull_ids) >= PULL_IDS_KEPT:
            self._pull_ids.clear()
        self._pull_ids[(key.owner, key.repo, key.number)] = pull_id

    def save_review(self, run_id: str, summary: RunSummary, spots: Sequence[Spot]) -> None:
        values = {
            "status": summary.status,
            "model": summary.model,
            "input_tokens": summary.input_tokens,
            "cached_input_tokens": summary.cached_input_tokens,
            "output_tokens": summary.output_tokens,
            "reasoning_tokens": summary.reasoning_tokens,
            "cost_usd": summary.cost_usd,
            "latency_s": summary.latency_s,
            "error": summary.error,
            "files_reviewed": summary.files_reviewed,
            "findings_json": json.dumps([spot.as_dict() for spot in spots]),
            "updated_at": self._now(),
        }
        with self._begin() as c:
            # a run another execution is posting, or posted, keeps its state: a retry cannot make it claimable
            saved = c.execute(update(Run).where(Run.run_id == run_id, sql.NOT_CLAIMED).values(**values))
            require_run(c, saved, run_id)

    def set_status(self, run_id: str, status: str) -> None:
        """Set a run's status, unless another execution is posting it or has posted it."""
        with self._begin() as c:
            require_run(c, c.execute(sql.SET_STATUS, {"rid": run_id, "to": status, "now": self._now()}), run_id)

    def claim_posting(self, run_id: str, *, stale_after_s: float) -> PostingClaim | None:
        """Atomically take the right to post this run, or None; a claim older than ``stale_after_s`` can be taken
        over. Two executions of one run (a redelivery while the first still runs) race here, and only one posts.
        A first claim says whether a peer has listed the head's reviews on GitHub since (``mark_posted``)."""
        now = self._now()
        stale = now - timedelta(seconds=stale_after_s)
        with self._begin() as c:
            if c.execute(sql.CLAIM_FIRST, {"rid": run_id, "now": now}).rowcount == 1:
                return "listed" if c.scalar(sql.LISTED, {"rid": run_id}) is not None else "unlisted"
            if c.execute(sql.CLAIM_STALE, {"rid": run_id, "now": now, "stale": stale}).rowcount == 1:
                return "taken-over"
            return None

    def mark_posted(
        self,
        run_id: str,
        *,
        review_id: int | None,
        comments: Sequence[PostedComment],
        agreements: Sequence[tuple[str, str, str, str]] = (),
        listed: Mapping[str, int] | None = None,
    ) -> None:
        """Record the posted review and its comments, with the agreements (contender, fingerprint, contender,
        fingerprint) its comments take part in, in one transaction; idempotent. ``listed`` is what the poster
        found when it listed the head's reviews on GitHub before posting (contender → review id): the others'
        runs found there are marked posted, and the head is marked listed for the posters after it."""
        now = self._now()
        with self._begin() as c:
            run = c.execute(sql.MARK_POSTED, {"rid": run_id, "review": review_id, "now": now}).first()
            if run is None:
                raise KeyError(f"no run {run_id}")
            if listed is not None:
                self._record_listing(c, run, listed, now)
            if agreements:
                rows = agreement_rows(run.pull_request_id, run.head_sha, agreements)
                c.execute(ignoring_duplicates(c, Agreement), rows)
            agreed = agreements_of(c, run.pull_request_id, run.head_sha, run.contender)
            unique = {comment.fingerprint: comment for comment in comments}  # one per fingerprint, as on GitHub
            rows = [comment_row(comment, run, agreed.get(fp), now) for fp, comment in unique.items()]
            if rows:  # a retry's comments are stored already: the unique (run, fingerprint) keeps them once
                c.execute(ignoring_duplicates(c, Comment), rows)
            c.execute(sql.RECOUNT, {"run_ids": [run.id]})
            c.execute(sql.FIRST_POLL, {"pull": run.pull_request_id, "at": now + FIRST_POLL_AFTER})

    @staticmethod
    def _record_listing(c: Connection, run: Any, listed: Mapping[str, int], now: datetime) -> None:
        head = {"pull": run.pull_request_id, "head": run.head_sha, "now": now}
        for contender, review in listed.items():
            if contender != run.contender:
                c.execute(sql.FOUND_POSTED, {**head, "who": contender, "review": review})
        c.execute(sql.MARK_LISTED, head)

    def record_agreements(self, key: RunKey, pairs: Sequence[tuple[str, str, str, str]]) -> None:
        """Idempotent, and safe when every contender's task records the same pairs at the same moment."""
        if not pairs:
            return
        with self._begin() as c:
            rows = agreement_rows(self._pull_id(c, key), key.head_sha, pairs)
            c.execute(ignoring_duplicates(c, Agreement), rows)

    def record_installation(
        self,
        *,
        installation_id: int,
        account: str,
        account_type: str,
        status: str,
        added: Sequence[str] = (),
        removed: Sequence[str] = (),
    ) -> None:
        with self._session() as s:
            row = s.get(Installation, installation_id)
            if row is None:
                row = Installation(id=installation_id, account=account, account_type=account_type)
                s.add(row)
            row.status, row.updated_at = status, self._now()
            for full_name, active in [*((n, True) for n in added), *((n, False) for n in removed)]:
                owner, _, name = full_name.partition("/")
                repo = s.scalar(select(Repository).where(Repository.owner == owner, Repository.name == name))
                if repo is None:
                    repo = Repository(owner=owner, name=name)
                    s.add(repo)
                repo.installation_id, repo.active = installation_id, active

    @staticmethod
    def _run(s: Session, run_id: str) -> Run:
        run = s.scalar(sql.RUN, {"run_id": run_id})
        if run is None:
            raise KeyError(f"no run {run_id}")
        return run
