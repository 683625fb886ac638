"""Labelled comment bodies and the hidden marker that lets the bot find its own comments. Pure.

Every posted comment opens with the contender's label, severity and category, and ends with a marker such as
``<!-- review-arena:v1 kind=finding contender=deepseek run=1f… head=ab… fp=9c… -->``. Model text is escaped so
it can neither close the marker nor forge one; :func:`parse_marker` reads only the strict form.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from bot.core.anchoring import AnchoredFinding
from bot.core.findings import Finding

MarkerKind = Literal["finding", "summary", "notice"]
SEVERITY_BADGES = {"critical": "🔴 critical", "high": "🟠 high", "medium": "🟡 medium", "low": "🔵 low"}
NO_HEAD = "-"
_KINDS: dict[str, MarkerKind] = {"finding": "finding", "summary": "summary", "notice": "notice"}
_MARKER = re.compile(
    r"<!-- review-arena:v1 kind=(?P<kind>finding|summary|notice) contender=(?P<contender>[a-z0-9][a-z0-9_.-]{0,39})"
    r" run=(?P<run>[0-9a-f]{8,64}) head=(?P<head>[0-9a-f]{4,64}|-) fp=(?P<fp>[0-9a-f]{16}|-) -->"
)


@dataclass(frozen=True, slots=True)
class Marker:
    kind: MarkerKind
    contender: str
    run_id: str
    head_sha: str
    fingerprint: str

    def render(self) -> str:
        text = (
            f"<!-- review-arena:v1 kind={self.kind} contender={self.contender} run={self.run_id}"
            f" head={self.head_sha} fp={self.fingerprint} -->"
        )
        if parse_marker(text) != self:
            raise ValueError(f"marker fields out of range: {self!r}")
        return text


def parse_marker(body: str | None) -> Marker | None:
    """The last well-formed marker in ``body``, or None."""
    if not body:
        return None
    matches = list(_MARKER.finditer(body))
    if not matches:
        return None
    m = matches[-1]
    return Marker(
        kind=_KINDS[m["kind"]],
        contender=m["contender"],
        run_id=m["run"],
        head_sha=m["head"],
        fingerprint=m["fp"],
    )


def fingerprint(finding: Finding) -> str:
    """A stable id for a finding: same place and words, same fingerprint."""
    key = "\x00".join(
        [
            finding.path,
            str(finding.start_line or ""),
            str(finding.line),
            finding.side,
            finding.category,
            finding.title,
            finding.body,
        ]
    )
    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]


def escape_model_text(text: str) -> str:
    """Neutralise HTML comments in model output so it cannot hide text or forge a marker."""
    return text.replace("<!--", "&lt;!--").replace("-->", "--&gt;")


def fence_for(text: str) -> str:
    """A code fence longer than any backtick run inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


@dataclass(frozen=True, slots=True)
class CommentContext:
    label: str
    contender: str
    run_id: str
    head_sha: str
    model: str
    prompt_version: str


def render_finding(item: AnchoredFinding, ctx: CommentContext, *, also_raised_by: tuple[str, ...] = ()) -> str:
    """The body of one inline review comment."""
    f = item.finding
    parts = [f"**{escape_model_text(ctx.label)}** · {SEVERITY_BADGES[f.severity]} · {escape_model_text(f.category)}"]
    if f.title:
        parts.append(f"**{escape_model_text(f.title)}**")
    if f.body:
        parts.append(escape_model_text(f.body))
    parts.extend(_suggestion_block(item))
    if item.placement.kind == "moved" and item.placement.reason:
        parts.append(f"<sub>↪ {item.placement.reason}</sub>")
    if also_raised_by:
        parts.append(f"<sub>🤝 also raised by {', '.join(also_raised_by)}</sub>")
    parts.append(footer(ctx))
    marker = Marker("finding", ctx.contender, ctx.run_id, ctx.head_sha, fingerprint(f))
    return "\n\n".join(parts) + "\n" + marker.render()


def footer(ctx: CommentContext) -> str:
    model = ctx.model.replace("`", "'")
    return f"<sub>Review Arena · {escape_model_text(ctx.label)} · model `{model}` · prompt {ctx.prompt_version}</sub>"


def _suggestion_block(item: AnchoredFinding) -> list[str]:
    text = item.suggestion or item.finding.suggestion
    if text is None:
        return []
    text = text.rstrip("\n")
    if item.suggestion is not None:
        fence = fence_for(text)
        return [f"{fence}suggestion\n{text}\n{fence}"]
    fence = fence_for(text)
    note = item.suggestion_note or "not committable"
    return [f"Proposed code ({note}):\n\n{fence}\n{escape_model_text(text)}\n{fence}"]


def review_comment(item: AnchoredFinding, body: str) -> dict[str, object]:
    """One entry of the ``comments`` array of ``POST /pulls/{n}/reviews``."""
    p = item.placement
    comment: dict[str, object] = {"path": p.path, "line": p.line, "side": p.side, "body": body}
    if p.start_line is not None and p.start_line != p.line:
        comment["start_line"] = p.start_line
        comment["start_side"] = p.side
    return comment
