"""Specification of ``bot.core.signal_events``: which webhook deliveries carry acceptance signals, and what each
decision holds. Payloads are GitHub's examples from the shared data, changed only where a case needs it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.core.signal_events import PullStateChanged, PushTracked, ReplyPosted, ThreadChanged
from bot.core.webhooks import Decision, Delivery, Ignore, route
from bot.errors import WebhookError
from tests.conftest import WEBHOOKS

NOT_REVIEWED = frozenset({"opened"})  # review_actions for which reopened and synchronize start no review


def example(event: str, name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((WEBHOOKS / event / f"{name}.payload.json").read_text(encoding="utf-8"))
    return payload


def routed(event: str, payload: dict[str, Any], **options: Any) -> Decision:
    action = payload.get("action")
    return route(Delivery(event, "d-1", action if isinstance(action, str) else None, payload), **options)


def pull_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields every signal event repeats, as the example payload states them."""
    return {
        "installation_id": payload["installation"]["id"],
        "owner": payload["repository"]["owner"]["login"],
        "repo": payload["repository"]["name"],
        "number": payload["pull_request"]["number"],
        "author": payload["pull_request"]["user"]["login"],
    }


def kept(comment: dict[str, Any]) -> dict[str, Any]:
    """What tracking keeps of a review comment: its place, text, author (login and type) and time."""
    return {
        "id": comment["id"],
        "body": comment["body"],
        "user": {"login": comment["user"]["login"], "type": comment["user"]["type"]},
        "author_association": comment["author_association"],
        "created_at": comment["created_at"],
        "path": comment["path"],
        "line": comment["line"],
        "start_line": comment["start_line"],
        "side": comment["side"],
        "original_commit_id": comment["original_commit_id"],
        "in_reply_to_id": comment.get("in_reply_to_id"),
    }


def a_reply(action: str = "created") -> dict[str, Any]:
    payload = example("pull_request_review_comment", "created")
    payload["action"] = action
    payload["comment"]["in_reply_to_id"] = payload["comment"]["id"] - 1
    return payload


# ---- pull_request_review_thread -------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["resolved", "unresolved"])
def test_a_resolved_or_unresolved_thread_names_the_thread_who_and_its_first_comment(action: str) -> None:
    payload = example("pull_request_review_thread", action)

    decision = routed("pull_request_review_thread", payload)

    assert decision == ThreadChanged(
        **pull_fields(payload),
        thread_id=payload["thread"]["node_id"],
        resolved=action == "resolved",
        by=payload["sender"]["login"],
        root=kept(payload["thread"]["comments"][0]),
    )


def test_the_thread_root_is_the_first_comment_not_a_reply() -> None:
    payload = example("pull_request_review_thread", "resolved")
    root = payload["thread"]["comments"][0]
    payload["thread"]["comments"].append({**root, "id": root["id"] + 1, "in_reply_to_id": root["id"], "body": "ok"})

    decision = routed("pull_request_review_thread", payload)

    assert isinstance(decision, ThreadChanged) and decision.root["id"] == root["id"]


@pytest.mark.parametrize("action", ["created", "edited", None], ids=["created", "edited", "no-action"])
def test_other_thread_actions_are_ignored(action: str | None) -> None:
    payload = example("pull_request_review_thread", "resolved")
    payload["action"] = action

    assert isinstance(routed("pull_request_review_thread", payload), Ignore)


def test_a_thread_without_comments_is_ignored() -> None:
    payload = example("pull_request_review_thread", "resolved")
    payload["thread"]["comments"] = []

    assert isinstance(routed("pull_request_review_thread", payload), Ignore)


# ---- pull_request_review_comment ------------------------------------------------------------------------------
def test_a_new_reply_carries_the_comment_as_tracking_reads_it() -> None:
    payload = a_reply()

    decision = routed("pull_request_review_comment", payload)

    assert decision == ReplyPosted(**pull_fields(payload), comment=kept(payload["comment"]))
    assert isinstance(decision, ReplyPosted) and "diff_hunk" not in decision.comment


@pytest.mark.parametrize(
    "payload",
    [
        example("pull_request_review_comment", "created"),
        a_reply("edited"),
        a_reply("deleted"),
        example("pull_request_review_comment", "edited"),
        example("pull_request_review_comment", "deleted"),
    ],
    ids=["top-level-comment", "edited-reply", "deleted-reply", "edited-example", "deleted-example"],
)
def test_only_new_replies_are_signals(payload: dict[str, Any]) -> None:
    assert isinstance(routed("pull_request_review_comment", payload), Ignore)


