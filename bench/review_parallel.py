"""End-to-end ``review-arena review`` wall time against fake models that each take 2 s.

Goal: wall time ÷ the slowest model's latency ≤ 1.10, i.e. the contenders run in parallel. Measured twice:
in process (the use case over real HTTP) and as a whole CLI process (which adds interpreter start-up and
imports).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import yaml

from bot.core.config import settings_from
from bot.core.diff_parse import parse_unified_diff
from bot.core.prompts import PullRequestInfo
from bot.llm import OpenAIModel
from bot.prompt_library import load_template
from bot.review import ModelClient, ReviewJob, run_arena
from tests.conftest import DIFFS, TEST_KEY, contenders_for
from tests.fakes.openai_server import Behaviour, FakeModelServer

LATENCY_S = 2.0
DIFF = DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff"


def _in_process(server: FakeModelServer) -> float:
    settings = settings_from({"contenders": contenders_for(server.base_url)}, source="bench")
    job = ReviewJob(
        diff=parse_unified_diff(DIFF.read_bytes()), pr=PullRequestInfo("bench"), head_sha=None, source=DIFF.name
    )

    async def go() -> float:
        async with AsyncExitStack() as stack:
            models: dict[str, ModelClient] = {
                c.name: await stack.enter_async_context(OpenAIModel(c, api_key=TEST_KEY)) for c in settings.active()
            }
            started = time.perf_counter()
            await run_arena(
                job,
                settings,
                load_template("review-v1"),
                models,
                run_ids={n: f"{i + 1:032x}" for i, n in enumerate(models)},
                clock=time.monotonic,
            )
            return time.perf_counter() - started

    return asyncio.run(go())


def _cli(server: FakeModelServer) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "c.yml"
        config.write_text(yaml.safe_dump({"contenders": contenders_for(server.base_url)}))
        script = str(Path(sys.executable).parent / "review-arena")
        env = {"DEEPSEEK_API_KEY": TEST_KEY, "OPENAI_API_KEY": TEST_KEY, "PATH": "/usr/bin:/bin"}
        started = time.perf_counter()
        subprocess.run(
            [script, "review", "--diff", str(DIFF), "--config", str(config), "--format", "json", "--quiet"],
            env=env,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started


def run() -> dict[str, Any]:
    with FakeModelServer(api_key=TEST_KEY) as server:
        server.default_behaviour = Behaviour(latency_s=LATENCY_S)
        in_process = min(_in_process(server) for _ in range(3))
        cli = min(_cli(server) for _ in range(3))
    return {
        "latency_s": LATENCY_S,
        "in_process_s": in_process,
        "cli_s": cli,
        "in_process_ratio": in_process / LATENCY_S,
        "cli_ratio": cli / LATENCY_S,
    }


def report(result: dict[str, Any]) -> str:
    return (
        f"Two contenders, each model answering in {result['latency_s']:.1f} s:\n\n"
        "| measured | wall s | ÷ slowest latency | goal |\n|---|---:|---:|---:|\n"
        f"| use case in process | {result['in_process_s']:.3f} | {result['in_process_ratio']:.3f} | ≤ 1.10 |\n"
        f"| whole CLI process | {result['cli_s']:.3f} | {result['cli_ratio']:.3f} | — |"
    )
