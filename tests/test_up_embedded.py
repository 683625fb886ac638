"""``review-arena up`` with no REDIS_URL: receiver, worker and beat in one command on the embedded SQLite broker.
Real processes and real HTTP; the fake GitHub and the fake models stand in for the world."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import DIFFS, WEBHOOKS
from tests.stack import ArenaStack, signature, wait_until

pytestmark = pytest.mark.slow

OPENED = json.loads((WEBHOOKS / "pull_request" / "opened.payload.json").read_text(encoding="utf-8"))
OWNER, REPO = OPENED["repository"]["owner"]["login"], OPENED["repository"]["name"]
NUMBER, HEAD = OPENED["number"], OPENED["pull_request"]["head"]["sha"]
DIFF = (DIFFS / "py-requests-oneline-fix-88fda942.diff").read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_up_reviews_a_pull_request_without_redis(tmp_path: Path) -> None:
    with ArenaStack(tmp_path, redis_db=11) as stack:
        stack.github.add_installation(OWNER, installation_id=OPENED["installation"]["id"])
        stack.github.add_pull_request(OWNER, REPO, NUMBER, DIFF, head_sha=HEAD)
        env = {k: v for k, v in stack.env.items() if k != "REDIS_URL"}
        port = _free_port()
        log = (tmp_path / "up.log").open("wb")
        up = subprocess.Popen(
            [sys.executable, "-m", "bot", "up", "--port", str(port), "--concurrency", "4"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(timeout=10) as client:
                wait_until(lambda: _ready(client, base), seconds=60, what="the receiver to be ready")
                body = json.dumps(OPENED).encode()
                headers = {
                    "X-GitHub-Event": "pull_request",
                    "X-GitHub-Delivery": "up-1",
                    "X-Hub-Signature-256": signature(body),
                    "Content-Type": "application/json",
                }
                assert client.post(f"{base}/api/github/webhooks", content=body, headers=headers).status_code == 202
            wait_until(
                lambda: set(stack.reviews_by_contender(OWNER, REPO, NUMBER)) == {"deepseek", "openai"},
                seconds=120,
                what="both reviews through the embedded broker",
            )
            assert (tmp_path / "review-arena-broker.db").exists()
        finally:
            os.killpg(up.pid, signal.SIGTERM)
            try:
                up.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(up.pid, signal.SIGKILL)
                up.wait(timeout=10)
            log.close()


def _ready(client: httpx.Client, base: str) -> bool:
    try:
        return client.get(f"{base}/readyz").status_code == 200
    except httpx.TransportError:
        return False
