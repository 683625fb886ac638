"""Builds the App's long-running parts from the environment: the webhook receiver and its readiness checks.

A root: it reads configuration once (``environ`` is passed in) and wires adapters; no decisions live here.
With ``REDIS_URL`` set the receiver queues to Redis and remembers deliveries there; without it, it queues to
the embedded SQLite broker and remembers deliveries in memory (one receiver process, as ``review-arena up``).
With ``REVIEW_ARENA_DASHBOARD_TOKEN`` set it also serves the statistics dashboard (``bot.dashboard``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import redis
from starlette.applications import Starlette

from bot import config
from bot.celery_queue import CeleryQueue
from bot.dashboard import routes_from_env as dashboard_routes
from bot.database import DEFAULT_DATABASE_URL, make_engine
from bot.deliveries import MemoryDeliveryLog, RedisDeliveryLog
from bot.errors import ConfigError
from bot.storage import SqlStore
from bot.webhook import DeliveryLog, create_app
from workers.celery_app import make_celery


def database_url(environ: Mapping[str, str]) -> str:
    return environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def build_receiver(environ: Mapping[str, str]) -> Starlette:
    secret = environ.get("GITHUB_WEBHOOK_SECRET", "")
    if not secret:
        raise ConfigError("GITHUB_WEBHOOK_SECRET is not set: the receiver cannot check deliveries")
    settings = config.load(environ)
    celery = make_celery(environ)
    engine = make_engine(database_url(environ))
    store = SqlStore(engine)
    deliveries: DeliveryLog
    if environ.get("REDIS_URL"):
        deliveries = RedisDeliveryLog(redis.Redis.from_url(environ["REDIS_URL"], socket_timeout=2))
    else:
        deliveries = MemoryDeliveryLog()
    return create_app(
        secret=secret,
        queue=CeleryQueue(celery, settings=settings),
        deliveries=deliveries,
        ready_checks=[_broker_check(celery), _database_check(store)],
        review_actions=frozenset(settings.review_on),
        extra_routes=dashboard_routes(environ, engine),  # none unless REVIEW_ARENA_DASHBOARD_TOKEN is set
    )


def _database_check(store: SqlStore) -> Callable[[], bool]:
    def database() -> bool:
        return store.ping()

    return database


def _broker_check(celery: object) -> Callable[[], bool]:
    def broker() -> bool:
        with celery.connection_for_write() as connection:  # type: ignore[attr-defined]
            connection.ensure_connection(max_retries=1, timeout=2)
        return True

    broker.__name__ = "broker"
    return broker