# ---- pull_request ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("merged", "state"), [(False, "closed"), (True, "merged")], ids=["closed", "merged"])
def test_a_closed_pull_request_says_whether_it_merged_and_when_it_closed(merged: bool, state: str) -> None:
    payload = example("pull_request", "closed")
    payload["pull_request"]["merged"] = merged

    decision = routed("pull_request", payload)

    assert decision == PullStateChanged(
        **pull_fields(payload), state=state, closed_at=payload["pull_request"]["closed_at"]
    )


def test_a_closed_pull_request_without_a_close_time_has_none() -> None:
    payload = example("pull_request", "closed")
    payload["pull_request"]["closed_at"] = None

    decision = routed("pull_request", payload)

    assert isinstance(decision, PullStateChanged) and decision.closed_at is None


def test_a_reopened_pull_request_that_starts_no_review_is_open_again() -> None:
    payload = example("pull_request", "reopened")

    decision = routed("pull_request", payload, review_actions=NOT_REVIEWED)

    assert decision == PullStateChanged(**pull_fields(payload), state="open", closed_at=None)


def test_a_push_that_starts_no_review_is_compared() -> None:
    payload = example("pull_request", "synchronize")

    decision = routed("pull_request", payload, review_actions=NOT_REVIEWED)

    assert decision == PushTracked(**pull_fields(payload), before=payload["before"], after=payload["after"])


def test_a_push_to_a_draft_is_compared_though_not_reviewed() -> None:
    payload = example("pull_request", "synchronize")
    payload["pull_request"]["draft"] = True

    decision = routed("pull_request", payload)

    assert decision == PushTracked(**pull_fields(payload), before=payload["before"], after=payload["after"])


def test_a_push_without_after_is_compared_with_the_head() -> None:
    payload = example("pull_request", "synchronize")
    del payload["after"]
    payload["pull_request"]["head"]["sha"] = "c" * 40

    decision = routed("pull_request", payload, review_actions=NOT_REVIEWED)

    assert isinstance(decision, PushTracked) and decision.after == "c" * 40


@pytest.mark.parametrize("name", ["labeled", "assigned", "locked"])
def test_pull_request_actions_that_carry_no_signal_are_ignored(name: str) -> None:
    assert isinstance(routed("pull_request", example("pull_request", name)), Ignore)


def test_a_repository_webhook_has_no_installation() -> None:
    payload = example("pull_request", "closed")
    del payload["installation"]

    decision = routed("pull_request", payload)

    assert isinstance(decision, PullStateChanged) and decision.installation_id is None


# ---- malformed payloads ---------------------------------------------------------------------------------------
def _without_node_id() -> dict[str, Any]:
    payload = example("pull_request_review_thread", "resolved")
    del payload["thread"]["node_id"]
    return payload


def _comment_id_as_text() -> dict[str, Any]:
    payload = a_reply()
    payload["comment"]["id"] = str(payload["comment"]["id"])
    return payload


def _thread_comments_not_a_list() -> dict[str, Any]:
    payload = example("pull_request_review_thread", "unresolved")
    payload["thread"]["comments"] = {"0": payload["thread"]["comments"][0]}
    return payload


def _closed_without_number() -> dict[str, Any]:
    payload = example("pull_request", "closed")
    del payload["pull_request"]["number"]
    return payload


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        ("pull_request_review_thread", _without_node_id(), "thread.node_id"),
        ("pull_request_review_comment", _comment_id_as_text(), "comment.id"),
        ("pull_request_review_thread", _thread_comments_not_a_list(), "thread.comments"),
        ("pull_request", _closed_without_number(), "pull_request.number"),
    ],
    ids=["thread-without-node-id", "comment-id-not-an-int", "thread-comments-not-a-list", "pull-without-number"],
)
def test_a_malformed_signal_payload_is_a_400_naming_the_field(event: str, payload: dict[str, Any], field: str) -> None:
    with pytest.raises(WebhookError, match=f"payload field {re.escape(field)} ") as refused:
        routed(event, payload)
    assert refused.value.status == 400
