"""Value types for runs as the App records them: the key, the stored summary, finding spots, posted comments.

Shared by the PR review use case and the storage adapter; plain frozen dataclasses, no behaviour beyond
(de)serialising a spot.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.core.diff_parse import GithubFile

PostingClaim = Literal["listed", "unlisted", "taken-over"]
"""How a task won the right to post a run: ``listed`` and ``unlisted`` are first claims (no execution of the run
claimed it before), made after or before another poster listed the head's reviews on GitHub and recorded what it
found; ``taken-over`` is the stale claim of an execution that may have posted before it died."""


@dataclass(frozen=True, slots=True)
class RunKey:
    owner: str
    repo: str
    number: int
    head_sha: str
    contender: str


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a finding points and what it says: what peers need to detect agreement."""

    fingerprint: str
    path: str
    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"fp": self.fingerprint, "path": self.path, "start": self.start, "end": self.end, "text": self.text}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Spot:
        return Spot(str(data["fp"]), str(data["path"]), int(data["start"]), int(data["end"]), str(data["text"]))


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    contender: str
    head_sha: str
    status: str  # pending | reviewed | failed | posted | superseded
    position: int
    seed: int
    spots: tuple[Spot, ...]
    review_id: int | None


@dataclass(frozen=True, slots=True)
class RunSummary:
    status: str
    model: str | None
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float
    latency_s: float
    error: str | None
    files_reviewed: int = 0


@dataclass(frozen=True, slots=True)
class PostedComment:
    fingerprint: str
    path: str
    line: int | None
    start_line: int | None
    side: str
    severity: str
    category: str
    placement: str
    suggestion: str | None = None  # the committable suggestion as posted
    marker: str = ""


@dataclass(frozen=True, slots=True)
class PullContext:
    """What the webhook already said about the pull request, so the workers need not ask GitHub again."""

    title: str = ""
    body: str = ""
    default_branch: str = ""
    draft: bool = False
    author: str = ""


@dataclass(frozen=True, slots=True)
class HeadSnapshot:
    """One head of a pull request as fetched once and shared by every contender's task."""

    head_sha: str | None
    title: str
    body: str
    default_branch: str
    config_text: str | None
    files: tuple[GithubFile, ...]

    def to_json(self) -> str:
        data = {
            "head_sha": self.head_sha,
            "title": self.title,
            "body": self.body,
            "default_branch": self.default_branch,
            "config_text": self.config_text,
            "files": [asdict(f) for f in self.files],
        }
        return json.dumps(data)

    @staticmethod
    def from_json(text: str) -> HeadSnapshot:
        data = json.loads(text)
        return HeadSnapshot(
            head_sha=data["head_sha"],
            title=data["title"],
            body=data["body"],
            default_branch=data["default_branch"],
            config_text=data["config_text"],
            files=tuple(GithubFile(**f) for f in data["files"]),
        )
