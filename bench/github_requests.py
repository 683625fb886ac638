"""GitHub API requests per reviewed pull request, as the fake GitHub counts them.

Ten pull requests of the e2e tests' medium Flask diff (7 files) under one installation; ten signed
``pull_request`` ``opened`` deliveries (GitHub's example payload with ``number``, ``pull_request.number`` and
``pull_request.head.sha`` changed) go through the real uvicorn receiver to one real ``review-arena worker``
(threads pool) with two contenders. When all 20 reviews are posted and GitHub has seen no request for 3 s,
every request the fake answered is counted: nothing is excluded, the App's JWT → installation token exchange
included; the breakdown groups them by method and path with numbers and shas replaced by placeholders.

Goal: ≤ 6 GitHub requests per pull request for two contenders.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import DIFFS, WEBHOOKS
from tests.fakes.github_server import RecordedRequest
from tests.stack import ArenaStack, wait_until

PULLS = 10
REDIS_DB = 8
GOAL_PER_PULL = 6.0
QUIET_S = 3.0
OPENED = json.loads((WEBHOOKS / "pull_request" / "opened.payload.json").read_text(encoding="utf-8"))
OWNER, REPO = OPENED["repository"]["owner"]["login"], OPENED["repository"]["name"]
DIFF = (DIFFS / "py-flask-medium-feature-limits-config-c7a53888.diff").read_text(encoding="utf-8")
FIRST_NUMBER = 100


def _head(number: int) -> str:
    return hashlib.sha1(f"bench-head-{number}".encode()).hexdigest()


def _payload(number: int) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(OPENED)
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = _head(number)
    return payload


def template(request: RecordedRequest) -> str:
    """``METHOD /path`` with the owner/repo, shas and numbers as placeholders; GraphQL gets its operation."""
    path = re.sub(r"^/repos/[^/]+/[^/]+", "/repos/{owner}/{repo}", request.path)
    path = re.sub(r"\b[0-9a-f]{40}\b", "{sha}", path)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", path)
    if path.endswith("/graphql") and isinstance(request.body, dict):
        found = re.search(r"\b(query|mutation)\b\s*(\w*)[^{]*\{\s*(\w+)", str(request.body.get("query", "")))
        if found:
            path += f" ({found[1]} {found[2] or found[3]})"
    return f"{request.method} {path}"


def _quiet(stack: ArenaStack, seconds: float) -> None:
    """Wait until GitHub has seen no new request for ``seconds``."""
    seen, since = len(stack.github.requests), time.monotonic()
    deadline = since + 60
    while time.monotonic() - since < seconds and time.monotonic() < deadline:
        time.sleep(0.2)
        now = len(stack.github.requests)
        if now != seen:
            seen, since = now, time.monotonic()


def run() -> dict[str, Any]:
    numbers = range(FIRST_NUMBER, FIRST_NUMBER + PULLS)
    with tempfile.TemporaryDirectory() as tmp, ArenaStack(Path(tmp), redis_db=REDIS_DB) as stack:
        stack.github.add_installation(OWNER, installation_id=OPENED["installation"]["id"])
        for number in numbers:
            stack.github.add_pull_request(
                OWNER, REPO, number, DIFF, head_sha=_head(number), title=OPENED["pull_request"]["title"]
            )
        stack.start_worker(pool="threads", concurrency=8)
        stack.start_receiver()
        with httpx.Client(timeout=10) as client:
            statuses = [stack.deliver(client, "pull_request", _payload(number)).status_code for number in numbers]

        def all_posted() -> bool:
            return all(len(stack.reviews_by_contender(OWNER, REPO, n)) == 2 for n in numbers)

        wait_until(all_posted, seconds=180, what=f"{2 * PULLS} reviews")
        _quiet(stack, QUIET_S)
        requests = list(stack.github.requests)
        reviews = {n: {k: len(v) for k, v in stack.reviews_by_contender(OWNER, REPO, n).items()} for n in numbers}
        violations = len(stack.github.schema_violations)
        model_calls = len(stack.models.requests)
    breakdown: Counter[str] = Counter(template(r) for r in requests)
    codes: dict[str, Counter[int]] = {}
    for r in requests:
        codes.setdefault(template(r), Counter())[r.status] += 1
    per_pull = len(requests) / PULLS
    return {
        "pulls": PULLS,
        "delivery_statuses": dict(Counter(statuses)),
        "one_review_each": all(counts == {"deepseek": 1, "openai": 1} for counts in reviews.values()),
        "requests": len(requests),
        "per_pull": per_pull,
        "goal_per_pull": GOAL_PER_PULL,
        "ratio": per_pull / GOAL_PER_PULL,
        "breakdown": [
            {
                "request": name,
                "count": count,
                "per_pull": count / PULLS,
                "statuses": dict(sorted(codes[name].items())),
            }
            for name, count in breakdown.most_common()
        ],
        "model_calls": model_calls,
        "schema_violations": violations,
    }


def report(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| `{row['request']}` | {row['count']} | {row['per_pull']:.1f} "
        f"| {', '.join(f'{code}×{n}' for code, n in row['statuses'].items())} |"
        for row in result["breakdown"]
    )
    verdict = "met" if result["ratio"] <= 1 else "missed"
    return (
        f"{result['pulls']} pull requests × 2 contenders; deliveries answered {result['delivery_statuses']}; "
        f"one review per contender on every PR: {'yes' if result['one_review_each'] else 'NO'}; "
        f"{result['model_calls']} model calls; {result['schema_violations']} schema violations.\n\n"
        f"**{result['requests']} GitHub requests = {result['per_pull']:.1f} per PR**; goal ≤ "
        f"{result['goal_per_pull']:.0f}: ratio **{result['ratio']:.2f}** ({verdict}).\n\n"
        "| request | count | per PR | statuses |\n|---|---:|---:|---|\n"
        f"{rows}"
    )
