"""Acceptance tracking end to end on the real stack: signed deliveries built from GitHub's example payloads
(``pull_request_review_thread/resolved``, ``pull_request_review_comment/created`` as a reply,
``pull_request/synchronize``, ``pull_request/closed``) go to the real receiver; real Celery workers on real Redis
record the signals, poll reactions from the fake GitHub, compare pushes and store verdicts in SQLite."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import DIFFS, WEBHOOKS
from tests.fakes.github_models import ReviewComment
from tests.fakes.github_rules import create_review_comment, human_reply
from tests.stack import ArenaStack, wait_until

pytestmark = pytest.mark.slow


def example(event: str, name: str) -> dict[str, Any]:
    return json.loads((WEBHOOKS / event / name).read_text(encoding="utf-8"))


OPENED = example("pull_request", "opened.payload.json")
OWNER, REPO = OPENED["repository"]["owner"]["login"], OPENED["repository"]["name"]
NUMBER, HEAD = OPENED["number"], OPENED["pull_request"]["head"]["sha"]
AUTHOR = OPENED["pull_request"]["user"]["login"]
DIFF = (DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff").read_text(encoding="utf-8")
NEW_HEAD = "f" * 40
MAINTAINER, STRANGER, MALLORY = "maint", "drive-by", "mallory"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ArenaStack]:
    with ArenaStack(tmp_path, redis_db=14) as arena:
        arena.github.add_installation(OWNER, installation_id=OPENED["installation"]["id"])
        arena.github.add_pull_request(
            OWNER, REPO, NUMBER, DIFF, head_sha=HEAD, title=OPENED["pull_request"]["title"], user=AUTHOR
        )
        arena.github.state.set_author_association(OWNER, REPO, MAINTAINER, "MEMBER")
        arena.github.state.set_author_association(OWNER, REPO, STRANGER, "NONE")
        arena.github.state.set_author_association(OWNER, REPO, MALLORY, "CONTRIBUTOR")
        arena.start_worker()
        arena.start_receiver()
        yield arena
        assert arena.github.schema_violations == []


def rows(stack: ArenaStack, sql: str) -> list[tuple[Any, ...]]:
    path = stack.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def signals(stack: ArenaStack) -> list[tuple[Any, ...]]:
    """(comment github id, kind, actor, association, retracted) for every stored signal."""
    return rows(
        stack,
        "SELECT c.github_id, s.kind, s.actor, s.actor_association, s.retracted_at IS NOT NULL "
        "FROM signals s JOIN comments c ON c.id = s.comment_id ORDER BY c.github_id, s.kind, s.actor",
    )


def verdicts(stack: ArenaStack) -> dict[int, tuple[str, str]]:
    found = rows(stack, "SELECT c.github_id, v.verdict, v.rule FROM verdicts v JOIN comments c ON c.id = v.comment_id")
    return {gid: (verdict, rule) for gid, verdict, rule in found if gid is not None}


def bot_comments(stack: ArenaStack) -> list[ReviewComment]:
    comments = stack.github.state.comments_of(OWNER, REPO, NUMBER)
    return [c for c in comments if c.user.type == "Bot" and c.in_reply_to_id is None]


def with_pull(payload: dict[str, Any], *, head: str = HEAD) -> dict[str, Any]:
    """An example payload pointed at the test's pull request (closed now, if it is closed)."""
    found = copy.deepcopy(payload)
    if found["pull_request"].get("closed_at"):
        found["pull_request"]["closed_at"] = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    found["installation"] = OPENED["installation"]
    found["repository"] = OPENED["repository"]
    found["pull_request"]["number"] = NUMBER
    found["pull_request"]["user"] = OPENED["pull_request"]["user"]
    found["pull_request"]["head"]["sha"] = head
    return found


def stats_replies(stack: ArenaStack) -> list[str]:
    comments = stack.github.state.issue_comments_of(OWNER, REPO, NUMBER)
    return [c.body for c in comments if c.body.startswith("### Review Arena statistics")]


