"""Carries webhook decisions to the Celery workers: one ``review_contender`` task per active contender.

An adapter over Celery's producer API. Tasks are sent by name, so the receiver does not import the workers.
An unreachable broker becomes ``bot.errors.Transient`` and the receiver answers 503.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import redis.exceptions
from celery import group
from kombu.exceptions import OperationalError

from bot.core.config import Settings
from bot.core.signal_events import PullStateChanged, PushTracked, ReplyPosted, ThreadChanged
from bot.core.webhooks import Command, Decision, RecordInstallation, ReviewPull
from bot.errors import Transient

REVIEW_TASK = "workers.tasks.review_contender"
COMMAND_TASK = "workers.tasks.review_command"
PULL_TASK = "workers.tasks.review_pull"
INSTALLATION_TASK = "workers.tasks.record_installation"
EVENT_TASK = "workers.tracking.track_event"
STATS_TASK = "workers.tracking.stats_command"
SIGNAL_EVENTS = (ThreadChanged, ReplyPosted, PullStateChanged, PushTracked)
QUEUE = "review-arena"
REPR_MAX = 1024  # Celery's own limit for the argument summaries in its logs


def _reprs(args: tuple[object, ...], kwargs: Mapping[str, object]) -> dict[str, str]:
    """Celery's log summaries of a task's arguments, from the built-in ``repr``: Celery's ``saferepr`` walks the
    arguments in Python, a sizeable part of the receiver's CPU per delivery."""
    return {"argsrepr": repr(args)[:REPR_MAX], "kwargsrepr": repr(kwargs)[:REPR_MAX]}


class CeleryQueue:
    """``bot.webhook.Queue`` over a Celery app: reviews, ``/arena review`` commands and installation changes."""

    def __init__(self, app: Any, *, settings: Settings) -> None:
        self._app = app
        self.settings = settings

    def enqueue(self, decision: Decision) -> None:
        try:
            self._send(decision)
        except (OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise Transient(f"the task broker is unreachable: {exc}") from exc

    def _send(self, decision: Decision) -> None:
        if isinstance(decision, ReviewPull):
            context: dict[str, str | bool] = {
                "title": decision.title,
                "body": decision.body,
                "default_branch": decision.default_branch,
                "draft": decision.draft,
                "author": decision.author,
                "before": decision.before,
                "action": decision.action,
            }
            # One small message per delivery keeps the receiver fast; a worker fans it out to the contenders.
            pull = (decision.installation_id, decision.owner, decision.repo, decision.number, decision.head_sha)
            kwargs = {"context": context}
            self._app.send_task(PULL_TASK, args=pull, kwargs=kwargs, queue=QUEUE, **_reprs(pull, kwargs))
        elif isinstance(decision, Command) and decision.name == "review":
            command = (decision.installation_id, decision.owner, decision.repo, decision.number, decision.comment_id)
            self._app.send_task(COMMAND_TASK, args=command, queue=QUEUE)
        elif isinstance(decision, Command) and decision.name == "stats":
            command = (decision.installation_id, decision.owner, decision.repo, decision.number, decision.comment_id)
            self._app.send_task(STATS_TASK, args=command, queue=QUEUE)
        elif isinstance(decision, SIGNAL_EVENTS):
            # acceptance signals: one small message, named by the event's type (see workers.tracking)
            self._app.send_task(EVENT_TASK, args=(type(decision).__name__, asdict(decision)), queue=QUEUE)
        elif isinstance(decision, RecordInstallation):
            args = (
                decision.installation_id,
                decision.account,
                decision.action,
                list(decision.repositories_added),
                list(decision.repositories_removed),
            )
            self._app.send_task(INSTALLATION_TASK, args=args, queue=QUEUE)

    def review(
        self,
        installation_id: int | None,
        owner: str,
        repo: str,
        number: int,
        head_sha: str,
        *,
        context: dict[str, str | bool] | None = None,
    ) -> None:
        """One ``review_contender`` task per active contender, sent together, sharing one posting-order seed."""
        seed = secrets.randbits(62)  # the first run of a PR keeps its seed; later events reuse it
        signatures = [
            self._app.signature(
                REVIEW_TASK,
                args=(installation_id, owner, repo, number, head_sha, contender.name, uuid.uuid4().hex, seed),
                kwargs={"context": context or {}},
                queue=QUEUE,
            )
            for contender in self.settings.active()
        ]
        if signatures:
            group(signatures).apply_async()
