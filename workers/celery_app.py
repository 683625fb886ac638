"""The Celery application of the workers. Configuration comes from the environment when Celery first reads it,
never at import time, so importing :mod:`workers.tasks` in a test needs no environment.

Reviews are long: ``task_acks_late`` with ``worker_prefetch_multiplier=1`` keeps one unacknowledged review per
worker slot, and Redis's ``visibility_timeout`` (default 1 h) is raised above the longest review deadline so a
running review is not handed to a second worker.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from celery import Celery

EMBEDDED_BROKER_URL = "sqla+sqlite:///review-arena-broker.db"  # kombu's SQLAlchemy transport: no server needed
QUEUE = "review-arena"
VISIBILITY_TIMEOUT_S = 7200

app = Celery("review_arena")


def settings_from(environ: Mapping[str, str]) -> dict[str, Any]:
    """The Celery settings for ``environ``: Redis when ``REDIS_URL`` is set, else the embedded SQLite broker."""
    broker = broker_url(environ)
    return {
        "broker_url": broker,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": _transport_options(broker, environ),
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": QUEUE,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        "include": ["workers.tasks", "workers.tracking"],
        # GitHub sends no reaction webhook: the sweep sends the reaction polls that are due
        "beat_schedule": {
            "sweep-polls": {
                "task": "workers.tracking.sweep_polls",
                "schedule": float(environ.get("REVIEW_ARENA_SWEEP_S") or 300),
            },
            # SQLite has no autovacuum: refresh the planner's statistics once a day
            "maintain-database": {"task": "workers.tracking.maintain_database", "schedule": 86400.0},
        },
    }


def _transport_options(broker: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """Redis's ``visibility_timeout`` must outlast the longest review; other transports take no such option."""
    if not broker.startswith(("redis://", "rediss://")):
        return {}
    return {"visibility_timeout": int(environ.get("REVIEW_ARENA_VISIBILITY_TIMEOUT_S") or VISIBILITY_TIMEOUT_S)}


def broker_url(environ: Mapping[str, str]) -> str:
    return environ.get("REDIS_URL") or environ.get("REVIEW_ARENA_BROKER_URL") or EMBEDDED_BROKER_URL


def configure(celery_app: Celery, environ: Mapping[str, str]) -> None:
    """Point ``celery_app`` at the broker named in ``environ``; applied when Celery next loads its configuration."""
    celery_app.config_from_object(settings_from(environ), force=bool(celery_app.configured))


def make_celery(environ: Mapping[str, str]) -> Celery:
    """A new, configured Celery app (the webhook receiver's producer side)."""
    made = Celery("review_arena")
    configure(made, environ)
    return made


def _configure_from_environment(sender: Celery, **_kwargs: Any) -> None:
    configure(sender, os.environ)


app.on_configure.connect(_configure_from_environment, weak=False)
