"""Diff pipeline cost per corpus diff: parse, select, chunk and render, timed and with peak memory.

Goal: the 1.1 MB reformat takes at most 0.5 s, and time grows linearly with size (seconds per MB roughly
constant across sizes).
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path
from typing import Any

from bot.core.chunking import plan_chunks
from bot.core.diff_parse import parse_unified_diff
from bot.core.selection import SelectionRules, select_files

DIFFS = Path(__file__).resolve().parents[2] / "shared" / "data" / "diffs"
REPEATS = 5


def pipeline(data: bytes) -> int:
    diff = parse_unified_diff(data)
    selection = select_files(diff, SelectionRules())
    plan = plan_chunks(selection.files, max_tokens=24000, max_chunks=10_000)
    return sum(len(c.text) for c in plan.chunks)


def _best_of(data: bytes, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        pipeline(data)
        best = min(best, time.perf_counter() - started)
    return best


def measure(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    best = _best_of(data, REPEATS)
    tracemalloc.start()
    pipeline(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "diff": path.name,
        "bytes": len(data),
        "seconds": best,
        "peak_mib": peak / 2**20,
        "seconds_per_mb": best / (len(data) / 1e6),
    }


def scaled(text: str, copies: int) -> bytes:
    """``copies`` renamed copies of one diff: the same content at 1x, 2x, 4x ... the size."""
    parts = []
    for k in range(copies):
        for line in text.splitlines(keepends=True):
            if line.startswith("diff --git "):
                line = line.replace(" a/", f" a/c{k}/", 1).replace(" b/", f" b/c{k}/", 1)
            elif line.startswith(("--- a/", "+++ b/")):
                line = line[:6] + f"c{k}/" + line[6:]
            parts.append(line)
    return "".join(parts).encode()


def linearity() -> list[dict[str, Any]]:
    text = (DIFFS / "py-flask-huge-black-reformat-025589ee.diff").read_text(encoding="utf-8")
    rows = []
    for copies in (1, 2, 4, 8):
        data = scaled(text, copies)
        rows.append({"copies": copies, "bytes": len(data), "seconds": _best_of(data, 3)})
    for r in rows:
        r["per_copy_ratio"] = (r["seconds"] / r["copies"]) / rows[0]["seconds"]
    return rows


def run() -> dict[str, Any]:
    rows = [measure(p) for p in sorted(DIFFS.iterdir()) if p.suffix in (".diff", ".patch")]
    largest = max(rows, key=lambda r: r["bytes"])
    return {
        "rows": rows,
        "largest": largest,
        "goal_largest_seconds": 0.5,
        "largest_ratio_to_goal": largest["seconds"] / 0.5,
        "linearity": linearity(),
    }


def report(result: dict[str, Any]) -> str:
    lines = ["| diff | bytes | seconds | s/MB | peak MiB |", "|---|---:|---:|---:|---:|"]
    for r in sorted(result["rows"], key=lambda r: r["bytes"]):
        lines.append(
            f"| {r['diff']} | {r['bytes']:,} | {r['seconds']:.4f} | {r['seconds_per_mb']:.3f} | {r['peak_mib']:.1f} |"
        )
    lg = result["largest"]
    lines.append("")
    lines.append(
        f"Largest ({lg['diff']}, {lg['bytes']:,} bytes): {lg['seconds']:.3f} s = "
        f"{result['largest_ratio_to_goal']:.2f} × the 0.5 s goal."
    )
    lines += [
        "",
        "Growth with size (renamed copies of the flask reformat; 1.00 = perfectly linear):",
        "",
        "| copies | bytes | seconds | (seconds ÷ copies) ÷ 1-copy seconds |",
        "|---:|---:|---:|---:|",
    ]
    for r in result["linearity"]:
        lines.append(f"| {r['copies']} | {r['bytes']:,} | {r['seconds']:.3f} | {r['per_copy_ratio']:.2f} |")
    return "\n".join(lines)
