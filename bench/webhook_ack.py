"""Webhook receiver acknowledgement under a steady 200 deliveries/s through the real stack.

A real uvicorn receiver (``ArenaStack.start_receiver()``: Redis broker, Redis delivery log) gets signed
``pull_request`` ``opened`` deliveries built from GitHub's example payload, each with its own delivery id so each
is claimed and queued (one ``review_pull`` message, which a worker would fan out). The load comes from a separate
process: an asyncio open-loop sender writing prebuilt HTTP/1.1 requests on keep-alive sockets (a new socket
whenever every open one is waiting for an answer), cheap enough not to take the receiver's CPU. It sends 5
deliveries one after another (the receiver's cold start: its first delivery sets up the broker connection), then
200 requests/s, 1 s of warm-up and 15 s measured. Latency is taken from each request's scheduled send time, so a
stalled receiver or a late sender cannot hide queueing (no coordinated omission). No worker runs; the tasks wait
in Redis and are flushed afterwards.

Goal: p99 ≤ 25 ms with 0 errors (non-2xx answers or failed requests) at the full 200 requests/s.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.conftest import WEBHOOKS
from tests.stack import ArenaStack, signature

RATE = 200.0
WARMUP_S = 1.0
MEASURE_S = 15.0
PRIME = 5  # deliveries sent one by one before the open loop; the first one's latency is the cold start
REDIS_DB = 6
GOAL_P99_MS = 25.0
PAYLOAD = WEBHOOKS / "pull_request" / "opened.payload.json"
PATH = "/api/github/webhooks"

Row = tuple[float, float, float, int]
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _head(host: str, body: bytes, delivery: str) -> bytes:
    """The request line and headers of one signed delivery; the signature covers the body only."""
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-GitHub-Event: pull_request\r\nX-GitHub-Delivery: {delivery}\r\n"
        f"X-Hub-Signature-256: {signature(body)}\r\n\r\n"
    ).encode()


async def _exchange(connection: Connection, head: bytes, body: bytes) -> int:
    """Send one request and read its whole answer; the status code."""
    reader, writer = connection
    writer.writelines((head, body))
    answer = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in answer.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return int(answer[9:12])


async def _send_all(url: str, body: bytes, rate: float, total: int) -> tuple[list[Row], list[float]]:
    """Prime sequentially, then send ``total`` requests on the open-loop schedule."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    idle: list[Connection] = [await asyncio.open_connection(host, port) for _ in range(8)]
    primed: list[float] = []
    for _ in range(PRIME):
        sent = time.perf_counter()
        await _exchange(idle[0], _head(parts.netloc, body, str(uuid.uuid4())), body)
        primed.append(time.perf_counter() - sent)
    heads = [_head(parts.netloc, body, str(uuid.uuid4())) for _ in range(total)]
    results: list[Row] = [(0.0, 0.0, 0.0, 0)] * total
    start = time.perf_counter() + 0.1

    async def one(i: int, scheduled: float) -> None:
        connection = idle.pop() if idle else await asyncio.open_connection(host, port)
        started = time.perf_counter()
        try:
            status = await _exchange(connection, heads[i], body)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            connection[1].close()
            status = 0
        else:
            idle.append(connection)
        results[i] = (scheduled - start, started - start, time.perf_counter() - start, status)

    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        pause = scheduled - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return results, primed


def _load(url: str, body: bytes, rate: float, total: int) -> tuple[list[Row], float, list[float]]:
    """The sender process: (scheduled, started, done, status) per request (status 0: the request failed), the
    sender's CPU seconds and the seconds each priming delivery took."""
    cpu = time.process_time()
    results, primed = asyncio.run(_send_all(url, body, rate, total))
    return results, time.process_time() - cpu, primed


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


def run() -> dict[str, Any]:
    body = json.dumps(json.loads(PAYLOAD.read_text(encoding="utf-8"))).encode()
    warmup, measured = round(RATE * WARMUP_S), round(RATE * MEASURE_S)
    with tempfile.TemporaryDirectory() as tmp, ArenaStack(Path(tmp), redis_db=REDIS_DB) as stack:
        url = stack.start_receiver()
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            pool.submit(time.sleep, 0).result()  # the sender process is up before the clock starts
            cpu = time.process_time()
            rows, sender_cpu, primed = pool.submit(_load, url, body, RATE, warmup + measured).result()
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
