"""Specification of ``bot.core.webhooks``: signatures, parsing and routing of GitHub's real payload examples."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from bot.core.signal_events import PullStateChanged, PushTracked, ReplyPosted, ThreadChanged
from bot.core.webhooks import (
    Command,
    Delivery,
    Ignore,
    Pong,
    RecordInstallation,
    ReviewPull,
    parse_delivery,
    route,
    verify_signature,
)
from bot.errors import WebhookError

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "webhooks" / "payload-examples"
SECRET = "It's a Secret to Everybody"
EVENTS = (
    "pull_request",
    "issue_comment",
    "installation",
    "installation_repositories",
    "ping",
    "pull_request_review_thread",
    "pull_request_review_comment",
)
REVIEWED = {"opened", "reopened", "ready_for_review", "synchronize"}


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers_for(event: str, body: bytes, **extra: str) -> dict[str, str]:
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": sign(body), **extra}


def load(event: str, name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((EXAMPLES / event / name).read_text(encoding="utf-8"))
    return payload


def delivery(event: str, payload: dict[str, Any]) -> Delivery:
    body = json.dumps(payload).encode()
    return parse_delivery(headers_for(event, body), body, secret=SECRET)


def expected_type(event: str, payload: dict[str, Any]) -> type:
    action = payload.get("action")
    if event == "ping":
        return Pong
    if event.startswith("installation"):
        return RecordInstallation
    if event == "pull_request" and action in REVIEWED and not payload["pull_request"]["draft"]:
        return ReviewPull
    if event == "pull_request" and action == "closed":
        return PullStateChanged
    if event == "pull_request_review_thread":
        return ThreadChanged
    if event == "pull_request_review_comment" and action == "created" and payload["comment"].get("in_reply_to_id"):
        return ReplyPosted
    return Ignore  # every issue_comment example is on an issue, not a pull request; no example comment is a reply


EXAMPLE_FILES = [(event, path.name) for event in EVENTS for path in sorted((EXAMPLES / event).glob("*.json"))]


# --- signatures ----------------------------------------------------------------------------------------------


def test_signature_of_github_docs_example_verifies() -> None:
    # The worked example from https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    verify_signature(b"Hello, World!", signature=expected, secret=SECRET)


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        pytest.param(None, "missing X-Hub-Signature-256", id="missing"),
        pytest.param(sign(b"other body"), "does not match", id="bad-digest"),
        pytest.param(sign(b"body", "other secret"), "does not match", id="wrong-secret"),
        pytest.param("sha1=" + hashlib.sha1(b"body").hexdigest(), "sha256=<hex>", id="wrong-prefix"),
        pytest.param(sign(b"body").removeprefix("sha256="), "sha256=<hex>", id="no-prefix"),
        pytest.param("sha256=é", "does not match", id="non-ascii"),
    ],
)
def test_bad_signature_is_refused_with_401(signature: str | None, message: str) -> None:
    with pytest.raises(WebhookError, match=message) as caught:
        verify_signature(b"body", signature=signature, secret=SECRET)
    assert caught.value.status == 401


def test_empty_secret_refuses_even_a_matching_signature() -> None:
    with pytest.raises(WebhookError) as caught:
        verify_signature(b"body", signature=sign(b"body", ""), secret="")
    assert caught.value.status == 401


# --- parsing -------------------------------------------------------------------------------------------------


def test_parse_reads_event_delivery_id_action_and_payload() -> None:
    body = json.dumps({"action": "opened", "x": 1}).encode()
    parsed = parse_delivery(headers_for("pull_request", body), body, secret=SECRET)
    assert parsed == Delivery("pull_request", "d-1", "opened", {"action": "opened", "x": 1})


def test_header_names_are_case_insensitive() -> None:
    body = b"{}"
    headers = {key.lower(): value for key, value in headers_for("ping", body).items()}
    assert parse_delivery(headers, body, secret=SECRET).event == "ping"


@pytest.mark.parametrize(
    ("drop", "status"),
    [
        pytest.param("X-GitHub-Event", 400, id="no-event"),
        pytest.param("X-GitHub-Delivery", 400, id="no-delivery-id"),
        pytest.param("X-Hub-Signature-256", 401, id="no-signature"),
    ],
)
def test_missing_header_is_refused(drop: str, status: int) -> None:
    headers = headers_for("ping", b"{}")
    del headers[drop]
    with pytest.raises(WebhookError, match=drop if status == 400 else "missing") as caught:
        parse_delivery(headers, b"{}", secret=SECRET)
    assert caught.value.status == status


def test_oversize_body_is_refused_with_413_before_anything_else() -> None:
    body = b"x" * 101
    with pytest.raises(WebhookError, match="over the limit") as caught:
        parse_delivery({}, body, secret=SECRET, max_bytes=100)
    assert caught.value.status == 413


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[1, 2]", id="array"),
        pytest.param(b'"text"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(b"not json", id="garbage"),
        pytest.param(b"\xff\xfe{", id="invalid-utf8"),
        pytest.param(b"", id="empty"),
    ],
)
def test_body_that_is_not_a_json_object_is_refused_with_400(body: bytes) -> None:
    with pytest.raises(WebhookError) as caught:
        parse_delivery(headers_for("ping", body), body, secret=SECRET)
    assert caught.value.status == 400


def test_signature_is_checked_before_json() -> None:
    with pytest.raises(WebhookError) as caught:
        parse_delivery(headers_for("ping", b"{}"), b"garbage", secret=SECRET)
    assert caught.value.status == 401


# --- routing of the real examples ----------------------------------------------------------------------------


@pytest.mark.parametrize(("event", "name"), [pytest.param(*pair, id="/".join(pair)) for pair in EXAMPLE_FILES])
def test_every_payload_example_routes_to_the_right_decision(event: str, name: str) -> None:
    payload = load(event, name)
    assert type(route(delivery(event, payload))) is expected_type(event, payload)


def test_examples_cover_every_decision_type() -> None:
    assert {expected_type(event, load(event, name)) for event, name in EXAMPLE_FILES} == {
        ReviewPull,
        Ignore,
        RecordInstallation,
        Pong,
        PullStateChanged,
        ThreadChanged,
    }


def test_opened_pull_request_names_repo_number_head_title_and_default_branch() -> None:
    payload = load("pull_request", "opened.payload.json")
    decision = route(delivery("pull_request", payload))
    assert decision == ReviewPull(
        installation_id=1,
        owner="Codertocat",
        repo="Hello-World",
        number=2,
        head_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        action="opened",
        title="Update the README with new information.",
        body=payload["pull_request"]["body"],
        default_branch="master",
        author="Codertocat",
    )


def test_a_null_pull_request_body_reads_as_empty() -> None:
    decision = route(delivery("pull_request", load("pull_request", "opened.with-null-body.json")))
    assert isinstance(decision, ReviewPull) and decision.body == ""


def test_untrusted_authors_cannot_start_a_costly_review() -> None:
    payload = load("issue_comment", "created.payload.json")
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/1"}
    payload["comment"]["body"] = "/arena review"
    payload["comment"]["author_association"] = "NONE"
    decision = route(delivery("issue_comment", payload))
    assert isinstance(decision, Ignore) and "write access" in decision.reason


def test_repository_webhook_without_installation_still_reviews() -> None:
    decision = route(delivery("pull_request", load("pull_request", "ready_for_review.payload.json")))
    assert isinstance(decision, ReviewPull) and decision.installation_id is None


def test_draft_is_skipped_unless_asked() -> None:
    payload = load("pull_request", "opened.payload.json")
    payload["pull_request"]["draft"] = True
    assert route(delivery("pull_request", payload)) == Ignore("pull request is a draft")
    assert isinstance(route(delivery("pull_request", payload), review_drafts=True), ReviewPull)


def test_ready_for_review_reviews_even_if_payload_says_draft() -> None:
    payload = load("pull_request", "ready_for_review.with-installation.payload.json")
    payload["pull_request"]["draft"] = True
    assert isinstance(route(delivery("pull_request", payload)), ReviewPull)


def test_review_actions_are_configurable() -> None:
    payload = load("pull_request", "ready_for_review.payload.json")
    assert isinstance(route(delivery("pull_request", payload), review_actions=frozenset({"opened"})), Ignore)


def test_a_push_that_starts_no_review_is_still_tracked_for_acceptance() -> None:
    payload = load("pull_request", "synchronize.payload.json")
    decision = route(delivery("pull_request", payload), review_actions=frozenset({"opened"}))
    assert decision == PushTracked(
        installation_id=1,
        owner="Codertocat",
        repo="Hello-World",
        number=2,
        author="Codertocat",
        before=payload["before"],
        after=payload["after"],
    )


def test_a_reviewed_push_carries_the_previous_head() -> None:
    payload = load("pull_request", "synchronize.payload.json")
    decision = route(delivery("pull_request", payload))
    assert isinstance(decision, ReviewPull)
    assert (decision.action, decision.before) == ("synchronize", payload["before"])


def test_malformed_pull_request_payload_is_a_400() -> None:
    payload = load("pull_request", "opened.payload.json")
    del payload["pull_request"]["head"]["sha"]
    with pytest.raises(WebhookError, match=r"pull_request\.head\.sha") as caught:
        route(delivery("pull_request", payload))
    assert caught.value.status == 400


def test_unknown_event_is_ignored() -> None:
    assert isinstance(route(delivery("check_run", load("check_run", "created.payload.json"))), Ignore)


# --- /arena commands -----------------------------------------------------------------------------------------


def pr_comment(body: str, *, user_type: str = "User", action: str = "created") -> dict[str, Any]:
    """A real issue_comment example moved onto a pull request, with the given comment body."""
    payload = copy.deepcopy(load("issue_comment", "created.with-installation.payload.json"))
    payload["action"] = action
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
    payload["comment"]["body"] = body
    payload["comment"]["user"]["type"] = user_type
    return payload


def test_arena_command_on_a_pull_request_becomes_a_command() -> None:
    payload = pr_comment("/arena review deepseek openai\nplease")
    assert route(delivery("issue_comment", payload)) == Command(
        name="review",
        args=("deepseek", "openai"),
        installation_id=1,
        owner="Codertocat",
        repo="Hello-World",
        number=payload["issue"]["number"],
        comment_id=payload["comment"]["id"],
        author="Codertocat",
        author_association="OWNER",
    )


def test_stats_command_without_args() -> None:
    decision = route(delivery("issue_comment", pr_comment("/arena stats ")))
    assert isinstance(decision, Command) and (decision.name, decision.args) == ("stats", ())


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(pr_comment("/arena review", user_type="Bot"), "bot", id="bot-author"),
        pytest.param(pr_comment("/arena review", action="edited"), "action", id="edited"),
        pytest.param(pr_comment("/arena dance"), "unknown /arena command", id="unknown-command"),
        pytest.param(pr_comment("please /arena review"), "not an /arena command", id="not-at-start"),
        pytest.param(pr_comment("/arenareview"), "not an /arena command", id="no-space"),
        pytest.param(load("issue_comment", "created.payload.json"), "not a pull request", id="issue-not-pr"),
    ],
)
def test_comments_that_are_not_commands_are_ignored(payload: dict[str, Any], reason: str) -> None:
    decision = route(delivery("issue_comment", payload))
    assert isinstance(decision, Ignore) and reason in decision.reason


# --- installations and ping ----------------------------------------------------------------------------------


def test_installation_created_records_its_repositories() -> None:
    decision = route(delivery("installation", load("installation", "created.payload.json")))
    assert decision == RecordInstallation(
        event="installation",
        action="created",
        installation_id=957387,
        account="Codertocat",
        repositories_added=("Codertocat/Hello-World",),
    )


def test_installation_repositories_removed_lists_removed() -> None:
    payload = load("installation_repositories", "removed.payload.json")
    decision = route(delivery("installation_repositories", payload))
    assert isinstance(decision, RecordInstallation)
    assert decision.repositories_removed == tuple(r["full_name"] for r in payload["repositories_removed"])
    assert decision.repositories_added == ()


def test_ping_carries_the_hook_id() -> None:
    assert route(delivery("ping", load("ping", "with-app_id.payload.json"))) == Pong(109948940)
