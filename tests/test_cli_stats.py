"""``review-arena stats`` through its real entry point, on a database filled by the acceptance pipeline itself:
``--from-github`` harvests the fake GitHub's pull request (the bot's reviews, replies, reactions, threads and a
push), then the statistics are printed in every format, each with its definitions."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.databases import fresh_postgres_database
from tests.fakes.github_server import FakeGitHubServer
from tests.test_harvest import OWNER, REPO, build_world

SCRIPT = str(Path(sys.executable).parent / "review-arena")
# what the harvested pull request holds (see tests/test_cli_harvest.py): per contender, comments by verdict
TALLIES = {"deepseek": (4, 2, 0, 1, 0, 1), "openai": (2, 0, 2, 0, 0, 0)}


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        build_world(fake, create_engine("sqlite://"))
        yield fake


@pytest.fixture
def env(server: FakeGitHubServer, tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_TOKEN": "t", "GITHUB_API_URL": server.api_url, "DATABASE_URL": f"sqlite:///{tmp_path}/arena.db"}


def stats(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_", "REVIEW_ARENA_"))}
    return subprocess.run(
        [SCRIPT, "stats", *args], env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def harvested(env: dict[str, str]) -> dict[str, str]:
    result = stats("--from-github", "--repo", f"{OWNER}/{REPO}", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_json_has_every_contender_the_head_to_head_and_the_definitions(harvested: dict[str, str]) -> None:
    report = json.loads(stats("--format", "json", env=harvested).stdout)

    assert report["schema"] == "review-arena/stats@1"
    found = {c["contender"]: c for c in report["contenders"]}
    for name, (comments, accepted, addressed, rejected, ignored, pending) in TALLIES.items():
        tally = found[name]["tally"]
        assert (found[name]["comments"], tally["accepted"], tally["addressed"]) == (comments, accepted, addressed)
        assert (tally["rejected"], tally["ignored"], tally["pending"]) == (rejected, ignored, pending)
    deepseek = found["deepseek"]["acceptance"]
    assert deepseek["value"] == pytest.approx(2 / 3)
    assert deepseek["wilson"][0] < 2 / 3 < deepseek["wilson"][1]
    (pair,) = report["head_to_head"]
    assert (pair["a"], pair["b"], pair["paired"], pair["wins"]) == ("deepseek", "openai", 1, 1)
    assert "acceptance" in report["definitions"] and "kappa" in report["definitions"]


def test_the_same_seed_gives_the_same_intervals(harvested: dict[str, str]) -> None:
    first = json.loads(stats("--format", "json", "--seed", "5", env=harvested).stdout)
    again = json.loads(stats("--format", "json", "--seed", "5", env=harvested).stdout)

    assert first == again


def test_csv_rows_carry_their_definition(harvested: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(stats("--format", "csv", env=harvested).stdout)))

    acceptance = next(r for r in rows if (r["subject"], r["metric"]) == ("deepseek", "acceptance"))
    assert float(acceptance["value"]) == pytest.approx(2 / 3)
    assert acceptance["definition"] == "accepted ÷ decided"
    assert all(r["definition"] for r in rows)


def test_markdown_and_table_footnote_the_definitions(harvested: dict[str, str]) -> None:
    markdown = stats("--format", "markdown", env=harvested).stdout
    table = stats(env=harvested).stdout

    assert "| deepseek | 1 | 4 | 2 | 0 | 1 | 0 | 1 | 66.7% |" in markdown
    assert "<summary>Definitions" in markdown and "**acceptance**: accepted ÷ decided" in markdown
    assert "Definitions (acceptance-v1, bootstrap seed 0)" in table and "accepted ÷ decided" in table
    assert "deepseek vs openai" in table


def test_a_breakdown_prints_one_report_per_value(harvested: dict[str, str]) -> None:
    report = json.loads(stats("--format", "json", "--by", "contender", env=harvested).stdout)

    assert report["by"] == "contender"
    assert sorted(report["reports"]) == ["deepseek", "openai"]
    assert [c["contender"] for c in report["reports"]["openai"]["contenders"]] == ["openai"]


def test_filters_narrow_the_counts(harvested: dict[str, str]) -> None:
    report = json.loads(stats("--format", "json", "--contender", "openai", env=harvested).stdout)
    nothing = json.loads(stats("--format", "json", "--since", "2999-01-01", env=harvested).stdout)

    assert [c["contender"] for c in report["contenders"]] == ["openai"]
    assert report["filters"] == {"contender": "openai"}
    assert nothing["contenders"] == [] and nothing["head_to_head"] == []


def test_an_empty_database_prints_a_clear_empty_report(env: dict[str, str]) -> None:
    result = stats("--format", "markdown", env=env)

    assert result.returncode == 0, result.stderr
    assert "No reviews match: nothing to count yet." in result.stdout


def test_from_github_needs_a_repository(env: dict[str, str]) -> None:
    result = stats("--from-github", env=env)

    assert result.returncode == 2
    assert "--from-github needs --repo owner/name" in result.stderr


def test_a_database_that_was_never_migrated_is_a_clear_error(env: dict[str, str]) -> None:
    with fresh_postgres_database("ra_cli_stats") as url:
        result = stats("--format", "json", env={**env, "DATABASE_URL": url})

    assert result.returncode == 2
    assert "the database could not be read" in result.stderr and "review-arena db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
