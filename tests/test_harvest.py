"""Specification of ``bot.harvest``: rebuilding runs, comments, signals and verdicts from GitHub alone, against the
fake GitHub on a socket (the bot's reviews posted by the project's own posting code) and a real database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from github import Auth, Github, GithubRetry
from sqlalchemy import Engine, func, select

from bot.activity import GitHubActivity
from bot.core.anchoring import AnchoredFinding, Placement
from bot.core.comments import Marker, parse_marker
from bot.core.config import AcceptanceConfig, ContenderConfig
from bot.core.findings import Finding, Severity
from bot.core.outcome import ArenaReport, ContenderOutcome
from bot.core.summary import review_payload
from bot.core.usage import Usage
from bot.database import make_engine
from bot.github_activity import GithubActivity
from bot.harvest import Cursor, Harvester
from bot.harvest_store import SqlHarvestStore
from bot.migrate import upgrade
from bot.publish import post_review
from bot.runs import PostedComment, RunKey
from bot.storage import SqlStore
from bot.storage_schema import Comment, PullRequest, Run, Signal, Verdict
from tests.databases import fresh_postgres_database
from tests.fakes import github_rules as rules
from tests.fakes.github_models import now_iso
from tests.fakes.github_server import FakeGitHubServer

OWNER, REPO, NUMBER = "octo", "shop", 7
BOT = "review-arena[bot]"
HEAD, LATER = "a1" * 20, "b2" * 20
DEEPSEEK_RUN, OPENAI_RUN = "d" * 32, "e" * 32
LINES = [f"line {n}" for n in range(1, 21)]
PR_DIFF = "diff --git a/app.py b/app.py\nnew file mode 100644\n--- /dev/null\n+++ b/app.py\n@@ -0,0 +1,20 @@\n"
FIX_DIFF = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -3,4 +3,4 @@\n"
    " line 3\n-line 4\n-line 5\n+line 4 fixed\n+line 5 fixed\n line 6\n"
)
DEEPSEEK = ContenderConfig(
    name="deepseek",
    label="DeepSeek V4 Pro",
    dialect="deepseek",
    model="deepseek-v4-pro",
    api_key_env="DEEPSEEK_API_KEY",
)
OPENAI = ContenderConfig(
    name="openai", label="OpenAI GPT-5.6 Sol", dialect="openai", model="gpt-5.6-sol", api_key_env="OPENAI_API_KEY"
)


def pr_diff(lines: list[str]) -> str:
    return PR_DIFF + "".join(f"+{line}\n" for line in lines)


def anchored(line: int, *, start: int | None = None, suggestion: str | None = None, title: str) -> AnchoredFinding:
    severity: Severity = "high" if line < 10 else "low"
    f = Finding("app.py", line, "RIGHT", start, severity, "bug", title, f"{title}, explained.", suggestion)
    return AnchoredFinding(f, Placement("inline", "app.py", line, "RIGHT", start_line=start), suggestion, None)


def outcome(contender: ContenderConfig, run_id: str, *findings: AnchoredFinding) -> ContenderOutcome:
    return ContenderOutcome(
        contender, run_id, "ok", f"{contender.model}-0601", Usage(1000, 100, 200, 50), 0.0125, 12.5, 1, findings
    )


DEEPSEEK_FINDINGS = (
    anchored(5, title="Accepted by command"),
    anchored(8, title="Liked", suggestion="line 8 better"),
    anchored(12, title="Rejected on a resolved thread"),
    anchored(18, title="Never answered"),
)
OPENAI_FINDINGS = (anchored(5, start=4, title="Lines changed"), anchored(15, title="Resolved after a push"))


@dataclass
class World:
    """The fake GitHub after the bot reviewed PR #7 and people reacted; ``ids`` maps (contender, line) to ids."""

    server: FakeGitHubServer
    ids: dict[tuple[str, int], int]
    engine: Engine

    def harvester(
        self, *, config: AcceptanceConfig | None = None, days: float = 8, github: GitHubActivity | None = None
    ) -> Harvester:
        """A harvester ``days`` from now, reading GitHub without retries unless given a reader."""
        gh = Github(
            base_url=self.server.api_url, auth=Auth.Token("t"), retry=None, seconds_between_requests=0, lazy=True
        )
        later = datetime.now(UTC) + timedelta(days=days)
        reader = github or GithubActivity(gh)
        return Harvester(SqlHarvestStore(self.engine), reader, config or AcceptanceConfig(), lambda: later)

    def count(self, table: type[Comment] | type[Run] | type[Signal] | type[Verdict]) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(select(func.count()).select_from(table)) or 0)


