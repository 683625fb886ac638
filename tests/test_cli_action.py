"""``review-arena action`` as a subprocess, as a workflow step runs it: ``GITHUB_EVENT_PATH`` points at GitHub's
own example payloads (pointed at a pull request on the fake GitHub), the models are the fake OpenAI-shaped
server, and the step's summary, outputs and JSON result are files, as on a runner."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.comments import parse_marker
from tests.conftest import DIFFS, TEST_KEY, WEBHOOKS, contenders_for
from tests.fakes.github_server import FakeGitHubServer
from tests.fakes.openai_server import Behaviour, FakeModelServer

SCRIPT = str(Path(sys.executable).parent / "review-arena")
OPENED = json.loads((WEBHOOKS / "pull_request" / "opened.payload.json").read_text(encoding="utf-8"))
OWNER, REPO = OPENED["repository"]["owner"]["login"], OPENED["repository"]["name"]
NUMBER, HEAD = OPENED["number"], OPENED["pull_request"]["head"]["sha"]
DIFF = (DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff").read_text(encoding="utf-8")


@pytest.fixture
def github() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        fake.add_token("ghs_actions", login="github-actions[bot]")
        fake.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD, title=OPENED["pull_request"]["title"])
        yield fake
        assert fake.schema_violations == []


@pytest.fixture
def models() -> Iterator[FakeModelServer]:
    with FakeModelServer(api_key=TEST_KEY) as server:
        yield server


class Runner:
    """A runner's files for one step: the event, the summary, the outputs and the result."""

    def __init__(self, tmp_path: Path, github: FakeGitHubServer, models: FakeModelServer) -> None:
        self.dir = tmp_path
        config = tmp_path / "review-arena.yml"
        config.write_text(yaml.safe_dump({"contenders": contenders_for(models.base_url)}), encoding="utf-8")
        self.env = {
            "GITHUB_API_URL": github.api_url,
            "GITHUB_TOKEN": "ghs_actions",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_REPOSITORY": f"{OWNER}/{REPO}",
            "RUNNER_TEMP": str(tmp_path),
            "REVIEW_ARENA_CONFIG": str(config),
            "DEEPSEEK_API_KEY": TEST_KEY,
            "OPENAI_API_KEY": TEST_KEY,
        }

    def run(self, event: str, payload: dict[str, Any] | None, **extra: str) -> subprocess.CompletedProcess[str]:
        if payload is not None:
            path = self.dir / "event.json"
            path.write_text(json.dumps(payload), encoding="utf-8")
            self.env.update(GITHUB_EVENT_NAME=event, GITHUB_EVENT_PATH=str(path))
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "REVIEW_ARENA_", "DATABASE_"))}
        env = {k: v for k, v in {**clean, **self.env, **extra}.items() if v != ""}
        return subprocess.run([SCRIPT, "action"], env=env, capture_output=True, text=True, timeout=180, check=False)

    @property
    def summary(self) -> str:
        path = self.dir / "summary.md"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    @property
    def outputs(self) -> dict[str, str]:
        path = self.dir / "output.txt"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def runner(tmp_path: Path, github: FakeGitHubServer, models: FakeModelServer) -> Runner:
    return Runner(tmp_path, github, models)


def reviews_by_contender(github: FakeGitHubServer) -> dict[str, int]:
    found: dict[str, int] = {}
    for review in github.state.reviews_of(OWNER, REPO, NUMBER):
        marker = parse_marker(review.body)
        assert marker is not None and review.event == "COMMENT"
        found[marker.contender] = found.get(marker.contender, 0) + 1
    return found


def test_a_pull_request_event_posts_one_labelled_review_per_contender_and_reports_it(
    runner: Runner, github: FakeGitHubServer
) -> None:
    result = runner.run("pull_request", OPENED)

    assert result.returncode == 0, result.stderr
    assert reviews_by_contender(github) == {"deepseek": 1, "openai": 1}
    posted = json.loads(runner.outputs["comments"])
    inline = [c for c in github.state.comments_of(OWNER, REPO, NUMBER)]
    assert sum(posted.values()) == len(inline) and set(posted) == {"deepseek", "openai"}
    assert float(runner.outputs["cost"]) > 0
    report = json.loads(Path(runner.outputs["result"]).read_text(encoding="utf-8"))
    assert report["schema"] == "review-arena/review@1"
    assert sorted(report["posting"]["order"]) == ["deepseek", "openai"]
    for label in ("DeepSeek V4 Pro", "OpenAI GPT-5.6 Sol"):
        assert f"### {label}" in runner.summary
    assert "| model | `" in runner.summary and "| tokens |" in runner.summary and "| cost | $" in runner.summary


def test_a_rerun_of_the_same_job_posts_nothing_twice(runner: Runner, github: FakeGitHubServer) -> None:
    assert runner.run("pull_request", OPENED).returncode == 0
    again = runner.run("pull_request", OPENED)

    assert again.returncode == 0, again.stderr
    assert reviews_by_contender(github) == {"deepseek": 1, "openai": 1}
    assert "already on the pull request" in runner.summary


def test_pull_request_target_reads_the_same_payload(runner: Runner, github: FakeGitHubServer) -> None:
    assert runner.run("pull_request_target", OPENED).returncode == 0
    assert reviews_by_contender(github) == {"deepseek": 1, "openai": 1}