def rest(stack: ArenaStack, comment: ReviewComment) -> dict[str, Any]:
    return stack.github.renderer.review_comment(comment)


def thread_event(stack: ArenaStack, root: ReviewComment, *, by: str, action: str = "resolved") -> dict[str, Any]:
    payload = with_pull(example("pull_request_review_thread", f"{action}.payload.json"))
    payload["thread"] = {"node_id": root.thread_id, "comments": [rest(stack, root)]}
    payload["sender"] = {**payload["sender"], "login": by}
    return payload


def reply_event(stack: ArenaStack, reply: ReviewComment) -> dict[str, Any]:
    payload = with_pull(example("pull_request_review_comment", "created.payload.json"))
    payload["comment"] = rest(stack, reply)
    return payload


def deliver_twice(stack: ArenaStack, client: httpx.Client, event: str, payload: dict[str, Any]) -> None:
    """Once, a redelivery (same id: a no-op at the receiver), and a second event with a new id (a no-op in SQL)."""
    name = f"{event}-{payload['action']}"
    assert stack.deliver(client, event, payload, delivery=f"{name}-1").status_code == 202
    assert stack.deliver(client, event, payload, delivery=f"{name}-1").status_code == 200
    assert stack.deliver(client, event, payload, delivery=f"{name}-2").status_code == 202


def change_line(path: str, line: int) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -{line} +{line} @@\n-old\n+new\n"


def covers(comment: ReviewComment, path: str, line: int) -> bool:
    start = comment.start_line or comment.line or 0
    return comment.side == "RIGHT" and comment.path == path and start <= line <= (comment.line or 0)


def reviewed(stack: ArenaStack, client: httpx.Client) -> list[ReviewComment]:
    assert stack.deliver(client, "pull_request", OPENED).status_code == 202
    wait_until(lambda: len(stack.reviews_by_contender(OWNER, REPO, NUMBER)) == 2, seconds=120, what="both reviews")
    found = bot_comments(stack)
    assert len(found) >= 3, "the fake models' reviews should leave at least three inline comments"
    return found


def test_every_signal_source_is_recorded_once_and_decides_the_verdicts(stack: ArenaStack) -> None:
    with httpx.Client(timeout=10) as client:
        found = reviewed(stack, client)
        changed = next(c for c in found if c.side == "RIGHT")
        touched = [c for c in found if covers(c, changed.path, changed.line or 0)]  # an agreeing contender's too
        resolved, commanded, *_ = [c for c in found if c not in touched]

        deliver_twice(stack, client, "pull_request_review_thread", thread_event(stack, resolved, by=MAINTAINER))
        reply = human_reply(stack.github.state, OWNER, REPO, NUMBER, commanded.id, "/arena accept", user=MAINTAINER)
        deliver_twice(stack, client, "pull_request_review_comment", reply_event(stack, reply))
        wait_until(lambda: len(signals(stack)) >= 2, seconds=60, what="the thread and reply signals")

        state = stack.github.state
        state.add_reaction("pull_comment", resolved.id, "+1", user=MAINTAINER)
        state.add_reaction("pull_comment", resolved.id, "+1", user=STRANGER)
        state.add_reaction("pull_comment", commanded.id, "-1", user=state.bot_user().login)
        state.push_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=NEW_HEAD)
        stack.github.state.add_compare(OWNER, REPO, HEAD, NEW_HEAD, change_line(changed.path, changed.line or 1))
        push = with_pull(example("pull_request", "synchronize.payload.json"), head=NEW_HEAD)
        push.update(before=HEAD, after=NEW_HEAD)
        deliver_twice(stack, client, "pull_request", push)
        wait_until(lambda: any(kind == "lines_changed" for _, kind, *_ in signals(stack)), seconds=90, what="the push")

        closed = with_pull(example("pull_request", "closed.payload.json"), head=NEW_HEAD)
        closed["pull_request"]["merged"] = True
        deliver_twice(stack, client, "pull_request", closed)
        wait_until(lambda: rows(stack, "SELECT state FROM pull_requests") == [("merged",)], seconds=60, what="merge")
        wait_until(lambda: len(signals(stack)) >= 5 + len(touched), seconds=60, what="the polled reactions")
        wait_until(lambda: verdicts(stack).get(resolved.id, ("",))[0] == "accepted", seconds=60, what="verdicts")

    assert signals(stack) == sorted(
        [
            (resolved.id, "resolved", MAINTAINER, "COLLABORATOR", 0),
            (resolved.id, "thumbs_up", MAINTAINER, "COLLABORATOR", 0),
            (resolved.id, "thumbs_up", STRANGER, "NONE", 0),
            (commanded.id, "accept_command", MAINTAINER, "MEMBER", 0),
            (commanded.id, "thumbs_down", state.bot_user().login, "NONE", 0),
            *((c.id, "lines_changed", "", "", 0) for c in touched),
        ],
        key=lambda r: (r[0], r[1], r[2]),
    )
    found_verdicts = verdicts(stack)
    assert found_verdicts[resolved.id] == ("accepted", "reaction")
    assert found_verdicts[commanded.id] == ("accepted", "command")
    assert {found_verdicts[c.id] for c in touched} == {("addressed", "lines")}
    decided = {resolved.id, commanded.id, *(c.id for c in touched)}
    others = {gid: v for gid, v in verdicts(stack).items() if gid not in decided}
    assert all(v == ("pending", "open") for v in others.values())


