"""Value types for runs as the App records them: the key, the stored summary, finding spots, posted comments.

Shared by the PR review use case and the storage adapter; plain frozen dataclasses, no behaviour beyond
(de)serialising a spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
