"""Reads a pull request reference: ``owner/repo#123`` or a pull request URL (github.com or GHES). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHORT = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)#(?P<number>\d+)$")
_REF = re.compile(r"[?&]ref=([0-9A-Za-z._/-]+)")
_URL = re.compile(r"^https?://[^/]+/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/pulls?/(?P<number>\d+)(?:[/?#].*)?$")


@dataclass(frozen=True, slots=True)
class PullRef:
    owner: str
    repo: str
    number: int

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def __str__(self) -> str:
        return f"{self.owner}/{self.repo}#{self.number}"


def parse_pull_ref(text: str) -> PullRef:
    """Raise ValueError with the accepted forms when ``text`` is neither."""
    text = text.strip()
    match = _SHORT.match(text) or _URL.match(text)
    if match is None:
        raise ValueError(f"not a pull request reference: {text!r}; use owner/repo#N or a pull request URL")
    return PullRef(match["owner"], match["repo"], int(match["number"]))


def ref_of_contents_url(url: str | None) -> str | None:
    """The ``ref`` query parameter of a file entry's ``contents_url``: the head commit of a PR's file listing."""
    if not url:
        return None
    match = _REF.search(url)
    return match.group(1) if match else None