def post_as_bot(server: FakeGitHubServer, report: ArenaReport) -> None:
    """The bot posts each contender's review with the project's own posting code, as the App's installation."""
    server.enable_app()
    token = server.installation_token(server.add_installation(OWNER).id)
    gh = Github(base_url=server.api_url, auth=Auth.Token(token), seconds_between_requests=0, seconds_between_writes=0)
    for o in report.outcomes:
        post_review(gh, owner=OWNER, repo=REPO, number=NUMBER, payload=review_payload(o, report))
    gh.close()


def people_act(server: FakeGitHubServer, ids: dict[tuple[str, int], int]) -> None:
    state = server.state
    pull = state.pull(OWNER, REPO, NUMBER)
    rules.human_reply(state, OWNER, REPO, NUMBER, ids["deepseek", 5], "/arena accept", user="maintainer")
    rules.human_reply(state, OWNER, REPO, NUMBER, ids["deepseek", 12], "False positive, by design", user="maintainer")
    for user in ("maintainer", "passer-by", BOT):
        state.add_reaction("pull_comment", ids["deepseek", 8], "+1", user=user)
    for key in (("deepseek", 12), ("openai", 15)):
        thread = next(c.thread_id for c in state.review_comments if c.id == ids[key])
        state.resolve_thread(thread, by="maintainer")
    copied = next(c.body for c in state.review_comments if c.id == ids["deepseek", 5])
    forged = rules.create_review_comment(
        state, pull, state.user("maintainer"), {"path": "app.py", "line": 10, "side": "RIGHT", "body": copied}
    )
    state.add_reaction("pull_comment", forged.id, "+1", user="maintainer")
    fake_summary = Marker("summary", "deepseek", "f" * 32, HEAD, "-").render()
    rules.create_review(state, pull, state.user("passer-by"), {"event": "COMMENT", "body": fake_summary})


def push_fix_and_merge(server: FakeGitHubServer) -> None:
    """A commit changes lines 4-5, then the pull request is merged."""
    state = server.state
    fixed = [*LINES[:3], "line 4 fixed", "line 5 fixed", *LINES[5:]]
    state.push_pull_request(OWNER, REPO, NUMBER, pr_diff(fixed), LATER)
    state.add_compare(OWNER, REPO, HEAD, LATER, FIX_DIFF)
    state.commits[LATER].date = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pull = state.pull(OWNER, REPO, NUMBER)
    pull.state, pull.merged, pull.updated_at = "closed", True, now_iso()


def build_world(server: FakeGitHubServer, engine: Engine) -> World:
    server.add_pull_request(OWNER, REPO, NUMBER, pr_diff(LINES), head_sha=HEAD, user="contributor")
    server.state.set_author_association(OWNER, REPO, "maintainer", "MEMBER")
    report = ArenaReport(
        HEAD,
        f"{OWNER}/{REPO}#{NUMBER}",
        "review-v1",
        ("app.py",),
        (),
        (),
        (outcome(DEEPSEEK, DEEPSEEK_RUN, *DEEPSEEK_FINDINGS), outcome(OPENAI, OPENAI_RUN, *OPENAI_FINDINGS)),
    )
    post_as_bot(server, report)
    ids = {}
    for c in server.state.comments_of(OWNER, REPO, NUMBER):
        marker = parse_marker(c.body)
        assert marker is not None and c.line is not None
        ids[marker.contender, c.line] = c.id
    people_act(server, ids)
    push_fix_and_merge(server)
    return World(server, ids, engine)


def sqlite_engine(path: Path) -> Engine:
    url = f"sqlite:///{path / 'arena.db'}"
    upgrade(url)
    return make_engine(url)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FakeGitHubServer() as server:
        yield build_world(server, sqlite_engine(tmp_path))
        assert server.schema_violations == []


def verdicts(engine: Engine) -> dict[tuple[str, int | None], tuple[str, str]]:
    with engine.connect() as c:
        rows = c.execute(
            select(Comment.contender, Comment.line, Verdict.verdict, Verdict.rule).join(
                Verdict, Verdict.comment_id == Comment.id
            )
        )
        return {(contender, line): (verdict, rule) for contender, line, verdict, rule in rows}


