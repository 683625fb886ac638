"""Reads a model's reply into findings, leniently. Pure.

Models wrap JSON in code fences, leak ``<think>`` reasoning (with or without the opening tag), add prose after
the answer, or stop mid-array at their token limit. Each complete finding that can be recovered is kept;
each item that cannot be read is reported as a problem with its text; a reply with no JSON at all is an error
for that contender alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.diff import Side

Severity = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
_SEVERITY_ALIASES: dict[str, Severity] = {
    "blocker": "critical",
    "major": "high",
    "error": "high",
    "warning": "medium",
    "minor": "low",
    "info": "low",
    "nit": "low",
    "trivial": "low",
    "suggestion": "low",
}
_THINK_BLOCK = re.compile(r"<think(?:ing)?>(.*?)</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)
_JSON_START = re.compile(r"[\[{]")
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)(?:```|$)", re.DOTALL)
MAX_BODY_CHARS = 8000


class ReplyError(ValueError):
    """The reply holds no readable JSON answer."""


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    side: Side
    start_line: int | None
    severity: Severity
    category: str
    title: str
    body: str
    suggestion: str | None


@dataclass(frozen=True, slots=True)
class ParsedReply:
    findings: tuple[Finding, ...]
    problems: tuple[str, ...]
    truncated: bool


def split_reasoning(content: str) -> tuple[str, str]:
    """Separate inline reasoning from the answer: ``(answer, reasoning)``."""
    blocks = _THINK_BLOCK.findall(content)
    answer = _THINK_BLOCK.sub("", content)
    closing = list(_THINK_CLOSE.finditer(answer))
    if closing:  # R1 often omits the opening tag: everything before the last closing tag is reasoning
        cut = closing[-1]
        blocks.append(answer[: cut.start()])
        answer = answer[cut.end() :]
    return answer.strip(), "\n".join(b.strip() for b in blocks).strip()


def parse_reply(content: str) -> ParsedReply:
    answer, _ = split_reasoning(content)
    items, truncated = _extract_items(answer)
    findings: list[Finding] = []
    problems: list[str] = []
    for item in items:
        try:
            findings.append(finding_from(item))
        except (ValueError, TypeError) as exc:
            problems.append(f"unreadable finding ({exc}): {json.dumps(item)[:300]}")
    if truncated:
        problems.append("the reply was cut off; findings after the last complete one are lost")
    return ParsedReply(findings=tuple(findings), problems=tuple(problems), truncated=truncated)


def _extract_items(answer: str) -> tuple[list[Any], bool]:
    candidates = [m.group(1) for m in _FENCE.finditer(answer)] + [answer]
    unusable: ReplyError | None = None
    for text in candidates:
        # Prose may hold brackets before the answer ("2 issues [both real]:"), so try each opening in turn,
        # but never one inside JSON already read.
        done = 0
        for match in _JSON_START.finditer(text):
            if match.start() < done:
                continue
            try:
                value, done = json.JSONDecoder().raw_decode(text, match.start())
            except json.JSONDecodeError:
                items = _salvage_items(text[match.start() :]) if match.group() == "[" else None
                if items and any(isinstance(item, dict) for item in items):
                    return items, True
                continue
            try:
                return _items_of(value), False
            except ReplyError as exc:
                unusable = unusable or exc
    if unusable is not None:
        raise unusable
    if not answer.strip():
        raise ReplyError("the reply is empty")
    raise ReplyError(f"the reply holds no JSON answer: {answer.strip()[:200]!r}")


def _items_of(value: Any) -> list[Any]:
    if isinstance(value, list) and (not value or any(isinstance(item, dict) for item in value)):
        return value
    if isinstance(value, dict):
        found = value.get("findings", value.get("comments"))
        if isinstance(found, list):
            return found
        if "path" in value and "line" in value:
            return [value]
    raise ReplyError(f"the JSON answer has no findings list: {json.dumps(value)[:200]}")


def _salvage_items(text: str) -> list[Any] | None:
    """Recover the complete objects of a truncated ``[...]`` or ``{"findings": [...]``."""
    bracket = text.find("[")
    if bracket < 0:
        return None
    decoder = json.JSONDecoder()
    items: list[Any] = []
    pos = bracket + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return items
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return items
        items.append(item)


def finding_from(item: Any) -> Finding:
    if not isinstance(item, dict):
        raise TypeError("not an object")
    line = _int(item.get("line") if item.get("line") is not None else item.get("end_line"), "line")
    if line is None or line < 1:
        raise ValueError("no positive line")
    start = _int(item.get("start_line"), "start_line")
    body = str(item.get("body") or item.get("comment") or item.get("message") or "").strip()
    title = str(item.get("title") or "").strip()
    if not body and not title:
        raise ValueError("no body")
    suggestion = item.get("suggestion")
    return Finding(
        path=normalise_path(str(item.get("path") or item.get("file") or "")),
        line=line,
        side="LEFT" if str(item.get("side", "RIGHT")).upper() == "LEFT" else "RIGHT",
        start_line=start if start is not None and 0 < start < line else None,
        severity=normalise_severity(item.get("severity")),
        category=str(item.get("category") or "bug").strip().lower()[:40] or "bug",
        title=title[:200],
        body=body[:MAX_BODY_CHARS],
        suggestion=suggestion if isinstance(suggestion, str) and suggestion.strip() else None,
    )


def _int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} is not a number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} is not a number") from None


def normalise_path(path: str) -> str:
    path = path.strip().strip("'\"`").strip()
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def normalise_severity(value: Any) -> Severity:
    text = str(value or "medium").strip().lower()
    for severity in SEVERITIES:
        if text == severity:
            return severity
    return _SEVERITY_ALIASES.get(text, "medium")