def test_a_copied_marker_a_strangers_thumbs_up_and_the_bots_reaction_move_nothing(stack: ArenaStack) -> None:
    with httpx.Client(timeout=10) as client:
        first, second, *_ = reviewed(stack, client)
        state = stack.github.state
        copied = create_review_comment(
            state,
            state.pull(OWNER, REPO, NUMBER),
            state.user(MALLORY),
            {"body": f"me too\n{first.body}", "commit_id": HEAD, "path": first.path, "line": first.line},
        )
        deliver_twice(stack, client, "pull_request_review_thread", thread_event(stack, copied, by=MAINTAINER))
        reply = human_reply(state, OWNER, REPO, NUMBER, copied.id, "/arena accept", user=MAINTAINER)
        deliver_twice(stack, client, "pull_request_review_comment", reply_event(stack, reply))
        state.add_reaction("pull_comment", copied.id, "+1", user=MAINTAINER)
        state.add_reaction("pull_comment", first.id, "+1", user=STRANGER)
        state.add_reaction("pull_comment", second.id, "+1", user=state.bot_user().login)
        closed = with_pull(example("pull_request", "closed.payload.json"))
        deliver_twice(stack, client, "pull_request", closed)
        wait_until(lambda: rows(stack, "SELECT state FROM pull_requests") == [("closed",)], seconds=60, what="close")
        wait_until(lambda: len(signals(stack)) >= 2, seconds=60, what="the polled reactions")
        count = len(bot_comments(stack))
        wait_until(lambda: len(verdicts(stack)) == count, seconds=60, what="a verdict for every comment")

        ask = example("issue_comment", "created.payload.json")
        ask.update(installation=OPENED["installation"], repository=OPENED["repository"])
        ask["issue"] = {**ask["issue"], "number": NUMBER, "pull_request": {"url": "https://example.invalid"}}
        ask["comment"] = {**ask["comment"], "body": "/arena stats"}
        assert stack.deliver(client, "issue_comment", ask).status_code == 202
        wait_until(lambda: stats_replies(stack) != [], seconds=60, what="the /arena stats reply")

    assert "| deepseek |" in stats_replies(stack)[0] and "| openai |" in stats_replies(stack)[0]
    assert {gid for gid, *_ in signals(stack)} == {first.id, second.id}
    assert copied.id not in {gid for (gid,) in rows(stack, "SELECT github_id FROM comments")}
    assert set(verdicts(stack).values()) == {("pending", "open")}
