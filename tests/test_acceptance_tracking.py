"""Specification of ``bot.acceptance_tracking.Tracker``: what a poll, a thread event, a reply and a push record,
against the fake GitHub over HTTP (through ``GithubActivity``) and a SQLite store, on a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.acceptance_store import SqlAcceptanceStore
from bot.acceptance_tracking import Tracker
from bot.core.config import AcceptanceConfig
from bot.database import make_engine
from bot.github import token_client
from bot.github_activity import GithubActivity, review_comment_of
from bot.migrate import upgrade
from bot.runs import PostedComment
from bot.storage import SqlStore
from tests.acceptance_seed import AUTHOR, HEAD, NUMBER, OWNER, PULL, REPO, T0, Clock, finding, post_run, pull_row
from tests.acceptance_seed import signals as rows
from tests.acceptance_seed import verdicts as stored_verdicts
from tests.fakes import github_rules as rules
from tests.fakes.github_models import ReviewComment
from tests.fakes.github_server import FakeGitHubServer

APP_PY = [
    "def total(items):",
    "    result = 0",
    "    for item in items:",
    "        result += item.price",
    "    return result",
    "",
    "def count(items):",
    "    return len(items)",
]
DIFF = "diff --git a/app.py b/app.py\nnew file mode 100644\n--- /dev/null\n+++ b/app.py\n@@ -0,0 +1,8 @@\n" + "".join(
    f"+{line}\n" for line in APP_PY
)
SUGGESTED = "        result += item.price * item.quantity\n"
APPLIED = (  # the suggestion on line 4, as GitHub's compare shows it
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -3,3 +3,3 @@ def total(items):\n"
    "     for item in items:\n-        result += item.price\n+        result += item.price * item.quantity\n"
    "     return result\n"
)
ELSEWHERE = (  # a change to line 8 only
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -7,2 +7,2 @@\n"
    " def count(items):\n-    return len(items)\n+    return sum(1 for _ in items)\n"
)
AFTER = "f" * 40
MAINTAINER, STEWARD, READER = "maint", "steward", "reader"
FP_A, FP_B, FP_C = "a" * 16, "b" * 16, "c" * 16


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        fake.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD, user=AUTHOR)
        fake.state.set_role(OWNER, REPO, MAINTAINER, "write")
        fake.state.set_author_association(OWNER, REPO, MAINTAINER, "MEMBER")
        fake.state.set_role(OWNER, REPO, STEWARD, "maintain")
        fake.state.set_role(OWNER, REPO, AUTHOR, "write")  # the author's own thumbs never count, write access or not
        fake.state.user(READER)
        yield fake
        assert fake.schema_violations == []


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'arena.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tracker(server: FakeGitHubServer, engine: Engine, clock: Clock) -> Iterator[Tracker]:
    gh = token_client("t", api_url=server.api_url)
    yield Tracker(SqlAcceptanceStore(engine, now=clock), GithubActivity(gh), AcceptanceConfig(), now=clock)
    gh.close()


@pytest.fixture
def posted(server: FakeGitHubServer, engine: Engine, clock: Clock) -> dict[str, ReviewComment]:
    """The bot's review: three findings on app.py (lines 4, 2 and 8; the first with a suggestion), stored too."""
    return post_review(
        server, engine, clock, [finding(FP_A, suggestion=SUGGESTED), finding(FP_B, line=2), finding(FP_C, line=8)]
    )


def post_review(
    server: FakeGitHubServer, engine: Engine, clock: Clock, findings: list[PostedComment]
) -> dict[str, ReviewComment]:
    state = server.state
    specs = [{"path": f.path, "line": f.line, "side": f.side, "body": body_of(f)} for f in findings]
    review = rules.create_review(
        state,
        state.pull(OWNER, REPO, NUMBER),
        state.bot_user(),
        {"event": "COMMENT", "body": "Summary", "comments": specs},
    )
    post_run(SqlStore(engine, now=clock), findings)
    comments = [c for c in state.review_comments if c.review_id == review.id]
    return {f.fingerprint: c for f, c in zip(findings, comments, strict=True)}


def body_of(f: PostedComment) -> str:
    suggestion = "" if f.suggestion is None else f"\n```suggestion\n{f.suggestion}```\n"
    return f"**deepseek** · high · bug\n\nA finding.{suggestion}\n{f.marker}"


def react(server: FakeGitHubServer, comment: ReviewComment, content: str, user: str) -> None:
    server.state.add_reaction("pull_comment", comment.id, content, user=user)


