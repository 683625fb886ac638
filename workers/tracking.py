"""Celery tasks for acceptance tracking: signal events from webhooks, reaction polls and the beat sweep.

Thin roots like :mod:`workers.tasks`: they build the store and the GitHub reader from the environment and call
``bot.acceptance_tracking``. GitHub sends no reaction webhook, so the beat sweep (every
``REVIEW_ARENA_SWEEP_S`` seconds, default 300) sends a poll for each pull request whose next poll is due; the
schedule backs off as a pull request ages and stops some days after it closes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from github import GithubException

from bot.acceptance_store import SqlAcceptanceStore
from bot.acceptance_tracking import PullKey, Tracker
from bot.core.comments import NO_HEAD, Marker
from bot.core.signal_events import PullStateChanged, PushTracked, ReplyPosted, SignalEvent, ThreadChanged
from bot.database import DEFAULT_DATABASE_URL
from bot.errors import Transient
from bot.github import translate
from bot.github_activity import GithubActivity, review_comment_of
from workers.celery_app import app, broker_url
from workers.tasks import MAX_RETRIES, _github_for, _producer, _store, settings_for, write_permit

EVENT_TASK = "workers.tracking.track_event"
POLL_TASK = "workers.tracking.poll_pull"
SWEEP_TASK = "workers.tracking.sweep_polls"
STATS_TASK = "workers.tracking.stats_command"
QUEUE = "review-arena"
EVENT_TYPES: dict[str, type[SignalEvent]] = {
    t.__name__: t for t in (ThreadChanged, ReplyPosted, PullStateChanged, PushTracked)
}
LEASE = timedelta(minutes=30)  # a swept poll is not sent again for this long, even if its task is lost


def now() -> datetime:
    return datetime.now(UTC)


def acceptance_store(environ: Mapping[str, str]) -> SqlAcceptanceStore:
    return SqlAcceptanceStore(_store(environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL).engine)


def tracker_for(environ: Mapping[str, str], installation_id: int | None, pull: PullKey, source: str) -> Tracker:
    gh = _github_for(environ, installation_id, pull.owner, pull.repo)
    return Tracker(
        store=acceptance_store(environ),
        github=GithubActivity(gh),
        config=settings_for(environ).acceptance,
        now=now,
        source=source,
    )


def event_message(event: SignalEvent) -> tuple[str, dict[str, Any]]:
    """The task arguments that carry ``event``: its type's name and its fields (plain JSON)."""
    return type(event).__name__, asdict(event)


def run_track_event(environ: Mapping[str, str], kind: str, fields: dict[str, Any]) -> str:
    """Record what one webhook said; pull requests never reviewed here are skipped without asking GitHub."""
    event = EVENT_TYPES[kind](**fields)
    pull = PullKey(event.owner, event.repo, event.number)
    store = acceptance_store(environ)
    if not store.tracked_comments(pull):
        return "untracked"
    if event.author:
        store.set_author(pull, event.author)
    tracker = tracker_for(environ, event.installation_id, pull, "webhook")
    if isinstance(event, ThreadChanged):
        root = review_comment_of(event.root)
        return (
            "recorded"
            if tracker.thread(pull, thread_id=event.thread_id, root=root, resolved=event.resolved, by=event.by)
            else "not-ours"
        )
    if isinstance(event, ReplyPosted):
        return "recorded" if tracker.reply(pull, review_comment_of(event.comment)) else "not-ours"
    if isinstance(event, PullStateChanged):
        closed = datetime.fromisoformat(event.closed_at.replace("Z", "+00:00")) if event.closed_at else None
        store.set_pull_state(pull, state=event.state, closed_at=closed if event.state != "open" else None)
        tracker.poll(pull)
        return event.state
    tracker.push(pull, after=event.after)
    return "compared"


def _track_event(kind: str, fields: dict[str, Any]) -> str:
    return run_track_event(os.environ, kind, fields)


track_event = app.task(
    name=EVENT_TASK, autoretry_for=(Transient,), retry_backoff=True, max_retries=MAX_RETRIES, acks_late=True
)(_track_event)


def run_poll_pull(
    environ: Mapping[str, str], installation_id: int | None, owner: str, repo: str, number: int
) -> dict[str, int]:
    pull = PullKey(owner, repo, number)
    return tracker_for(environ, installation_id, pull, "poll").poll(pull)


def _poll_pull(installation_id: int | None, owner: str, repo: str, number: int) -> dict[str, int]:
    return run_poll_pull(os.environ, installation_id, owner, repo, number)


poll_pull = app.task(
    name=POLL_TASK, autoretry_for=(Transient,), retry_backoff=True, max_retries=MAX_RETRIES, acks_late=True
)(_poll_pull)


def run_sweep(environ: Mapping[str, str], *, limit: int = 500) -> int:
    """Send a poll for every pull request that is due; each is leased so the next sweep does not resend it."""
    moment = now()
    due = acceptance_store(environ).due_polls(now=moment, lease_until=moment + LEASE, limit=limit)
    producer = _producer(broker_url(environ))
    for pull, installation_id in due:
        producer.send_task(POLL_TASK, args=(installation_id, pull.owner, pull.repo, pull.number), queue=QUEUE)
    return len(due)


def _sweep_polls() -> int:
    return run_sweep(os.environ)


sweep_polls = app.task(name=SWEEP_TASK)(_sweep_polls)


def run_stats_command(
    environ: Mapping[str, str], installation_id: int | None, owner: str, repo: str, number: int, comment_id: int
) -> int:
    """``/arena stats``: answer in the pull request with the repository's statistics as a Markdown table."""
    from bot.core.stats_render import report_markdown
    from bot.stats_queries import StatsFilter, report_for

    engine = _store(environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL).engine
    where = StatsFilter(repo=f"{owner}/{repo}")
    report = report_for(engine, where, seed=0)
    body = report_markdown(report, title=f"Review Arena statistics for {owner}/{repo}")
    body += f"\n<sub>Asked for in comment {comment_id}.</sub>\n{stats_marker()}"
    gh = _github_for(environ, installation_id, owner, repo)
    write_permit(environ, installation_id, owner, repo)()
    try:
        gh.requester.requestJsonAndCheck(
            "POST", f"/repos/{owner}/{repo}/issues/{number}/comments", input={"body": body}
        )
    except GithubException as exc:
        raise translate(exc, what=f"the statistics reply on {owner}/{repo}#{number}") from exc
    return len(report.contenders)


def stats_marker() -> str:
    return Marker("notice", "stats", "0" * 8, NO_HEAD, "-").render()


def _stats_command(installation_id: int | None, owner: str, repo: str, number: int, comment_id: int) -> int:
    return run_stats_command(os.environ, installation_id, owner, repo, number, comment_id)


stats_command = app.task(
    name=STATS_TASK, autoretry_for=(Transient,), retry_backoff=True, max_retries=MAX_RETRIES, acks_late=True
)(_stats_command)


def _maintain_database() -> str:
    from bot.database import maintain

    return maintain(_store(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL).engine)


maintain_database = app.task(name="workers.tracking.maintain_database")(_maintain_database)
