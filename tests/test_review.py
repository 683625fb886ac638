"""The review use case: contenders in parallel over real HTTP to the fake models, failures kept apart."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from itertools import count

import pytest

from bot.core.config import Settings, settings_from
from bot.core.diff_parse import parse_unified_diff
from bot.core.outcome import ArenaReport
from bot.core.prompts import PullRequestInfo
from bot.llm import OpenAIModel
from bot.prompt_library import load_template
from bot.review import ModelClient, ReviewJob, run_arena
from tests.conftest import DIFFS, TEST_KEY, contenders_for
from tests.fakes.openai_server import Behaviour, FakeModelServer

DIFF = DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff"


def _settings(server: FakeModelServer, **overrides: dict[str, object]) -> Settings:
    return settings_from({"contenders": contenders_for(server.base_url, **overrides)}, source="test")


def _review(settings: Settings, diff_name: str = DIFF.name) -> ArenaReport:
    job = ReviewJob(
        diff=parse_unified_diff((DIFFS / diff_name).read_bytes()),
        pr=PullRequestInfo("t"),
        head_sha="a" * 40,
        source=diff_name,
    )
    ids = (f"{n:032x}" for n in count(1))

    async def go() -> ArenaReport:
        async with AsyncExitStack() as stack:
            models: dict[str, ModelClient] = {
                c.name: await stack.enter_async_context(OpenAIModel(c, api_key=TEST_KEY)) for c in settings.active()
            }
            run_ids = {name: next(ids) for name in models}
            return await run_arena(
                job, settings, load_template("review-v1"), models, run_ids=run_ids, clock=time.monotonic
            )

    return asyncio.run(go())


def test_both_contenders_post_findings_on_commentable_lines(model_server: FakeModelServer) -> None:
    report = _review(_settings(model_server))
    diff = parse_unified_diff(DIFF.read_bytes())
    assert [o.contender.name for o in report.outcomes] == ["deepseek", "openai"]
    for outcome in report.outcomes:
        assert outcome.status == "ok"
        assert outcome.findings
        for item in outcome.findings:
            f = diff.file(item.placement.path)
            assert f is not None and item.placement.line in f.commentable(item.placement.side)


def test_contenders_run_in_parallel(model_server: FakeModelServer) -> None:
    for model in ("deepseek-v4-pro", "gpt-5.6-sol"):
        model_server.set_behaviour(model, Behaviour(latency_s=1.0))
    report = _review(_settings(model_server))
    starts = sorted(r.received_at for r in model_server.requests)
    assert starts[-1] - starts[0] < 0.5, "the second contender waited for the first"
    assert all(o.status == "ok" for o in report.outcomes)


def test_one_failing_contender_does_not_stop_the_other(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("gpt-5.6-sol", Behaviour(fault="invalid_json"))
    report = _review(_settings(model_server))
    by_name = {o.contender.name: o for o in report.outcomes}
    assert by_name["deepseek"].status == "ok" and by_name["deepseek"].findings
    assert by_name["openai"].status == "failed"
    assert by_name["openai"].failures[0].kind == "garbage"


def test_model_not_found_names_the_contender_and_the_key(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("deepseek-v4-pro", Behaviour(fault="not_found"))
    report = _review(_settings(model_server))
    failed = report.outcomes[0]
    assert failed.status == "failed"
    assert failed.failures[0].kind == "model_not_found"
    assert "contender 'deepseek'" in (failed.error or "") and "'model'" in (failed.error or "")


def test_rate_limits_are_retried_honouring_retry_after(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("gpt-5.6-sol", Behaviour(fault="429", fault_times=1, retry_after_s=0.2))
    report = _review(_settings(model_server))
    assert report.outcomes[1].status == "ok"
    assert len(model_server.requests_for("gpt-5.6-sol")) == 2


def test_server_errors_past_the_retries_fail_only_that_contender(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("deepseek-v4-pro", Behaviour(fault="500"))
    report = _review(_settings(model_server, deepseek={"max_retries": 1}))
    assert report.outcomes[0].status == "failed" and report.outcomes[0].failures[0].kind == "transient"
    assert len(model_server.requests_for("deepseek-v4-pro")) == 2
    assert report.outcomes[1].status == "ok"


def test_the_deadline_beats_an_endless_keep_alive(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("deepseek-v4-pro", Behaviour(fault="keepalive"))
    started = time.monotonic()
    report = _review(_settings(model_server, deepseek={"deadline_s": 1.5, "request_timeout_s": 60}))
    assert time.monotonic() - started < 10
    assert report.outcomes[0].failures[0].kind == "deadline"
    assert report.outcomes[1].status == "ok"


def test_out_of_diff_findings_are_kept_in_the_body(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("gpt-5.6-sol", Behaviour(fault="out_of_diff"))
    report = _review(_settings(model_server))
    findings = report.outcomes[1].findings
    assert findings and all(item.placement.kind == "body" for item in findings)
    assert all("outside the diff" in (item.placement.reason or "") for item in findings)


def test_truncated_replies_keep_complete_findings_and_say_so(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("gpt-5.6-sol", Behaviour(fault="truncated"))
    report = _review(_settings(model_server))
    outcome = report.outcomes[1]
    assert outcome.status == "ok"
    assert any("cut off" in p for p in outcome.problems)


@pytest.mark.parametrize("dialect", ["reasoning_content", "reasoning", "thinking", "think_inline", "think_no_open"])
def test_reasoning_never_reaches_a_finding(model_server: FakeModelServer, dialect: str) -> None:
    model_server.set_behaviour("deepseek-v4-pro", Behaviour(dialect=dialect, reasoning_text="SECRET-REASONING"))  # type: ignore[arg-type]
    report = _review(_settings(model_server))
    assert report.outcomes[0].status == "ok" and report.outcomes[0].findings
    assert all("SECRET-REASONING" not in item.finding.body for item in report.outcomes[0].findings)


def test_usage_cost_and_the_served_model_are_recorded(model_server: FakeModelServer) -> None:
    model_server.set_behaviour("gpt-5.6-sol", Behaviour(served_model="gpt-5.6-sol-2026-07-09", cached_tokens=100))
    report = _review(_settings(model_server))
    o = report.outcomes[1]
    assert o.model == "gpt-5.6-sol-2026-07-09"
    assert o.usage.cached_input_tokens == 100
    u = o.usage
    expected = ((u.input_tokens - 100) * 5.0 + 100 * 0.5 + u.output_tokens * 30.0) / 1_000_000
    assert o.cost_usd == pytest.approx(expected)


def test_large_diffs_are_split_into_parallel_chunks(model_server: FakeModelServer) -> None:
    settings = _settings(model_server).model_copy(
        update={"review": Settings().review.model_copy(update={"max_chunk_tokens": 4000, "max_chunks": 3})}
    )
    report = _review(settings, "py-flask-huge-black-reformat-025589ee.diff")
    assert report.outcomes[0].chunks == 3
    assert any("over the review budget" in s.reason for s in report.skipped)
    assert len(model_server.requests_for("deepseek-v4-pro")) == 3
