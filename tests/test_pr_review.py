"""The App's per-contender use case, in process, against the fake GitHub and the fake models on real sockets,
with the real SQL store (SQLite, migrated)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from github import Auth, Github

from bot.core.comments import parse_marker
from bot.core.config import Settings, settings_from
from bot.core.diff_parse import parse_github_files
from bot.core.posting import posting_order
from bot.core.pr_ref import PullRef
from bot.database import make_engine
from bot.errors import TransientModelError
from bot.github import fetch_pull_request
from bot.github_writes import no_wait
from bot.llm import OpenAIModel
from bot.migrate import upgrade
from bot.pr_github import REPO_CONFIG_PATH
from bot.pr_review import NO_CONTEXT, PullTask, Result, Timing, fetcher_of, review_pull_for_contender
from bot.prompt_library import load_template
from bot.runs import PullContext, RunKey
from bot.storage import SqlStore
from bot.wakeups import LocalWakeups, Wakeups
from tests.conftest import DIFFS, TEST_KEY, contenders_for
from tests.fakes.github_server import FakeGitHubServer
from tests.fakes.openai_server import Behaviour, FakeModelServer

DIFF = (DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff").read_text(encoding="utf-8")
OWNER, REPO, NUMBER = "pallets", "flask", 5
HEAD = "c" * 40
SEED = 7
FAST = Timing(peer_wait_s=0.3, turn_wait_s=0.3, poll_s=0.05, snapshot_wait_s=0.3)


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        fake.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD)
        yield fake
        assert fake.schema_violations == []


@pytest.fixture
def gh(github: FakeGitHubServer) -> Iterator[Github]:
    installation = github.add_installation(OWNER)
    token = github.installation_token(installation.id)
    client = Github(
        base_url=github.api_url, auth=Auth.Token(token), seconds_between_requests=0, seconds_between_writes=0, lazy=True
    )
    yield client
    client.close()


@pytest.fixture
def settings(model_server: FakeModelServer) -> Settings:
    return settings_from({"contenders": contenders_for(model_server.base_url)}, source="test")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'arena.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield SqlStore(engine)
    engine.dispose()


def _task(contender: str, *, head_sha: str = HEAD, run: int = 1, final: bool = True) -> PullTask:
    return PullTask(
        owner=OWNER,
        repo=REPO,
        number=NUMBER,
        head_sha=head_sha,
        contender=contender,
        run_id=f"{run:032x}",
        seed=SEED,
        final_attempt=final,
    )


async def _review(
    gh: Github,
    store: SqlStore,
    settings: Settings,
    task: PullTask,
    timing: Timing,
    context: PullContext = NO_CONTEXT,
    wakeups: Wakeups | None = None,
    before_write: Callable[[], object] = no_wait,
) -> Result:
    config = next(c for c in settings.contenders if c.name == task.contender)
    async with OpenAIModel(config, api_key=TEST_KEY) as model:
        return await review_pull_for_contender(
            task,
            gh=gh,
            store=store,
            settings=settings,
            template=load_template("review-v1"),
            model=model,
            clock=time.monotonic,
            timing=timing,
            context=context,
            wakeups=wakeups,
            before_write=before_write,
        )


def _run(
    gh: Github,
    settings: Settings,
    store: SqlStore,
    *,
    contender: str = "deepseek",
    head_sha: str = HEAD,
    run: int = 1,
    final: bool = True,
) -> Result:
    return asyncio.run(_review(gh, store, settings, _task(contender, head_sha=head_sha, run=run, final=final), FAST))


def test_posts_one_labelled_review_on_diff_lines(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore
) -> None:
    assert _run(gh, settings, store) == "posted"
    reviews = github.state.reviews_of(OWNER, REPO, NUMBER)
    assert len(reviews) == 1
    review = reviews[0]
    assert review.state == "COMMENTED" and review.commit_id == HEAD
    assert review.body.startswith("### DeepSeek V4 Pro")
    marker = parse_marker(review.body)
    assert marker is not None and (marker.kind, marker.contender, marker.head_sha) == ("summary", "deepseek", HEAD)
    comments = github.state.comments_of(OWNER, REPO, NUMBER)
    assert comments
    diff = parse_github_files(fetch_pull_request(gh, PullRef(OWNER, REPO, NUMBER)).files)
    for comment in comments:
        assert comment.body.startswith("**DeepSeek V4 Pro**")
        changed = diff.file(comment.path)
        assert changed is not None and comment.line in changed.commentable(comment.side)


def test_a_second_run_for_the_same_head_posts_nothing(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer, store: SqlStore
) -> None:
    assert _run(gh, settings, store, run=1) == "posted"
    calls = len(model_server.requests)
    assert _run(gh, settings, store, run=2) == "already-posted"
    assert len(github.state.reviews_of(OWNER, REPO, NUMBER)) == 1
    assert len(model_server.requests) == calls, "the model was asked again"


def test_each_contender_posts_its_own_review(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore
) -> None:
    assert _run(gh, settings, store, contender="deepseek") == "posted"
    assert _run(gh, settings, store, contender="openai", run=2) == "posted"
    labels = sorted(r.body.splitlines()[0] for r in github.state.reviews_of(OWNER, REPO, NUMBER))
    assert [label.split(":")[0] for label in labels] == ["### DeepSeek V4 Pro", "### OpenAI GPT-5.6 Sol"]


def test_a_newer_head_supersedes_the_job(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer, store: SqlStore
) -> None:
    github.state.push_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha="d" * 40)
    assert _run(gh, settings, store, head_sha=HEAD) == "superseded"
    assert github.state.reviews_of(OWNER, REPO, NUMBER) == []
    assert model_server.requests == []


def test_a_bad_repo_config_gives_one_notice_naming_the_key(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer, store: SqlStore
) -> None:
    github.state.add_file(OWNER, REPO, REPO_CONFIG_PATH, "review:\n  max_findings: 500\n")
    assert _run(gh, settings, store) == "skipped-config"
    assert _run(gh, settings, store, contender="openai", run=2) == "skipped-config"
    notices = github.state.issue_comments_of(OWNER, REPO, NUMBER)
    assert len(notices) == 1
    assert "review.max_findings" in notices[0].body
    marker = parse_marker(notices[0].body)
    assert marker is not None and marker.kind == "notice"
    assert github.state.reviews_of(OWNER, REPO, NUMBER) == []
    assert model_server.requests == []


def test_the_review_and_the_notice_each_take_a_slot_from_the_write_budget(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore
) -> None:
    permits: list[str] = []

    def run(task: PullTask) -> Result:
        return asyncio.run(
            _review(gh, store, settings, task, FAST, before_write=lambda: permits.append(task.contender))
        )

    assert run(_task("deepseek")) == "posted"
    assert permits == ["deepseek"] and github.count_requests("POST", r"/pulls/\d+/reviews$") == 1
    github.state.add_file(OWNER, REPO, REPO_CONFIG_PATH, "review:\n  max_findings: 500\n")
    github.state.push_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha="d" * 40)  # the config is read per head
    assert run(_task("openai", head_sha="d" * 40, run=2)) == "skipped-config"
    assert permits == ["deepseek", "openai"] and len(github.state.issue_comments_of(OWNER, REPO, NUMBER)) == 1


def test_the_repo_config_can_leave_a_contender_out(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore
) -> None:
    github.state.add_file(OWNER, REPO, REPO_CONFIG_PATH, "enabled: [openai]\n")
    assert _run(gh, settings, store, contender="deepseek") == "skipped-config"
    assert _run(gh, settings, store, contender="openai") == "posted"
    assert len(github.state.reviews_of(OWNER, REPO, NUMBER)) == 1
    assert github.state.issue_comments_of(OWNER, REPO, NUMBER) == []


async def _both(gh: Github, store: SqlStore, settings: Settings) -> list[Result]:
    timing = Timing(peer_wait_s=30, turn_wait_s=30, poll_s=0.05)
    return list(
        await asyncio.gather(
            *(
                _review(gh, store, settings, _task(name, run=i + 1), timing)
                for i, name in enumerate(["deepseek", "openai"])
            )
        )
    )


def test_contenders_post_in_the_seeded_order_whoever_finishes_first(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer, store: SqlStore
) -> None:
    expected = posting_order(["deepseek", "openai"], seed=SEED)
    model_server.set_behaviour(
        "deepseek-v4-pro" if expected[0] == "deepseek" else "gpt-5.6-sol", Behaviour(latency_s=1.0)
    )
    assert asyncio.run(_both(gh, store, settings)) == ["posted", "posted"]
    reviews = github.state.reviews_of(OWNER, REPO, NUMBER)
    posted = [marker.contender for r in reviews if (marker := parse_marker(r.body)) is not None]
    assert tuple(posted) == expected
    runs = store.runs_for(RunKey(OWNER, REPO, NUMBER, HEAD, "deepseek"))
    assert {r.contender: r.position for r in runs} == {name: i for i, name in enumerate(expected)}
    assert all(r.status == "posted" and r.review_id for r in runs)


def test_peers_wake_on_each_others_store_changes_not_on_their_next_poll(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer, store: SqlStore
) -> None:
    slow = Timing(peer_wait_s=120, turn_wait_s=120, poll_s=60)  # the first poll pause alone is 3 s
    model_server.set_behaviour("gpt-5.6-sol", Behaviour(latency_s=0.3))  # one contender waits for the other
    wakeups = LocalWakeups()

    async def both() -> list[Result]:
        return list(
            await asyncio.gather(
                *(
                    _review(gh, store, settings, _task(name, run=i + 1), slow, wakeups=wakeups)
                    for i, name in enumerate(["deepseek", "openai"])
                )
            )
        )

    started = time.monotonic()
    assert asyncio.run(both()) == ["posted", "posted"]
    assert time.monotonic() - started < slow.poll_s / 20, "a wait ran to its poll pause instead of waking"
    assert len(github.state.reviews_of(OWNER, REPO, NUMBER)) == 2
    assert wakeups.watched() == 0


def test_the_same_spot_flagged_by_both_says_also_raised_by(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore
) -> None:
    assert asyncio.run(_both(gh, store, settings)) == ["posted", "posted"]
    comments = github.state.comments_of(OWNER, REPO, NUMBER)
    deepseek = [c for c in comments if c.body.startswith("**DeepSeek V4 Pro**")]
    openai = [c for c in comments if c.body.startswith("**OpenAI GPT-5.6 Sol**")]
    assert deepseek and openai
    assert all("also raised by OpenAI GPT-5.6 Sol" in c.body for c in deepseek)
    assert all("also raised by DeepSeek V4 Pro" in c.body for c in openai)


def test_a_failing_contender_posts_a_visible_note_and_the_other_reviews(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer, store: SqlStore
) -> None:
    model_server.set_behaviour("gpt-5.6-sol", Behaviour(fault="not_found"))
    assert asyncio.run(_both(gh, store, settings)) == ["posted", "posted"]
    bodies = {parse_marker(r.body).contender: r.body for r in github.state.reviews_of(OWNER, REPO, NUMBER)}  # type: ignore[union-attr]
    assert "could not review this change" in bodies["openai"] and "'model'" in bodies["openai"]
    assert bodies["deepseek"].startswith("### DeepSeek V4 Pro:")
    assert all(not c.body.startswith("**OpenAI") for c in github.state.comments_of(OWNER, REPO, NUMBER))


def test_a_transient_failure_is_retried_before_the_last_attempt(
    github: FakeGitHubServer, gh: Github, settings: Settings, model_server: FakeModelServer, store: SqlStore
) -> None:
    model_server.set_behaviour("deepseek-v4-pro", Behaviour(fault="500"))
    with pytest.raises(TransientModelError):
        _run(gh, settings, store, final=False)
    assert github.state.reviews_of(OWNER, REPO, NUMBER) == []
    model_server.set_behaviour("deepseek-v4-pro", Behaviour())
    assert _run(gh, settings, store, run=2) == "posted"
    [run] = [r for r in store.runs_for(RunKey(OWNER, REPO, NUMBER, HEAD, "deepseek")) if r.contender == "deepseek"]
    assert run.run_id == f"{1:032x}", "a retry keeps the run it opened first"


def test_a_lost_store_still_finds_the_posted_review_by_its_marker(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore, tmp_path: Path
) -> None:
    assert _run(gh, settings, store) == "posted"
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(fresh_url)
    fresh = SqlStore(make_engine(fresh_url))
    assert _run(gh, settings, fresh, run=2) == "already-posted"
    assert len(github.state.reviews_of(OWNER, REPO, NUMBER)) == 1
    fresh.engine.dispose()


def test_a_lost_store_posts_neither_contender_again_whatever_the_new_posting_order(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore, tmp_path: Path
) -> None:
    timing = Timing(peer_wait_s=30, turn_wait_s=30, poll_s=0.05)

    names = ["deepseek", "openai"]
    flipped = next(
        s for s in range(SEED + 1, SEED + 100) if posting_order(names, seed=s) != posting_order(names, seed=SEED)
    )

    async def both(on: SqlStore, first_run: int, seed: int) -> list[Result]:
        tasks = [replace(_task(name, run=first_run + i), seed=seed) for i, name in enumerate(names)]
        return list(await asyncio.gather(*(_review(gh, on, settings, task, timing) for task in tasks)))

    assert asyncio.run(both(store, 1, SEED)) == ["posted", "posted"]
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(fresh_url)
    fresh = SqlStore(make_engine(fresh_url))  # the store lost: the new seed puts the other contender first
    assert asyncio.run(both(fresh, 3, flipped)) == ["already-posted", "already-posted"]
    assert len(github.state.reviews_of(OWNER, REPO, NUMBER)) == 2
    fresh.engine.dispose()


def test_the_first_configured_contender_fetches_the_head_for_all(settings: Settings) -> None:
    assert fetcher_of(settings) == "deepseek"


def test_a_head_the_fetcher_never_shares_is_fetched_by_another_contender_after_the_wait(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore
) -> None:
    github.requests.clear()
    assert _run(gh, settings, store, contender="openai") == "posted"  # the fetcher (deepseek) never ran
    assert github.count_requests("GET", r"/pulls/\d+/files$") == 1
    assert store.load_snapshot(_task("openai").key) is not None


def test_two_contenders_cost_five_github_requests_per_pull_request(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore
) -> None:
    context = PullContext(title="Limits", body="", default_branch="main")
    timing = Timing(peer_wait_s=30, turn_wait_s=30, poll_s=0.05)

    async def both() -> list[Result]:
        return list(
            await asyncio.gather(
                *(
                    _review(gh, store, settings, _task(name, run=i + 1), timing, context)
                    for i, name in enumerate(["deepseek", "openai"])
                )
            )
        )

    github.requests.clear()
    assert asyncio.run(both()) == ["posted", "posted"]
    calls = sorted(f"{r.method} {r.path}" for r in github.requests)
    # the files and the config once; the first poster lists the reviews, and the second need not look again
    assert len(calls) == 5, calls
    assert github.count_requests("GET", r"/pulls/\d+/reviews$") == 1


def test_drafts_are_skipped_unless_the_repository_asks_for_them(
    github: FakeGitHubServer, gh: Github, settings: Settings, store: SqlStore, model_server: FakeModelServer
) -> None:
    draft = PullContext(title="WIP", default_branch="main", draft=True)
    assert asyncio.run(_review(gh, store, settings, _task("deepseek"), FAST, draft)) == "skipped-draft"
    assert model_server.requests == []
    github.state.add_file(OWNER, REPO, REPO_CONFIG_PATH, "drafts: true\n")
    github.state.push_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha="d" * 40)  # the config is read per head
    assert asyncio.run(_review(gh, store, settings, _task("deepseek", head_sha="d" * 40, run=2), FAST, draft)) == (
        "posted"
    )
