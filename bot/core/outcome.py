"""What one contender's review produced, and what a whole arena run produced. Pure value types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.anchoring import AnchoredFinding
from bot.core.config import ContenderConfig
from bot.core.selection import Skipped
from bot.core.usage import Usage

Status = Literal["ok", "partial", "failed"]


@dataclass(frozen=True, slots=True)
class ChunkFailure:
    chunk: int
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class ContenderOutcome:
    contender: ContenderConfig
    run_id: str
    status: Status
    served_model: str | None
    usage: Usage
    cost_usd: float
    latency_s: float
    chunks: int
    findings: tuple[AnchoredFinding, ...]
    failures: tuple[ChunkFailure, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def model(self) -> str:
        """The exact model string the API returned, else the configured one."""
        return self.served_model or self.contender.model

    @property
    def error(self) -> str | None:
        if not self.failures:
            return None
        return "; ".join(f"part {f.chunk + 1}: {f.message}" for f in self.failures)


@dataclass(frozen=True, slots=True)
class ArenaReport:
    head_sha: str | None
    source: str
    prompt_version: str
    reviewed: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    notes: tuple[str, ...]
    outcomes: tuple[ContenderOutcome, ...]
