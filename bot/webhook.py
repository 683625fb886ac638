"""The GitHub App's webhook receiver: an ASGI app (Starlette) that authenticates deliveries and queues the work.

It decides nothing itself: ``bot.core.webhooks`` parses and routes, the injected ``Queue`` carries the decision to
the workers and the ``DeliveryLog`` makes redeliveries no-ops. Does network I/O through those two. GitHub wants an
answer within 10 s, so nothing slow happens here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.core.webhooks import MAX_BYTES, REVIEW_ACTIONS, Decision, Ignore, Pong, parse_delivery, route
from bot.errors import ConfigError, Transient, WebhookError

_log = logging.getLogger(__name__)
WEBHOOK_PATH = "/api/github/webhooks"  # Probot's default path


class Queue(Protocol):
    def enqueue(self, decision: Decision) -> None:
        """Hand the decision to the workers; raise ``bot.errors.Transient`` if the broker is unreachable."""


class DeliveryLog(Protocol):
    def first_seen(self, delivery_id: str) -> bool:
        """Claim the id atomically: True the first time only."""

    def forget(self, delivery_id: str) -> None:
        """Release a claim, so a redelivery of a delivery that could not be queued is accepted."""


def create_app(
    *,
    secret: str,
    queue: Queue,
    deliveries: DeliveryLog,
    ready_checks: Sequence[Callable[[], bool]] = (),
    max_bytes: int = MAX_BYTES,
    review_actions: frozenset[str] = REVIEW_ACTIONS,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """Build the receiver. ``ready_checks`` (broker, database...) back ``GET /readyz``; an exception counts as False.
    ``extra_routes`` are mounted beside the webhook (the statistics dashboard, when it is enabled)."""
    if not secret:
        raise ConfigError("GITHUB_WEBHOOK_SECRET is empty: the receiver would accept forged deliveries")

    async def receive(request: Request) -> JSONResponse:
        try:
            body = await _read_body(request, max_bytes=max_bytes)
            delivery = parse_delivery(request.headers, body, secret=secret, max_bytes=max_bytes)
            # drafts are queued with a flag: the repository's config decides in the worker
            decision = route(delivery, review_actions=review_actions, review_drafts=True)
        except WebhookError as error:
            return _error(str(error), status=error.status)
        if isinstance(decision, Ignore):
            return JSONResponse({"status": "ignored", "reason": decision.reason})
        if isinstance(decision, Pong):
            return JSONResponse({"status": "pong", "hook_id": decision.hook_id})
        return await _accept(delivery.delivery_id, decision)

    async def _accept(delivery_id: str, decision: Decision) -> JSONResponse:
        # One trip to the thread pool for the claim and the queueing: each trip costs the event loop CPU.
        message, status = await run_in_threadpool(_hand_over, delivery_id, decision)
        if status >= 400:
            return _error(message, status=status)
        return JSONResponse({"status": message}, status_code=status)

    def _hand_over(delivery_id: str, decision: Decision) -> tuple[str, int]:
        # Claim first so concurrent redeliveries have one winner; release the claim if queueing fails, so that
        # GitHub shows the delivery as failed and a manual redelivery (same id) goes through.
        try:
            if not deliveries.first_seen(delivery_id):
                return "duplicate", 200
        except Transient as error:
            return f"delivery log unavailable: {error}", 503
        try:
            queue.enqueue(decision)
        except Transient as error:
            _forget_quietly(delivery_id)
            return f"queue unavailable, redeliver later: {error}", 503
        except Exception:
            _forget_quietly(delivery_id)  # an unexpected failure must not turn the redelivery into a no-op
            _log.exception("queueing delivery %s failed", delivery_id)
            return "internal error while queueing; redeliver later", 500
        return "queued", 202

    def _forget_quietly(delivery_id: str) -> None:
        with contextlib.suppress(Transient):  # the log is down too; the claim expires with its TTL
            deliveries.forget(delivery_id)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        failed = [_name(check, index) for index, check in enumerate(ready_checks) if not await _passes(check)]
        if failed:
            return JSONResponse({"status": "not ready", "failed": failed}, status_code=503)
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            *extra_routes,
        ]
    )


async def _read_body(request: Request, *, max_bytes: int) -> bytes:
    """Read the body, refusing (413) from Content-Length or as soon as the stream passes ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise WebhookError("Content-Length is not a number", status=400)
        if int(declared) > max_bytes:
            raise WebhookError(f"body of {declared} bytes is over the limit of {max_bytes}", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise WebhookError(f"body is over the limit of {max_bytes} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _passes(check: Callable[[], bool]) -> bool:
    try:
        return bool(await run_in_threadpool(check))
    except Exception:  # a readiness probe reports failure, it does not crash
        return False


def _name(check: Callable[[], bool], index: int) -> str:
    return getattr(check, "__name__", None) or f"check {index}"


def _error(message: str, *, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
