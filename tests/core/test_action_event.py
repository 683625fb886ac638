"""Specification of ``bot.core.action_event``: which pull request an Actions event asks to review, the fork flag,
the comment cap (``bot.core.posting.cap_inline``) and the job summary."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot.core.action_event import Posting, ReviewTarget, Skip, fork_notice, review_summary, target_of
from bot.core.outcome import ArenaReport, Skipped
from bot.core.posting import cap_inline
from tests.conftest import WEBHOOKS
from tests.core.test_summary import finding, in_body, inline, outcome


def example(event: str, name: str) -> dict[str, Any]:
    return json.loads((WEBHOOKS / event / name).read_text(encoding="utf-8"))


OPENED = example("pull_request", "opened.payload.json")


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"])
def test_an_opened_pull_request_is_reviewed_at_its_head(event: str) -> None:
    target = target_of(event, OPENED)

    assert target == ReviewTarget("Codertocat", "Hello-World", 2, OPENED["pull_request"]["head"]["sha"], False)


def test_a_pull_request_from_a_fork_is_flagged() -> None:
    fork = copy.deepcopy(OPENED)
    fork["pull_request"]["head"]["repo"]["full_name"] = "someone-else/Hello-World"

    target = target_of("pull_request", fork)

    assert isinstance(target, ReviewTarget) and target.from_fork


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        pytest.param("push", {}, "does not review", id="other-event"),
        pytest.param("pull_request", example("pull_request", "closed.payload.json"), "asks for no review", id="closed"),
        pytest.param("pull_request", example("pull_request", "labeled.payload.json"), "does not start", id="labeled"),
        pytest.param("issue_comment", example("issue_comment", "created.payload.json"), "not a pull", id="on-issue"),
    ],
)
def test_events_that_ask_for_no_review_say_why(event: str, payload: dict[str, Any], reason: str) -> None:
    target = target_of(event, payload)

    assert isinstance(target, Skip) and reason in target.reason


def command(body: str, association: str) -> dict[str, Any]:
    payload = example("issue_comment", "created.payload.json")
    payload["issue"] = {**payload["issue"], "pull_request": {"url": "https://example.invalid"}}
    payload["comment"] = {**payload["comment"], "body": body, "author_association": association}
    return payload


def test_arena_review_from_a_member_reviews_the_current_head() -> None:
    payload = command("/arena review", "MEMBER")

    target = target_of("issue_comment", payload)

    assert isinstance(target, ReviewTarget)
    assert (target.head_sha, target.comment_id) == (None, payload["comment"]["id"])


def test_arena_review_from_someone_without_write_access_is_refused() -> None:
    target = target_of("issue_comment", command("/arena review", "NONE"))

    assert isinstance(target, Skip) and "write access" in target.reason


def test_a_draft_is_skipped_unless_drafts_are_reviewed() -> None:
    draft = copy.deepcopy(OPENED)
    draft["pull_request"]["draft"] = True

    assert isinstance(target_of("pull_request", draft), Skip)
    assert isinstance(target_of("pull_request", draft, review_drafts=True), ReviewTarget)


def test_the_comment_cap_keeps_the_most_severe_inline_and_moves_the_rest_to_the_body() -> None:
    low, critical, medium = (
        finding(10, severity="low"),
        finding(11, severity="critical"),
        finding(12, severity="medium"),
    )
    capped = cap_inline(outcome(inline(low), inline(critical), inline(medium), in_body(finding(99))), 1)

    placements = [(f.finding.line, f.placement.kind, f.placement.reason) for f in capped.findings]
    reason = "over the cap of 1 inline comment per contender"
    assert placements == [
        (10, "body", reason),
        (11, "inline", None),
        (12, "body", reason),
        (99, "body", placements[3][2]),
    ]
    assert len(capped.findings) == 4  # nothing is dropped


def test_no_cap_or_a_cap_above_the_count_changes_nothing() -> None:
    original = outcome(inline(finding(10)), inline(finding(11)))

    assert cap_inline(original, None) is original
    assert cap_inline(original, 2) is original


def test_the_summary_has_a_section_per_contender_with_its_numbers_and_the_files_left_out() -> None:
    o = outcome(inline(finding(10)), in_body(finding(99)))
    report = ArenaReport("ab" * 20, "o/r#1", "review-v1", ("app.py",), (Skipped("yarn.lock", "lockfile"),), (), (o,))

    text = review_summary(report, [Posting("deepseek", 77, 1, 0)], order=["deepseek"], seed=5, url="https://x/pull/1")

    assert f"### {o.contender.label}" in text
    assert "| findings | 2 (1 inline, 1 in the review body) |" in text
    assert "12,345 in · 2,000 cached · 3,456 out · 1,200 reasoning" in text
    assert "| cost | $0.0123 |" in text and f"`{o.model}`" in text
    assert "[review 77](https://x/pull/1#pullrequestreview-77) with 1 inline comment(s)" in text
    assert "| `yarn.lock` | lockfile |" in text and "(seed 5)" in text


def test_the_fork_notice_names_the_missing_keys_and_the_safe_alternatives() -> None:
    text = fork_notice(ReviewTarget("o", "r", 3, "a" * 40, True), ["DEEPSEEK_API_KEY (contender deepseek)"])

    assert "nothing posted on #3" in text and "DEEPSEEK_API_KEY" in text
    assert "pull_request_target" in text and "/arena review" in text
