"""Carries webhook decisions to the Celery workers: one ``review_contender`` task per active contender.

An adapter over Celery's producer API. Tasks are sent by name, so the receiver does not import the workers.
An unreachable broker becomes ``bot.errors.Transient`` and the receiver answers 503.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import redis.exceptions
from celery import group
from kombu.exceptions import OperationalError

from bot.core.config import Settings
from bot.core.webhooks import Command, Decision, RecordInstallation, ReviewPull
from bot.errors import Transient

REVIEW_TASK = "workers.tasks.review_contender"
COMMAND_TASK = "workers.tasks.review_command"
PULL_TASK = "workers.tasks.review_pull"
INSTALLATION_TASK = "workers.tasks.record_installation"
QUEUE = "review-arena"


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
            }
            # One small message per delivery keeps the receiver fast; a worker fans it out to the contenders.
            pull = (decision.installation_id, decision.owner, decision.repo, decision.number, decision.head_sha)
            self._app.send_task(PULL_TASK, args=pull, kwargs={"context": context}, queue=QUEUE)
        elif isinstance(decision, Command) and decision.name == "review":
            command = (decision.installation_id, decision.owner, decision.repo, decision.number, decision.comment_id)
            self._app.send_task(COMMAND_TASK, args=command, queue=QUEUE)
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
