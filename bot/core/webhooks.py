"""GitHub webhook deliveries: check the signature, parse the body and decide what to do. Pure: bytes in, values out.

Like ``gidgethub.sansio`` this module performs no I/O of its own: the receiver (``bot/webhook.py``) reads the
request and acts on the :data:`Decision` returned by :func:`route`. Field names follow GitHub's documented
payloads (https://docs.github.com/webhooks/webhook-events-and-payloads) as captured by octokit/webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.payload import installation_of, payload_field, repository_of
from bot.core.signal_events import SignalEvent, route_pull_state, route_push, route_review_comment, route_thread
from bot.errors import WebhookError

MAX_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB and does not deliver larger ones.
REVIEW_ACTIONS = frozenset({"opened", "reopened", "ready_for_review", "synchronize"})
COMMANDS = frozenset({"review", "stats"})
COMMAND_PREFIX = "/arena "
SIGNATURE_HEADER = "X-Hub-Signature-256"


@dataclass(frozen=True)
class Delivery:
    """One authenticated delivery: the event name, GitHub's delivery id (kept on redelivery) and the JSON body."""

    event: str
    delivery_id: str
    action: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class ReviewPull:
    """Review the pull request at ``head_sha``. ``installation_id`` is None for a plain repository webhook."""

    installation_id: int | None
    owner: str
    repo: str
    number: int
    head_sha: str
    action: str
    title: str = ""
    body: str = ""
    default_branch: str = ""
    draft: bool = False
    author: str = ""
    before: str = ""  # synchronize: the previous head, whose comments the new commits may address


@dataclass(frozen=True)
class Command:
    """A maintainer's ``/arena <name> [args...]`` comment on a pull request."""

    name: str
    args: tuple[str, ...]
    installation_id: int | None
    owner: str
    repo: str
    number: int
    comment_id: int
    author: str
    author_association: str


@dataclass(frozen=True)
class RecordInstallation:
    """The App was installed, removed, suspended, or its repository selection changed (``owner/name`` lists)."""

    event: str
    action: str
    installation_id: int
    account: str
    repositories_added: tuple[str, ...] = ()
    repositories_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pong:
    """GitHub's ``ping`` on creating the hook: answer 200, do nothing."""

    hook_id: int | None


@dataclass(frozen=True)
class Ignore:
    """Nothing to do; ``reason`` is returned to GitHub so the delivery log explains itself."""

    reason: str


Decision = ReviewPull | Command | RecordInstallation | Pong | Ignore | SignalEvent


def verify_signature(body: bytes, *, signature: str | None, secret: str) -> None:
    """Raise :class:`WebhookError` (401) unless ``signature`` is ``sha256=<hex>`` of the body's HMAC-SHA256."""
    if not secret:
        raise WebhookError("no webhook secret is configured; refusing the delivery", status=401)
    if signature is None:
        raise WebhookError(f"missing {SIGNATURE_HEADER} header: is the webhook secret set on GitHub?", status=401)
    if not signature.startswith("sha256="):
        raise WebhookError(f"{SIGNATURE_HEADER} must look like sha256=<hex>", status=401)
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise WebhookError(f"{SIGNATURE_HEADER} does not match the body: check GITHUB_WEBHOOK_SECRET", status=401)


def parse_delivery(headers: Mapping[str, str], body: bytes, *, secret: str, max_bytes: int = MAX_BYTES) -> Delivery:
    """Check size, headers, signature and JSON shape, in that order; raise :class:`WebhookError` on the first miss."""
    if len(body) > max_bytes:
        raise WebhookError(f"body of {len(body)} bytes is over the limit of {max_bytes}", status=413)
    lowered = {key.lower(): value for key, value in headers.items()}
    event = lowered.get("x-github-event", "").strip()
    delivery_id = lowered.get("x-github-delivery", "").strip()
    if not event:
        raise WebhookError("missing X-GitHub-Event header", status=400)
    if not delivery_id:
        raise WebhookError("missing X-GitHub-Delivery header", status=400)
    verify_signature(body, signature=lowered.get(SIGNATURE_HEADER.lower()), secret=secret)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise WebhookError(f"body is not valid JSON: {error}", status=400) from error
    if not isinstance(payload, dict):
        raise WebhookError(f"body must be a JSON object, not {type(payload).__name__}", status=400)
    action = payload.get("action")
    return Delivery(event, delivery_id, action if isinstance(action, str) else None, payload)


TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
COSTLY_COMMANDS = frozenset({"review"})  # a review spends model money: only people with write access may ask


