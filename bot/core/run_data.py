"""The machine-readable record of a run that each review summary carries, so a harvest can rebuild the run
(model, prompt version, tokens, cost, latency) from GitHub alone. Pure.

It is an HTML comment, ``<!-- review-arena:run {json} -->``, placed before the summary's marker. Only comments
the bot itself wrote are read (see ``bot.core.signals.bot_marker``), so a copy in a human comment means nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from bot.core.outcome import ContenderOutcome

_RUN_DATA = re.compile(r"<!-- review-arena:run (?P<json>\{[^<>]*\}) -->")


@dataclass(frozen=True, slots=True)
class RunData:
    requested_model: str
    model: str
    prompt_version: str
    status: str
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    files_reviewed: int = 0


def run_data_of(outcome: ContenderOutcome, *, prompt_version: str, files_reviewed: int = 0) -> RunData:
    u = outcome.usage
    return RunData(
        requested_model=outcome.contender.model,
        model=outcome.model,
        prompt_version=prompt_version,
        status=outcome.status,
        input_tokens=u.input_tokens,
        cached_input_tokens=u.cached_input_tokens,
        output_tokens=u.output_tokens,
        reasoning_tokens=u.reasoning_tokens,
        cost_usd=round(outcome.cost_usd, 6),
        latency_s=round(outcome.latency_s, 3),
        files_reviewed=files_reviewed,
    )


def render_run_data(data: RunData) -> str:
    # a model string cannot close the comment early: "<" and ">" travel as JSON escapes
    text = json.dumps(asdict(data), separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- review-arena:run {text} -->"


def parse_run_data(body: str | None) -> RunData | None:
    """The last run record in ``body``; None when absent or malformed."""
    matches = list(_RUN_DATA.finditer(body or ""))
    if not matches:
        return None
    try:
        raw: Any = json.loads(matches[-1]["json"])
        return RunData(**{k: raw[k] for k in RunData.__dataclass_fields__ if k in raw})
    except (ValueError, TypeError):
        return None
