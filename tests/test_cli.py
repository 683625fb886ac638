"""``review-arena review`` through its real entry point, against the fake models over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.comments import parse_marker
from bot.core.diff_parse import parse_unified_diff
from tests.conftest import DIFFS, contenders_for
from tests.fakes.openai_server import Behaviour, FakeModelServer

SCRIPT = str(Path(sys.executable).parent / "review-arena")
DIFF = DIFFS / "py-flask-binary-svg-logo-a7589158.diff"


def _run(args: list[str], env: dict[str, str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "REVIEW_ARENA_CONFIG"}
    return subprocess.run(
        [SCRIPT, *args], env={**clean, **env}, input=stdin, capture_output=True, timeout=120, check=False
    )


def _json(result: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_json_output_has_both_contenders_labelled_on_valid_lines(config_file: Path, model_env: dict[str, str]) -> None:
    result = _run(["review", "--diff", str(DIFF), "--config", str(config_file), "--format", "json"], model_env)
    assert result.returncode == 0, result.stderr.decode()
    report = _json(result)
    assert report["schema"] == "review-arena/review@1"
    diff = parse_unified_diff(DIFF.read_bytes())
    assert [c["name"] for c in report["contenders"]] == ["deepseek", "openai"]
    for contender in report["contenders"]:
        assert contender["status"] == "ok" and contender["findings"]
        assert contender["model"].endswith("-fake-2026")
        assert contender["usage"]["input"] > 0 and contender["cost_usd"] > 0 and contender["latency_s"] > 0
        for finding in contender["findings"]:
            f = diff.file(finding["path"])
            assert f is not None and finding["line"] in f.commentable(finding["side"])
            assert finding["label"] == contender["label"]
            assert finding["comment_body"].startswith(f"**{contender['label']}**")
            marker = parse_marker(finding["comment_body"])
            assert marker is not None and marker.contender == contender["name"]
            assert finding["model"] == contender["model"] and finding["usage"] == contender["usage"]
        assert contender["review"]["event"] == "COMMENT"


def test_skipped_files_are_listed_with_reasons(config_file: Path, model_env: dict[str, str]) -> None:
    report = _json(_run(["review", "--diff", str(DIFF), "--config", str(config_file), "--format", "json"], model_env))
    reasons = {s["path"]: s["reason"] for s in report["files"]["skipped"]}
    assert reasons["docs/_static/flask-horizontal.png"] == "binary"
    assert all(r for r in reasons.values())


def test_one_contenders_failure_is_reported_while_the_other_prints(
    config_file: Path, model_env: dict[str, str], model_server: FakeModelServer
) -> None:
    model_server.set_behaviour("gpt-5.6-sol", Behaviour(fault="500"))
    result = _run(["review", "--diff", str(DIFF), "--config", str(config_file), "--format", "json"], model_env)
    assert result.returncode == 1
    by_name = {c["name"]: c for c in _json(result)["contenders"]}
    assert by_name["deepseek"]["status"] == "ok" and by_name["deepseek"]["findings"]
    assert by_name["openai"]["status"] == "failed" and "server error" in by_name["openai"]["error"]


def test_every_contender_failing_exits_3(
    config_file: Path, model_env: dict[str, str], model_server: FakeModelServer
) -> None:
    model_server.default_behaviour = Behaviour(fault="invalid_json")
    result = _run(["review", "--diff", str(DIFF), "--config", str(config_file)], model_env)
    assert result.returncode == 3


def test_a_missing_key_names_the_variable_and_sends_nothing(config_file: Path, model_server: FakeModelServer) -> None:
    result = _run(["review", "--diff", str(DIFF), "--config", str(config_file)], {"DEEPSEEK_API_KEY": "test-key"})
    assert result.returncode == 2
    assert b"OPENAI_API_KEY" in result.stderr and b"DEEPSEEK_API_KEY" not in result.stderr
    assert model_server.requests == []


def test_contenders_flag_narrows_the_run(config_file: Path, model_server: FakeModelServer) -> None:
    result = _run(
        ["review", "--diff", str(DIFF), "--config", str(config_file), "--contenders", "deepseek", "--format", "json"],
        {"DEEPSEEK_API_KEY": "test-key"},
    )
    assert result.returncode == 0, result.stderr.decode()
    assert [c["name"] for c in _json(result)["contenders"]] == ["deepseek"]


def test_diff_from_stdin_and_markdown_output(config_file: Path, model_env: dict[str, str]) -> None:
    result = _run(
        ["review", "--diff", "-", "--config", str(config_file), "--format", "markdown", "--quiet"],
        model_env,
        stdin=DIFF.read_bytes(),
    )
    assert result.returncode == 0
    text = result.stdout.decode()
    assert text.startswith("## Review Arena: stdin") and "DeepSeek V4 Pro" in text and "OpenAI GPT-5.6 Sol" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], b"exactly one of", id="no-input"),
        pytest.param(["--diff", "/nonexistent.diff"], b"cannot read", id="missing-file"),
        pytest.param(["--pr", "not a ref"], b"owner/repo#N", id="bad-pr-ref"),
        pytest.param(["--pr", "o/r#1"], b"GITHUB_TOKEN", id="pr-without-token"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    config_file: Path, model_env: dict[str, str], args: list[str], message: bytes
) -> None:
    result = _run(["review", "--config", str(config_file), *args], model_env)
    assert result.returncode == 2 and message in result.stderr
    assert b"Traceback" not in result.stderr


def test_a_broken_config_names_the_key_and_line(tmp_path: Path, model_env: dict[str, str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"contenders": contenders_for("http://x")}) + "review:\n  max_findings: many\n")
    result = _run(["review", "--diff", str(DIFF), "--config", str(bad)], model_env)
    assert result.returncode == 2
    assert b"review.max_findings" in result.stderr and b"line" in result.stderr and b"Traceback" not in result.stderr


def test_config_schema_is_json_schema() -> None:
    result = _run(["config", "schema"], {})
    schema = json.loads(result.stdout)
    assert schema["type"] == "object" and "contenders" in schema["properties"]


def test_pr_review_fetches_per_file_patches_from_github(config_file: Path, model_env: dict[str, str]) -> None:
    from tests.fakes.github_server import FakeGitHubServer

    diff_text = (DIFFS / "py-requests-renames-src-layout-d63e94f5.diff").read_text(encoding="utf-8")
    with FakeGitHubServer() as github:
        github.add_pull_request("octo", "hello", 7, diff_text, head_sha="c" * 40, title="Move to src layout")
        env = {**model_env, "GITHUB_TOKEN": "t", "GITHUB_API_URL": github.api_url}
        result = _run(["review", "--pr", "octo/hello#7", "--config", str(config_file), "--format", "json"], env)
        assert result.returncode == 0, result.stderr.decode()
        assert github.count_requests("GET", r"/pulls/7/files") >= 1
        assert github.count_requests("GET", r"\.diff$") == 0
        assert github.schema_violations == []
    report = _json(result)
    assert report["head_sha"] == "c" * 40 and report["source"] == "octo/hello#7"
    for contender in report["contenders"]:
        assert contender["findings"]
        assert all(f["placement"] == "inline" for f in contender["findings"])
        assert contender["review"]["commit_id"] == "c" * 40


def test_pr_review_reports_a_missing_pull_request(config_file: Path, model_env: dict[str, str]) -> None:
    from tests.fakes.github_server import FakeGitHubServer

    with FakeGitHubServer() as github:
        env = {**model_env, "GITHUB_TOKEN": "t", "GITHUB_API_URL": github.api_url}
        result = _run(["review", "--pr", "octo/none#1", "--config", str(config_file)], env)
    assert result.returncode == 4
    assert b"not found" in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", b"nothing to review", id="empty"),
        pytest.param(b"hello, this is not a diff\n", b"not a unified diff", id="not-a-diff"),
        pytest.param(b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-a\n", b"malformed", id="truncated"),
    ],
)
def test_unusable_diffs_exit_2_and_send_nothing(
    config_file: Path, model_env: dict[str, str], model_server: FakeModelServer, content: bytes, message: bytes
) -> None:
    result = _run(["review", "--diff", "-", "--config", str(config_file)], model_env, stdin=content)
    assert result.returncode == 2
    assert message in result.stderr
    assert model_server.requests == []