def signals(engine: Engine) -> list[tuple[str, int | None, str, str, bool]]:
    with engine.connect() as c:
        rows = c.execute(
            select(Comment.contender, Comment.line, Signal.kind, Signal.actor, Signal.retracted_at.is_(None))
            .join(Comment, Signal.comment_id == Comment.id)
            .order_by(Comment.contender, Comment.line, Signal.kind, Signal.actor)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


EXPECTED_VERDICTS = {
    ("deepseek", 5): ("accepted", "command"),
    ("deepseek", 8): ("accepted", "reaction"),
    ("deepseek", 12): ("rejected", "resolved-negative"),
    ("deepseek", 18): ("ignored", "closed"),
    ("openai", 5): ("addressed", "lines"),
    ("openai", 15): ("addressed", "resolved-change"),
}
EXPECTED_SIGNALS = [
    ("deepseek", 5, "accept_command", "maintainer", True),
    ("deepseek", 5, "lines_changed", "", True),
    ("deepseek", 8, "thumbs_up", "maintainer", True),
    ("deepseek", 8, "thumbs_up", "passer-by", True),
    ("deepseek", 8, "thumbs_up", BOT, True),
    ("deepseek", 12, "reply", "maintainer", True),
    ("deepseek", 12, "resolved", "maintainer", True),
    ("openai", 5, "lines_changed", "", True),
    ("openai", 15, "resolved", "maintainer", True),
]


# ---- runs and comments ----------------------------------------------------------------------------------------
def test_runs_are_rebuilt_from_the_bots_summaries_in_posting_order(world: World) -> None:
    world.harvester().run(OWNER, REPO)

    with world.engine.connect() as c:
        runs = c.execute(select(Run).order_by(Run.position)).all()
    assert [(r.run_id, r.contender, r.head_sha, r.position, r.status) for r in runs] == [
        (DEEPSEEK_RUN, "deepseek", HEAD, 0, "posted"),
        (OPENAI_RUN, "openai", HEAD, 1, "posted"),
    ]
    deepseek = runs[0]
    assert (deepseek.requested_model, deepseek.model, deepseek.prompt_version) == (
        "deepseek-v4-pro",
        "deepseek-v4-pro-0601",
        "review-v1",
    )
    assert (deepseek.input_tokens, deepseek.output_tokens, deepseek.cost_usd, deepseek.latency_s) == (
        1000,
        200,
        0.0125,
        12.5,
    )
    bot_reviews = [r.id for r in world.server.state.reviews if r.user.login == BOT]
    assert [r.review_id for r in runs] == bot_reviews


def test_only_the_bots_finding_comments_are_stored_with_what_their_label_says(world: World) -> None:
    world.harvester().run(OWNER, REPO)

    with world.engine.connect() as c:
        rows = c.execute(select(Comment).order_by(Comment.contender, Comment.line)).all()
    assert [(r.contender, r.line, r.start_line, r.side, r.severity, r.category) for r in rows] == [
        ("deepseek", 5, None, "RIGHT", "high", "bug"),
        ("deepseek", 8, None, "RIGHT", "high", "bug"),
        ("deepseek", 12, None, "RIGHT", "low", "bug"),
        ("deepseek", 18, None, "RIGHT", "low", "bug"),
        ("openai", 5, 4, "RIGHT", "high", "bug"),
        ("openai", 15, None, "RIGHT", "low", "bug"),
    ]
    assert [r.github_id for r in rows] == [world.ids[r.contender, r.line] for r in rows]
    assert [r.suggestion for r in rows] == [None, "line 8 better\n", None, None, None, None]
    assert all(parse_marker(r.marker) is not None for r in rows)


# ---- signals and verdicts -------------------------------------------------------------------------------------
def test_every_signal_is_recorded_once_and_a_copied_marker_gets_none(world: World) -> None:
    report = world.harvester().run(OWNER, REPO)

    assert signals(world.engine) == EXPECTED_SIGNALS
    assert report.signals_new == len(EXPECTED_SIGNALS)
    with world.engine.connect() as c:
        sources = set(c.scalars(select(Signal.source_id)))
    assert all(s.split(":")[0] in {"comment", "reaction", "thread", "lines"} for s in sources)


def test_verdicts_follow_the_published_rules(world: World) -> None:
    report = world.harvester().run(OWNER, REPO)

    assert verdicts(world.engine) == EXPECTED_VERDICTS
    assert report.comments == {"deepseek": 4, "openai": 2}
    assert report.verdicts == {
        "deepseek": {"accepted": 2, "rejected": 1, "ignored": 1},
        "openai": {"addressed": 2},
    }
    with world.engine.connect() as c:
        pull = c.execute(select(PullRequest)).one()
    assert (pull.state, pull.author, pull.seed) == ("merged", "contributor", 0)


def test_a_second_harvest_adds_nothing(world: World) -> None:
    world.harvester().run(OWNER, REPO)
    counts = [world.count(t) for t in (Run, Comment, Signal, Verdict)]

    again = world.harvester().run(OWNER, REPO, since=datetime(2000, 1, 1, tzinfo=UTC))

    assert [p.number for p in again.pulls] == [NUMBER] and again.signals_new == 0
    assert [world.count(t) for t in (Run, Comment, Signal, Verdict)] == counts
    assert signals(world.engine) == EXPECTED_SIGNALS and verdicts(world.engine) == EXPECTED_VERDICTS


def test_a_harvest_after_the_app_recorded_the_run_links_its_comments_instead_of_copying_them(world: World) -> None:
    app = SqlStore(world.engine)
    key = RunKey(OWNER, REPO, NUMBER, HEAD, "deepseek")
    app.open_run(
        key, run_id=DEEPSEEK_RUN, requested_model="deepseek-v4-pro", prompt_version="review-v1",
        contenders=["deepseek", "openai"], seed=42, installation_id=1, author="contributor",
    )  # fmt: skip
    posted = [
        PostedComment(parse_marker(c.body).fingerprint, "app.py", c.line, None, "RIGHT", "high", "bug", "inline")  # type: ignore[union-attr]
        for c in world.server.state.comments_of(OWNER, REPO, NUMBER)
        if c.user.login == BOT and c.body.count(DEEPSEEK_RUN)
    ]
    app.mark_posted(DEEPSEEK_RUN, review_id=None, comments=posted)

    world.harvester().run(OWNER, REPO)

    assert world.count(Run) == 2 and world.count(Comment) == 6
    assert verdicts(world.engine) == EXPECTED_VERDICTS
    with world.engine.connect() as c:
        seed = c.scalar(select(PullRequest.seed))
        linked = c.scalars(select(Comment.github_id).where(Comment.contender == "deepseek")).all()
    assert seed == 42 and None not in linked


def test_bot_logins_narrow_whose_reviews_count(world: World) -> None:
    report = world.harvester(config=AcceptanceConfig(bot_logins=("another-arena[bot]",))).run(OWNER, REPO)

    assert report.comments == {} and world.count(Run) == 0 and world.count(Signal) == 0


# ---- resumption -----------------------------------------------------------------------------------------------
def test_an_interrupted_harvest_leaves_its_cursor_and_the_next_run_finishes(world: World) -> None:
    server = world.server
    server.add_pull_request(OWNER, REPO, 8, pr_diff(LINES), user="contributor")
    retrying = Github(
        base_url=server.api_url, auth=Auth.Token("t"), retry=GithubRetry(total=2), seconds_between_requests=0
    )
    harvester = world.harvester(github=GithubActivity(retrying))
    store = harvester.store
    server.inject("GET", rf"/pulls/{NUMBER}/reviews$", 502, times=3)  # one more than the retries

    stopped = harvester.run(OWNER, REPO)

    assert stopped.stopped is not None and (stopped.stopped.number, stopped.stopped.kind) == (NUMBER, "transient")
    assert [p.number for p in stopped.pulls] == [8] and stopped.pending == (NUMBER,)
    cursor = store.harvest_cursor(OWNER, REPO)
    assert cursor.pending == (NUMBER,) and cursor.done_through is not None

    resumed = harvester.run(OWNER, REPO)

    assert resumed.stopped is None and resumed.pulls[0].number == NUMBER
    assert store.harvest_cursor(OWNER, REPO) == Cursor(cursor.done_through, ())
    assert verdicts(world.engine) == EXPECTED_VERDICTS


def test_the_next_harvest_lists_only_pull_requests_updated_since_the_last(world: World) -> None:
    pull = world.server.state.pull(OWNER, REPO, NUMBER)
    pull.updated_at = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    harvester = world.harvester(days=0)
    first = harvester.run(OWNER, REPO)

    quiet = harvester.run(OWNER, REPO)
    pull.updated_at = now_iso()
    touched = harvester.run(OWNER, REPO)

    assert [[p.number for p in r.pulls] for r in (first, quiet, touched)] == [[NUMBER], [], [NUMBER]]


def test_one_pull_request_is_harvested_without_touching_the_cursor(world: World) -> None:
    harvester = world.harvester()
    report = harvester.run(OWNER, REPO, number=NUMBER)

    assert [p.number for p in report.pulls] == [NUMBER]
    assert harvester.store.harvest_cursor(OWNER, REPO) == Cursor()
    assert world.server.count_requests("GET", r"/pulls$") == 0


def test_a_pull_request_without_the_bots_review_is_skipped(world: World) -> None:
    world.server.add_pull_request(OWNER, REPO, 9, pr_diff(LINES))

    report = world.harvester().run(OWNER, REPO, number=9)

    assert report.pulls[0].comments == {} and world.count(Run) == 0


# ---- PostgreSQL -----------------------------------------------------------------------------------------------
def test_postgresql_holds_the_same_rows_after_two_harvests() -> None:
    with fresh_postgres_database() as url, FakeGitHubServer() as server:
        upgrade(url)
        engine = make_engine(url)
        try:
            world = build_world(server, engine)
            reports = [world.harvester().run(OWNER, REPO, number=NUMBER) for _ in range(2)]
            assert [r.signals_new for r in reports] == [len(EXPECTED_SIGNALS), 0]
            assert signals(engine) == EXPECTED_SIGNALS and verdicts(engine) == EXPECTED_VERDICTS
        finally:
            engine.dispose()
