"""Run every benchmark once and print the results as Markdown (``python -m bench``); ``--json FILE`` saves them."""

from __future__ import annotations

import argparse
import json
import platform
from datetime import UTC, datetime

from bench import (
    diff_pipeline,
    github_requests,
    review_parallel,
    run_store,
    stats_query,
    webhook_ack,
    worker_throughput,
)

SUITES = {
    "diff_pipeline": diff_pipeline,
    "review_parallel": review_parallel,
    "webhook_ack": webhook_ack,
    "run_store": run_store,
    "worker_throughput": worker_throughput,
    "github_requests": github_requests,
    "stats_query": stats_query,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", choices=[*SUITES, []], help="suites to run (default: all)")
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args()
    results = {}
    print(
        f"# Benchmarks ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{platform.machine()})\n"
    )
    for name in args.names or SUITES:
        suite = SUITES[name]
        results[name] = suite.run()
        print(f"## {name}\n\n{(suite.__doc__ or '').strip()}\n\n{suite.report(results[name])}\n", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2, default=str)


if __name__ == "__main__":
    main()
