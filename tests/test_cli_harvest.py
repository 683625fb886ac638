"""``review-arena harvest`` through its real entry point, against the fake GitHub over real HTTP and a SQLite file
(or PostgreSQL): output formats, authentication and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.databases import fresh_postgres_database
from tests.fakes.github_server import FakeGitHubServer
from tests.test_harvest import NUMBER, OWNER, REPO, build_world

SCRIPT = str(Path(sys.executable).parent / "review-arena")
HEADLINE = f"{OWNER}/{REPO}: 1 pull requests harvested, 9 new signals"
ROWS = [
    ["contender", "comments", "accepted", "addressed", "rejected", "ignored", "pending"],
    ["deepseek", "4", "2", "0", "1", "0", "1"],
    ["openai", "2", "0", "2", "0", "0", "0"],
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        build_world(fake, create_engine("sqlite://"))
        yield fake


@pytest.fixture
def env(server: FakeGitHubServer, tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_TOKEN": "t", "GITHUB_API_URL": server.api_url, "DATABASE_URL": f"sqlite:///{tmp_path}/arena.db"}


def harvest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_", "REVIEW_ARENA_"))}
    return subprocess.run(
        [SCRIPT, "harvest", "--repo", f"{OWNER}/{REPO}", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_table_says_what_was_harvested_per_contender(env: dict[str, str]) -> None:
    result = harvest(env=env)

    assert result.returncode == 0, result.stderr
    headline, *lines = result.stdout.splitlines()
    assert headline == HEADLINE
    assert [line.split() for line in lines] == ROWS
    assert f"[harvest] #{NUMBER}: 6 bot comments, 9 new signals" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "markdown", "json"])
def test_every_format_carries_the_same_numbers(env: dict[str, str], fmt: str) -> None:
    result = harvest("--format", fmt, "--quiet", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    if fmt == "csv":
        assert list(csv.reader(io.StringIO(result.stdout))) == ROWS
    elif fmt == "markdown":
        headline, blank, header, rule, *rows = result.stdout.splitlines()
        assert (headline, blank, rule) == (HEADLINE, "", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        assert [[cell.strip() for cell in r.strip("|").split("|")] for r in [header, *rows]] == ROWS
    else:
        report = json.loads(result.stdout)
        assert (report["schema"], report["pulls"], report["signals_new"]) == ("review-arena/harvest@1", [NUMBER], 9)
        assert report["contenders"]["openai"] == {
            "comments": 2,
            "verdicts": {"accepted": 0, "addressed": 2, "rejected": 0, "ignored": 0, "pending": 0},
        }
        assert (report["stopped"], report["pending"]) == (None, [])


def test_a_second_harvest_finds_nothing_new(env: dict[str, str]) -> None:
    assert harvest("--pr", str(NUMBER), env=env).returncode == 0

    again = harvest("--pr", str(NUMBER), "--format", "json", env=env)

    assert again.returncode == 0 and json.loads(again.stdout)["signals_new"] == 0


def test_a_failure_that_outlasts_the_retries_stops_with_3_and_the_next_run_resumes(
    server: FakeGitHubServer, env: dict[str, str]
) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    server.state.pull(OWNER, REPO, NUMBER).updated_at = an_hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
    server.inject("GET", rf"/pulls/{NUMBER}/reviews$", 502, times=11)  # GithubRetry tries 10 more times

    stopped = harvest("--format", "json", env=env)

    assert stopped.returncode == 3
    assert f"stopped at PR #{NUMBER}: " in stopped.stderr and stopped.stderr.rstrip().endswith("run again to resume")
    assert json.loads(stopped.stdout)["pending"] == [NUMBER]
    resumed = harvest("--format", "json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert (json.loads(resumed.stdout)["pulls"], json.loads(resumed.stdout)["signals_new"]) == ([NUMBER], 9)


def test_the_app_installation_is_used_without_a_token(server: FakeGitHubServer, env: dict[str, str]) -> None:
    key = server.enable_app(app_id=424242)
    app_env = {**env, "GITHUB_TOKEN": "", "GITHUB_APP_ID": "424242", "GITHUB_PRIVATE_KEY": key}

    result = harvest("--bot-login", "review-arena[bot]", env=app_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == HEADLINE


def test_a_bot_login_that_posted_nothing_finds_nothing(env: dict[str, str]) -> None:
    result = harvest("--bot-login", "someone-else[bot]", "--format", "json", env=env)

    assert result.returncode == 0 and json.loads(result.stdout)["contenders"] == {}


@pytest.mark.parametrize(
    ("args", "extra", "message"),
    [
        ([], {"GITHUB_TOKEN": ""}, "GITHUB_TOKEN, or the App's GITHUB_APP_ID and GITHUB_PRIVATE_KEY"),
        ([], {"GITHUB_TOKEN": "", "GITHUB_APP_ID": "7"}, "GITHUB_PRIVATE_KEY"),
        (["--since", "last week"], {}, "Invalid value for '--since'"),
    ],
    ids=["no-credentials", "app-without-key", "bad-date"],
)
def test_usage_errors_exit_2_and_name_what_is_missing(
    env: dict[str, str], args: list[str], extra: dict[str, str], message: str
) -> None:
    result = harvest(*args, env={**env, **extra})

    assert result.returncode == 2 and message in result.stderr and result.stdout == ""


def test_a_refused_token_exits_4(env: dict[str, str]) -> None:
    result = harvest(env={**env, "GITHUB_TOKEN": "not-a-token"})

    assert result.returncode == 4 and "GITHUB_TOKEN" in result.stderr


def test_postgresql_must_be_upgraded_first(env: dict[str, str]) -> None:
    with fresh_postgres_database() as url:
        refused = harvest(env={**env, "DATABASE_URL": url})
        upgraded = subprocess.run(
            [SCRIPT, "db", "upgrade"], env={**os.environ, "DATABASE_URL": url}, capture_output=True, check=False
        )
        result = harvest(env={**env, "DATABASE_URL": url})

    assert refused.returncode == 2 and "review-arena db upgrade" in refused.stderr
    assert upgraded.returncode == 0 and result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == HEADLINE