def test_a_fork_pull_request_without_secrets_gets_a_notice_and_nothing_half_done(
    runner: Runner, github: FakeGitHubServer, models: FakeModelServer
) -> None:
    fork = copy.deepcopy(OPENED)
    fork["pull_request"]["head"]["repo"] = {**fork["pull_request"]["head"]["repo"], "full_name": "someone/Hello-World"}

    result = runner.run("pull_request", fork, DEEPSEEK_API_KEY="", OPENAI_API_KEY="")

    assert result.returncode == 0, result.stderr
    assert "comes from a fork" in runner.summary and "DEEPSEEK_API_KEY" in runner.summary
    assert github.state.reviews_of(OWNER, REPO, NUMBER) == []
    assert models.requests == []
    assert runner.outputs["comments"] == "{}"


def test_an_arena_review_comment_reviews_the_current_head(runner: Runner, github: FakeGitHubServer) -> None:
    comment = json.loads((WEBHOOKS / "issue_comment" / "created.payload.json").read_text(encoding="utf-8"))
    comment["issue"] = {**comment["issue"], "number": NUMBER, "pull_request": {"url": "https://example.invalid"}}
    comment["comment"] = {**comment["comment"], "body": "/arena review", "author_association": "MEMBER"}
    comment["repository"] = OPENED["repository"]

    result = runner.run("issue_comment", comment)

    assert result.returncode == 0, result.stderr
    assert reviews_by_contender(github) == {"deepseek": 1, "openai": 1}
    assert github.count_requests("POST", r"/issues/comments/\d+/reactions$") == 1


def test_a_comment_that_is_not_a_command_reviews_nothing(runner: Runner, github: FakeGitHubServer) -> None:
    comment = json.loads((WEBHOOKS / "issue_comment" / "created.payload.json").read_text(encoding="utf-8"))

    result = runner.run("issue_comment", comment)

    assert result.returncode == 0, result.stderr
    assert "nothing to review" in runner.summary
    assert github.state.reviews_of(OWNER, REPO, NUMBER) == []


def test_a_failing_contender_does_not_stop_the_other_and_fail_on_error_decides_the_exit(
    runner: Runner, github: FakeGitHubServer, models: FakeModelServer
) -> None:
    models.set_behaviour("gpt-5.6-sol", Behaviour(fault="not_found"))

    lenient = runner.run("pull_request", OPENED)
    assert lenient.returncode == 0, lenient.stderr
    assert reviews_by_contender(github) == {"deepseek": 1, "openai": 1}  # openai's review says it failed

    github.state.reviews.clear()
    strict = runner.run("pull_request", OPENED, REVIEW_ARENA_FAIL_ON_ERROR="true")
    assert strict.returncode == 1


def test_the_comment_cap_moves_the_rest_into_the_review_body(runner: Runner, github: FakeGitHubServer) -> None:
    result = runner.run("pull_request", OPENED, REVIEW_ARENA_MAX_COMMENTS="1")

    assert result.returncode == 0, result.stderr
    assert json.loads(runner.outputs["comments"]) == {"deepseek": 1, "openai": 1}
    bodies = [r.body for r in github.state.reviews_of(OWNER, REPO, NUMBER)]
    assert any("over the cap of 1 inline comment" in body for body in bodies)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is not set", id="no-token"),
        pytest.param({"OPENAI_API_KEY": ""}, "OPENAI_API_KEY", id="missing-key-same-repo"),
        pytest.param({"REVIEW_ARENA_MODE": "lint"}, "mode must be review or stats", id="bad-mode"),
        pytest.param({"REVIEW_ARENA_MAX_COMMENTS": "ten"}, "whole number", id="bad-cap"),
    ],
)
def test_bad_settings_fail_clearly_and_post_nothing(
    runner: Runner, github: FakeGitHubServer, env: dict[str, str], message: str
) -> None:
    result = runner.run("pull_request", OPENED, **env)

    assert result.returncode == 2
    assert message in result.stderr and message in runner.summary
    assert github.state.reviews_of(OWNER, REPO, NUMBER) == []


def test_an_unreadable_event_file_is_a_usage_error(runner: Runner) -> None:
    result = runner.run("pull_request", None, GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH="/nonexistent.json")

    assert result.returncode == 2
    assert "cannot read the event payload" in result.stderr


def test_stats_mode_harvests_github_alone_and_writes_the_table_to_the_summary(
    runner: Runner, github: FakeGitHubServer
) -> None:
    assert runner.run("pull_request", OPENED).returncode == 0
    state = github.state
    state.set_author_association(OWNER, REPO, "maintainer", "MEMBER")
    first, *_ = [c for c in state.comments_of(OWNER, REPO, NUMBER) if c.in_reply_to_id is None]
    state.add_reaction("pull_comment", first.id, "+1", user="maintainer")
    (runner.dir / "summary.md").unlink()

    result = runner.run("schedule", {"schedule": "0 6 * * *"}, REVIEW_ARENA_MODE="stats")

    assert result.returncode == 0, result.stderr
    assert runner.summary.startswith(f"### Review Arena statistics for {OWNER}/{REPO}")
    assert "| deepseek |" in runner.summary and "| openai |" in runner.summary
    assert "<summary>Definitions" in runner.summary
    report = json.loads(Path(runner.outputs["result"]).read_text(encoding="utf-8"))
    accepted = {c["contender"]: c["tally"]["accepted"] for c in report["contenders"]}
    assert sum(accepted.values()) == 1