# ---- polls ------------------------------------------------------------------------------------------------------
def test_a_poll_links_the_bots_comments_by_their_marker(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer
) -> None:
    rules.human_reply(server.state, OWNER, REPO, NUMBER, posted[FP_A].id, f"copy: {posted[FP_B].body}", user=READER)

    assert tracker.poll(PULL) == {"pending": 3}
    linked = {c.fingerprint: c.github_id for c in tracker.store.tracked_comments(PULL)}
    assert linked == {fp: c.id for fp, c in posted.items()}


@pytest.mark.parametrize(
    ("user", "content", "association", "verdict"),
    [
        (OWNER, "+1", "OWNER", ("accepted", "reaction")),
        (MAINTAINER, "+1", "COLLABORATOR", ("accepted", "reaction")),
        (STEWARD, "-1", "COLLABORATOR", ("rejected", "reaction")),
        (READER, "+1", "NONE", ("pending", "open")),
        (AUTHOR, "+1", "COLLABORATOR", ("pending", "open")),
        ("review-arena[bot]", "-1", "NONE", ("pending", "open")),
    ],
    ids=["owner", "write", "maintain", "read", "pull-request-author", "the-bot"],
)
def test_thumbs_are_recorded_with_an_association_from_the_collaborator_permission(
    tracker: Tracker,
    posted: dict[str, ReviewComment],
    server: FakeGitHubServer,
    engine: Engine,
    user: str,
    content: str,
    association: str,
    verdict: tuple[str, str],
) -> None:
    react(server, posted[FP_A], content, user)
    react(server, posted[FP_A], "heart", MAINTAINER)

    tracker.poll(PULL)

    kind = "thumbs_up" if content == "+1" else "thumbs_down"
    assert rows(engine) == [(FP_A, kind, user, association, "", False)]
    assert stored_verdicts(engine)[FP_A] == verdict


def test_a_reaction_removed_on_github_is_retracted_at_the_next_poll(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer, engine: Engine
) -> None:
    react(server, posted[FP_A], "+1", MAINTAINER)
    tracker.poll(PULL)
    assert stored_verdicts(engine)[FP_A] == ("accepted", "reaction")
    with server.state.lock:
        server.state.reactions.clear()

    tracker.poll(PULL)

    assert rows(engine) == [(FP_A, "thumbs_up", MAINTAINER, "COLLABORATOR", "", True)]
    assert stored_verdicts(engine)[FP_A] == ("pending", "open")


def test_only_comments_with_thumbs_in_their_rollup_cost_a_reactions_request(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer
) -> None:
    react(server, posted[FP_A], "+1", MAINTAINER)
    react(server, posted[FP_B], "laugh", MAINTAINER)

    tracker.poll(PULL)

    assert [r.path for r in server.requests_to("GET", r"/reactions$")] == [
        f"/repos/{OWNER}/{REPO}/pulls/comments/{posted[FP_A].id}/reactions"
    ]


def test_replies_are_recorded_once_however_often_polled(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer, engine: Engine
) -> None:
    for fp, body in ((FP_A, "/arena reject"), (FP_B, "No, this is intended."), (FP_C, "Let me look at it.")):
        rules.human_reply(server.state, OWNER, REPO, NUMBER, posted[fp].id, body, user=MAINTAINER)

    tracker.poll(PULL)
    tracker.poll(PULL)

    assert rows(engine) == [
        (FP_A, "reject_command", MAINTAINER, "MEMBER", "", False),
        (FP_B, "reply", MAINTAINER, "MEMBER", "negative", False),
        (FP_C, "reply", MAINTAINER, "MEMBER", "neutral", False),
    ]
    assert stored_verdicts(engine) == {
        FP_A: ("rejected", "command"),
        FP_B: ("pending", "open"),
        FP_C: ("pending", "open"),
    }


def test_a_reply_event_links_the_comment_it_answers_first(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer, engine: Engine
) -> None:
    reply = rules.human_reply(server.state, OWNER, REPO, NUMBER, posted[FP_B].id, "/arena accept", user=MAINTAINER)

    assert tracker.reply(PULL, review_comment_of(server.renderer.review_comment(reply)))
    assert tracker.reply(PULL, review_comment_of(server.renderer.review_comment(reply)))

    assert rows(engine) == [(FP_B, "accept_command", MAINTAINER, "MEMBER", "", False)]
    assert stored_verdicts(engine)[FP_B] == ("accepted", "command")


