"""The whole App on one machine for end-to-end tests and benchmarks: a real uvicorn receiver, real Celery
worker processes on real Redis, the fake GitHub and the fake models on real sockets, SQLite storage."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import redis
import uvicorn
import yaml

from bot.core.comments import parse_marker
from bot.service import build_receiver
from tests.conftest import TEST_KEY, contenders_for
from tests.fakes.github_server import FakeGitHubServer
from tests.fakes.openai_server import FakeModelServer

ROOT = Path(__file__).resolve().parents[1]
SECRET = "webhook-secret"
APP_ID = 4242


def signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ArenaStack:
    """Start with ``with ArenaStack(tmp_path, redis_db=14) as stack:``; every process is stopped on exit."""

    def __init__(
        self,
        workdir: Path,
        *,
        redis_db: int,
        contender_overrides: dict[str, dict[str, object]] | None = None,
        peer_wait_s: float = 60.0,
    ) -> None:
        self.workdir = workdir
        self.redis_url = f"redis://127.0.0.1:6379/{redis_db}"
        self.github = FakeGitHubServer()
        self.models = FakeModelServer(api_key=TEST_KEY)
        self._overrides = contender_overrides or {}
        self.workers: list[subprocess.Popen[bytes]] = []
        self._receiver: uvicorn.Server | None = None
        self._receiver_thread: threading.Thread | None = None
        self.receiver_url = ""
        self.env: dict[str, str] = {}
        self.peer_wait_s = peer_wait_s

    def __enter__(self) -> ArenaStack:
        client = redis.Redis.from_url(self.redis_url)
        client.flushdb()
        client.close()
        self.github.start()
        self.models.start()
        private_key = self.github.enable_app(app_id=APP_ID)
        config = self.workdir / "review-arena.yml"
        config.write_text(yaml.safe_dump({"contenders": contenders_for(self.models.base_url, **self._overrides)}))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "REVIEW_ARENA"))},
            "REDIS_URL": self.redis_url,
            "DATABASE_URL": f"sqlite:///{self.workdir / 'arena.db'}",
            "GITHUB_API_URL": self.github.api_url,
            "GITHUB_APP_ID": str(APP_ID),
            "GITHUB_PRIVATE_KEY": private_key,
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "REVIEW_ARENA_CONFIG": str(config),
            "REVIEW_ARENA_PEER_WAIT_S": str(self.peer_wait_s),
            "DEEPSEEK_API_KEY": TEST_KEY,
            "OPENAI_API_KEY": TEST_KEY,
            "PYTHONPATH": str(ROOT),
        }
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_receiver()
        for worker in self.workers:
            _stop(worker)
        self.models.stop()
        self.github.stop()
        client = redis.Redis.from_url(self.redis_url)
        client.flushdb()
        client.close()

    # --- processes -------------------------------------------------------------------------------------------
    def start_worker(
        self, *, pool: str = "threads", concurrency: int = 8, module: str = "bot"
    ) -> subprocess.Popen[bytes]:
        """``python -m bot worker``; ``module`` names another entry point that takes the same arguments."""
        log = (self.workdir / f"worker-{len(self.workers)}.log").open("wb")
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "worker",
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "--log-level",
                "warning",
            ],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.workers.append(worker)
        return worker

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    def start_receiver(self) -> str:
        app = build_receiver(self.env)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._receiver = uvicorn.Server(config)
        self._receiver_thread = threading.Thread(target=self._receiver.run, daemon=True)
        self._receiver_thread.start()
        deadline = time.monotonic() + 10
        while not (self._receiver.started and self._receiver.servers):
            if time.monotonic() > deadline:
                raise RuntimeError("the receiver did not start")
            time.sleep(0.02)
        port = self._receiver.servers[0].sockets[0].getsockname()[1]
        self.receiver_url = f"http://127.0.0.1:{port}"
        return self.receiver_url

    def stop_receiver(self) -> None:
        if self._receiver is not None and self._receiver_thread is not None:
            self._receiver.should_exit = True
            self._receiver_thread.join(timeout=10)
            self._receiver = None

    # --- traffic ---------------------------------------------------------------------------------------------
    def deliver(
        self,
        client: httpx.Client,
        event: str,
        payload: dict[str, Any],
        *,
        delivery: str | None = None,
        secret: str = SECRET,
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": signature(body, secret),
            "Content-Type": "application/json",
        }
        return client.post(f"{self.receiver_url}/api/github/webhooks", content=body, headers=headers)

    def queued(self) -> int:
        client = redis.Redis.from_url(self.redis_url)
        try:
            return int(client.llen("review-arena"))
        finally:
            client.close()

    def reviews_by_contender(self, owner: str, repo: str, number: int) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for review in self.github.state.reviews_of(owner, repo, number):
            marker = parse_marker(review.body)
            if marker is not None:
                found.setdefault(marker.contender, []).append(review.body)
        return found


def wait_until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
