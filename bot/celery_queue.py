"""Carries webhook decisions to the Celery workers: one ``review_contender`` task per active contender.

An adapter over Celery's producer API. Tasks are sent by name, so the receiver does not import the workers.
An unreachable broker becomes ``bot.errors.Transient`` and the receiver answers 503.
"""

from __future__ import annotations

import uuid
from typing import Any

import redis.exceptions
from celery import group
from kombu.exceptions import OperationalError

from bot.core.config import Settings
from bot.core.webhooks import Decision, ReviewPull
from bot.errors import Transient

REVIEW_TASK = "workers.tasks.review_contender"
QUEUE = "review-arena"


class CeleryQueue:
    """``bot.webhook.Queue`` over a Celery app. Decisions other than ``ReviewPull`` are not queued yet."""

    def __init__(self, app: Any, *, settings: Settings) -> None:
        self._app = app
        self._settings = settings

    def enqueue(self, decision: Decision) -> None:
        if not isinstance(decision, ReviewPull):
            return
        signatures = [
            self._app.signature(
                REVIEW_TASK,
                args=(
                    decision.installation_id,
                    decision.owner,
                    decision.repo,
                    decision.number,
                    decision.head_sha,
                    contender.name,
                    uuid.uuid4().hex,
                ),
                queue=QUEUE,
            )
            for contender in self._settings.active()
        ]
        if not signatures:
            return
        try:
            group(signatures).apply_async()
        except (OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise Transient(f"the task broker is unreachable: {exc}") from exc
