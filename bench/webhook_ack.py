"""Webhook receiver acknowledgement under a steady 200 deliveries/s through the real stack.

A real uvicorn receiver (``ArenaStack.start_receiver()``: Redis broker, Redis delivery log) gets signed
``pull_request`` ``opened`` deliveries built from GitHub's example payload, each with its own delivery id so each
is claimed and queued (one ``review_pull`` message, which a worker would fan out). The load comes from a separate
process (a thread pool of keep-alive httpx clients): 5 deliveries one after another (the receiver's cold start: its
first delivery sets up the broker connection), then open loop at 200 requests/s, 1 s of warm-up and 15 s
measured. Latency is taken from each request's scheduled send time, so a stalled receiver cannot hide queueing
(no coordinated omission). No worker runs; the tasks wait in Redis and are flushed afterwards.

Goal: p99 ≤ 25 ms with 0 errors (non-2xx answers or failed requests) at the full 200 requests/s.
"""

from __future__ import annotations

import itertools
import json
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import WEBHOOKS
from tests.stack import ArenaStack, signature

RATE = 200.0
WARMUP_S = 1.0
MEASURE_S = 15.0
PRIME = 5  # deliveries sent one by one before the open loop; the first one's latency is the cold start
SENDERS = 32  # client threads; at 200/s this covers 160 ms of answer time before sends start late
REDIS_DB = 10
GOAL_P99_MS = 25.0
PAYLOAD = WEBHOOKS / "pull_request" / "opened.payload.json"


Row = tuple[float, float, float, int]


def _load(url: str, body: bytes, rate: float, warmup: int, measured: int) -> tuple[list[Row], float, list[float]]:
    """Open-loop sender (runs in its own process): (scheduled, started, done, status) per request (status 0: the
    request failed), the sender's CPU seconds and the seconds each priming delivery took."""
    total = warmup + measured
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-Hub-Signature-256": signature(body),
        "Content-Type": "application/json",
    }
    deliveries = [str(uuid.uuid4()) for _ in range(total)]
    results: list[Row | None] = [None] * total
    cpu = time.process_time()
    counter = itertools.count()
    lock = threading.Lock()
    primed: list[float] = []
    with httpx.Client(timeout=10) as client:
        for _ in range(PRIME):
            sent = time.perf_counter()
            client.post(url, content=body, headers={**headers, "X-GitHub-Delivery": str(uuid.uuid4())})
            primed.append(time.perf_counter() - sent)
    start = time.perf_counter() + 0.5  # time for every sender to open its client

    def sender() -> None:
        with httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=1)) as client:
            while True:
                with lock:
                    i = next(counter)
                if i >= total:
                    return
                scheduled = start + i / rate
                pause = scheduled - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                started = time.perf_counter()
                try:
                    status = client.post(url, content=body, headers={**headers, "X-GitHub-Delivery": deliveries[i]})
                    code = status.status_code
                except httpx.HTTPError:
                    code = 0
                results[i] = (scheduled - start, started - start, time.perf_counter() - start, code)

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r if r is not None else (0.0, 0.0, 0.0, 0) for r in results], time.process_time() - cpu, primed


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


def run() -> dict[str, Any]:
    body = json.dumps(json.loads(PAYLOAD.read_text(encoding="utf-8"))).encode()
    warmup, measured = round(RATE * WARMUP_S), round(RATE * MEASURE_S)
    with tempfile.TemporaryDirectory() as tmp, ArenaStack(Path(tmp), redis_db=REDIS_DB) as stack:
        url = stack.start_receiver() + "/api/github/webhooks"
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            pool.submit(time.sleep, 0).result()  # the sender process is up before the clock starts
            cpu = time.process_time()
            rows, sender_cpu, primed = pool.submit(_load, url, body, RATE, warmup, measured).result()
            receiver_cpu = time.process_time() - cpu
        queued_tasks = stack.queued()
    window = rows[warmup:]
    latencies = sorted((done - scheduled) * 1000 for scheduled, _, done, _ in window)
    lags = sorted((started - scheduled) * 1000 for scheduled, started, _, _ in window)
    ok = sum(1 for *_, status in window if 200 <= status < 300)
    first = window[0][0]
    last_done = max(done for _, _, done, _ in window)
    p99 = _percentile(latencies, 0.99)
    return {
        "rate_target": RATE,
        "warmup_requests": warmup,
        "requests": len(window),
        "ok_2xx": ok,
        "errors": len(window) - ok,
        "achieved_rate": len(window) / (last_done - first),
        "p50_ms": _percentile(latencies, 0.50),
        "p90_ms": _percentile(latencies, 0.90),
        "p99_ms": p99,
        "max_ms": latencies[-1],
        "mean_ms": statistics.fmean(latencies),
        "send_lag_p99_ms": _percentile(lags, 0.99),
        "receiver_cpu_ms_per_request": receiver_cpu / (PRIME + warmup + measured) * 1000,
        "sender_cpu_ms_per_request": sender_cpu / (PRIME + warmup + measured) * 1000,
        "queued_tasks": queued_tasks,
        "expected_tasks": PRIME + warmup + measured,
        "cold_first_ms": primed[0] * 1000,
        "primed_rest_ms": statistics.fmean(primed[1:]) * 1000,
        "p99_ratio": p99 / GOAL_P99_MS,
    }


def report(result: dict[str, Any]) -> str:
    errors_ok = "met" if result["errors"] == 0 else "missed"
    return (
        f"{result['requests']} measured deliveries at {result['rate_target']:.0f}/s after "
        f"{result['warmup_requests']} warm-up deliveries and {PRIME} sequential priming ones (the first, cold, took "
        f"{result['cold_first_ms']:.0f} ms; the next ones {result['primed_rest_ms']:.1f} ms on average); "
        f"{result['ok_2xx']} answered 2xx, "
        f"{result['errors']} errors ({errors_ok}); achieved {result['achieved_rate']:.1f} requests/s; "
        f"{result['queued_tasks']} tasks in Redis afterwards (expected {result['expected_tasks']}, "
        "priming and warm-up included).\n\n"
        "| latency from scheduled send | ms |\n|---|---:|\n"
        f"| p50 | {result['p50_ms']:.2f} |\n"
        f"| p90 | {result['p90_ms']:.2f} |\n"
        f"| p99 | {result['p99_ms']:.2f} |\n"
        f"| max | {result['max_ms']:.2f} |\n"
        f"| mean | {result['mean_ms']:.2f} |\n\n"
        f"p99 ÷ goal ({GOAL_P99_MS:.0f} ms): **{result['p99_ratio']:.2f}** "
        f"({'met' if result['p99_ratio'] <= 1 else 'missed'}). "
        f"Sender lag p99 (scheduled → actually sent, included above): {result['send_lag_p99_ms']:.2f} ms. "
        f"CPU per delivery: receiver process {result['receiver_cpu_ms_per_request']:.2f} ms (one process at that cost "
        f"tops out near {1000 / result['receiver_cpu_ms_per_request']:.0f} deliveries/s), sender "
        f"{result['sender_cpu_ms_per_request']:.2f} ms."
    )