def route(
    delivery: Delivery,
    *,
    review_actions: frozenset[str] = REVIEW_ACTIONS,
    review_drafts: bool = False,
) -> Decision:
    """Say what a delivery asks for. A payload missing a field the decision needs raises WebhookError (400)."""
    if delivery.event == "ping":
        hook_id = delivery.payload.get("hook_id")
        return Pong(hook_id if isinstance(hook_id, int) else None)
    if delivery.event == "pull_request":
        return _route_pull_request(delivery, review_actions=review_actions, review_drafts=review_drafts)
    if delivery.event == "issue_comment":
        return _route_comment(delivery)
    if delivery.event in ("installation", "installation_repositories"):
        return _route_installation(delivery)
    if delivery.event == "pull_request_review_thread":
        return route_thread(delivery.payload, delivery.action) or Ignore(f"thread action {delivery.action!r}")
    if delivery.event == "pull_request_review_comment":
        reply = route_review_comment(delivery.payload, delivery.action)
        return reply or Ignore("review comment is not a new reply")
    return Ignore(f"event {delivery.event!r} is not handled")


def _route_pull_request(delivery: Delivery, *, review_actions: frozenset[str], review_drafts: bool) -> Decision:
    payload, action = delivery.payload, delivery.action
    if action not in review_actions:
        tracked = route_pull_state(payload, action) or route_push(payload, action)
        return tracked or Ignore(f"pull_request action {action!r} does not start a review")
    draft = payload_field(payload, "pull_request", "draft", kind=bool, default=False)
    if draft and action != "ready_for_review" and not review_drafts:
        return route_pull_state(payload, action) or route_push(payload, action) or Ignore("pull request is a draft")
    owner, repo = repository_of(payload)
    return ReviewPull(
        installation_id=installation_of(payload),
        owner=owner,
        repo=repo,
        number=payload_field(payload, "pull_request", "number", kind=int),
        head_sha=payload_field(payload, "pull_request", "head", "sha", kind=str),
        action=action,
        title=payload_field(payload, "pull_request", "title", kind=str, default=""),
        body=payload_field(payload, "pull_request", "body", kind=str, default=""),
        default_branch=payload_field(payload, "repository", "default_branch", kind=str, default=""),
        draft=draft and action != "ready_for_review",
        author=payload_field(payload, "pull_request", "user", "login", kind=str, default=""),
        before=payload_field(payload, "before", kind=str, default="") if action == "synchronize" else "",
    )


def _route_comment(delivery: Delivery) -> Decision:
    payload = delivery.payload
    if delivery.action != "created":
        return Ignore(f"issue_comment action {delivery.action!r} is not a command")
    if not isinstance(payload_field(payload, "issue", kind=dict).get("pull_request"), dict):
        return Ignore("comment is on an issue, not a pull request")
    if payload_field(payload, "comment", "user", "type", kind=str) == "Bot":
        return Ignore("comment was written by a bot")
    body = payload_field(payload, "comment", "body", kind=str, default="")
    if not body.startswith(COMMAND_PREFIX):
        return Ignore("comment is not an /arena command")
    words = body[len(COMMAND_PREFIX) :].split("\n", 1)[0].split()
    if not words or words[0] not in COMMANDS:
        return Ignore(f"unknown /arena command; known: {', '.join(sorted(COMMANDS))}")
    association = payload_field(payload, "comment", "author_association", kind=str, default="NONE")
    if words[0] in COSTLY_COMMANDS and association not in TRUSTED_ASSOCIATIONS:
        return Ignore(f"/arena {words[0]} needs write access (author association {association})")
    owner, repo = repository_of(payload)
    return Command(
        name=words[0],
        args=tuple(words[1:]),
        installation_id=installation_of(payload),
        owner=owner,
        repo=repo,
        number=payload_field(payload, "issue", "number", kind=int),
        comment_id=payload_field(payload, "comment", "id", kind=int),
        author=payload_field(payload, "comment", "user", "login", kind=str),
        author_association=payload_field(payload, "comment", "author_association", kind=str, default="NONE"),
    )


def _route_installation(delivery: Delivery) -> Decision:
    payload, action = delivery.payload, delivery.action
    if action is None:
        raise WebhookError(f"{delivery.event} payload has no action", status=400)
    if delivery.event == "installation":
        # ``repositories`` lists the repositories the installation covers (absent on suspend/unsuspend).
        names = _repo_names(payload.get("repositories"))
        added, removed = (names, ()) if action == "created" else ((), names) if action == "deleted" else ((), ())
    else:
        added = _repo_names(payload.get("repositories_added"))
        removed = _repo_names(payload.get("repositories_removed"))
    return RecordInstallation(
        event=delivery.event,
        action=action,
        installation_id=payload_field(payload, "installation", "id", kind=int),
        account=payload_field(payload, "installation", "account", "login", kind=str),
        repositories_added=added,
        repositories_removed=removed,
    )


def _repo_names(repositories: object) -> tuple[str, ...]:
    if not isinstance(repositories, list):
        return ()
    return tuple(r["full_name"] for r in repositories if isinstance(r, dict) and isinstance(r.get("full_name"), str))