# ---- threads ----------------------------------------------------------------------------------------------------
def test_a_thread_on_the_bots_comment_is_resolved_then_unresolved(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer, engine: Engine, clock: Clock
) -> None:
    root = review_comment_of(server.renderer.review_comment(posted[FP_A]))
    thread = posted[FP_A].thread_id

    assert tracker.thread(PULL, thread_id=thread, root=root, resolved=True, by=MAINTAINER)
    assert rows(engine) == [(FP_A, "resolved", MAINTAINER, "COLLABORATOR", "", False)]
    clock.at = T0 + timedelta(hours=1)
    assert tracker.thread(PULL, thread_id=thread, root=root, resolved=False, by=READER)
    assert rows(engine) == [(FP_A, "resolved", MAINTAINER, "COLLABORATOR", "", True)]


def test_a_thread_on_a_persons_comment_with_a_copied_marker_is_not_the_bots(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer, engine: Engine
) -> None:
    state = server.state
    copied = rules.create_review_comment(
        state,
        state.pull(OWNER, REPO, NUMBER),
        state.user(READER),
        {"body": f"me too\n{posted[FP_A].body}", "commit_id": HEAD, "path": "app.py", "line": 4},
    )
    root = review_comment_of(server.renderer.review_comment(copied))

    assert not tracker.thread(PULL, thread_id=copied.thread_id, root=root, resolved=True, by=MAINTAINER)
    assert rows(engine) == []
    assert all(c.github_id is None for c in tracker.store.tracked_comments(PULL))


# ---- pushes -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "how"),
    [
        ("Apply suggestions from code review\n\nCo-authored-by: deepseek <bot@example.com>", "apply-commit"),
        ("Multiply by the quantity", "content"),
    ],
    ids=["apply-suggestion-commit", "same-content-by-hand"],
)
def test_a_push_that_applies_the_suggestion_accepts_the_finding(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer, engine: Engine, message: str, how: str
) -> None:
    server.state.add_commit(OWNER, REPO, AFTER, APPLIED, message=message, parents=[HEAD])
    server.state.add_compare(OWNER, REPO, HEAD, AFTER, APPLIED)

    tracker.push(PULL, after=AFTER)

    assert rows(engine) == [
        (FP_A, "lines_changed", "", "", "", False),
        (FP_A, "suggestion_applied", "", "", how, False),
    ]
    assert stored_verdicts(engine) == {
        FP_A: ("accepted", "suggestion"),
        FP_B: ("pending", "open"),
        FP_C: ("pending", "open"),
    }


def test_a_push_that_changes_other_lines_records_nothing_for_the_finding(
    tracker: Tracker, server: FakeGitHubServer, engine: Engine, clock: Clock
) -> None:
    post_review(server, engine, clock, [finding(FP_A, suggestion=SUGGESTED)])
    server.state.add_commit(OWNER, REPO, AFTER, ELSEWHERE, message="Count lazily", parents=[HEAD])
    server.state.add_compare(OWNER, REPO, HEAD, AFTER, ELSEWHERE)

    tracker.push(PULL, after=AFTER)

    assert rows(engine) == []
    assert pull_row(engine)["last_pushed_at"] == T0


def test_a_force_push_that_github_cannot_compare_records_nothing(
    tracker: Tracker, posted: dict[str, ReviewComment], server: FakeGitHubServer, engine: Engine
) -> None:
    assert tracker.push(PULL, after=AFTER) == {"pending": 3}

    assert server.count_requests("GET", r"/compare/") == 1
    assert rows(engine) == []


# ---- schedule ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("age", "closed_for", "gap"),
    [
        (timedelta(minutes=20), None, timedelta(minutes=15)),
        (timedelta(days=2, hours=1), None, timedelta(hours=1)),
        (timedelta(days=30), None, timedelta(hours=12)),
        (timedelta(days=3), timedelta(days=1), timedelta(hours=2)),
        (timedelta(days=16), timedelta(days=14), None),
    ],
    ids=["fresh", "two-days-old", "a-month-old", "closed-a-day-ago", "closed-past-the-stop"],
)
def test_a_poll_schedules_the_next_one(
    tracker: Tracker,
    posted: dict[str, ReviewComment],
    engine: Engine,
    clock: Clock,
    age: timedelta,
    closed_for: timedelta | None,
    gap: timedelta | None,
) -> None:
    now = T0 + age
    if closed_for is not None:
        tracker.store.set_pull_state(PULL, state="closed", closed_at=now - closed_for)
    clock.at = now

    tracker.poll(PULL)

    row = pull_row(engine)
    expected: datetime | None = None if gap is None else now + gap
    assert (row["polled_at"], row["next_poll_at"]) == (now, expected)
