"""Builds the chat messages for one chunk from a versioned prompt template. Pure: templates come in as text.

The system prompt carries the rules (precision first, a cap on findings, the JSON shape); the user message
carries the PR and the numbered diff. Dialects decide later which role the rules go in.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from bot.core.chunking import Chunk

NIT_RULES = {
    False: "Do not report style nits, naming preferences or formatting: linters handle those.",
    True: 'Style nits are welcome, marked with severity "low" and category "style".',
}
MAX_DESCRIPTION_CHARS = 4000


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    version: str
    system: str
    user: str


@dataclass(frozen=True, slots=True)
class Prompt:
    version: str
    system: str
    user: str


@dataclass(frozen=True, slots=True)
class PullRequestInfo:
    title: str
    description: str = ""


def build_prompt(
    template: PromptTemplate, chunk: Chunk, *, total_chunks: int, pr: PullRequestInfo, max_findings: int, nits: bool
) -> Prompt:
    description = pr.description.strip()[:MAX_DESCRIPTION_CHARS] or "(no description)"
    values = {
        "max_findings": str(max_findings),
        "nit_rule": NIT_RULES[nits],
        "title": pr.title.strip() or "(untitled)",
        "description": description,
        "chunk_label": f"part {chunk.index + 1} of {total_chunks}",
        "diff": chunk.text,
    }
    return Prompt(
        version=template.version,
        system=Template(template.system).safe_substitute(values),
        user=Template(template.user).safe_substitute(values),
    )
