"""REST routes of the fake GitHub, part 1: owns request/reply types, the helpers every endpoint shares and the
code-reading endpoints (repository, pull requests, files, commits, compare, contents).

The table (github_routes_review.py) lists (method, path pattern, handler, credential kind, rate-limit resource).
Paths arrive without the optional `/api/v3` prefix, with `/repositories/{id}/…` already rewritten to
`/repos/{owner}/{repo}/…`. Lists paginate with `per_page` (default 30, max 100) and `page` and answer a
`Link` header (`rel="prev|next|last|first"`, pointing at `/repositories/{id}/…` as GitHub does); PR files
stop at 3000. `GET /pulls` sorts by `created` (the default) or `updated` (`popularity` and `long-running` fall
back to `created`), in `direction` (default `desc` for `created`, else `asc`, as GitHub documents), and lists the
`pull-request-simple` shape. Compare pages its commits (the last 250 without paging parameters) and lists at most
300 files, on the first page only. Installation tokens see only their installation's repositories (others are
404) and need write permission to post (else 403 "Resource not accessible by integration").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .github_auth import AuthRegistry, Principal
from .github_models import ApiError, Commit, Repository, not_found
from .github_payloads import CodeShapes
from .github_state import GitHubState

MAX_PR_FILES = 3000
MAX_COMPARE_FILES = 300
MAX_COMPARE_COMMITS = 250
PAT_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
PAT_NUMBER = r"(?P<number>\d+)"
PAT_ID = r"(?P<id>\d+)"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any
    principal: Principal = field(default_factory=lambda: Principal("anonymous", "ip:local"))
    link_path: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"


Handler = Callable[[Request, "re.Match[str]"], Reply]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    credential: str = "token"  # "token" or "jwt"
    resource: str = "core"
    counted: bool = True


class RouteBase:
    """Shared helpers (repository access, write permission, pagination) and the code-reading endpoints."""

    def __init__(self, state: GitHubState, auth: AuthRegistry, renderer: CodeShapes) -> None:
        self.state, self.auth, self.r = state, auth, renderer

    # ---- helpers --------------------------------------------------------------------------------------------
    def repo(self, req: Request, m: re.Match[str]) -> Repository:
        repo = self.state.repos.get(f"{m['owner']}/{m['repo']}".lower())
        p = req.principal
        hidden = repo is not None and (
            (p.installation is not None and not p.installation.covers(repo)) or (repo.private and p.kind == "anonymous")
        )
        if repo is None or hidden:
            raise not_found("https://docs.github.com/rest/repos/repos#get-a-repository")
        return repo

    def writer(self, req: Request, permission: str) -> Any:
        p = req.principal
        if p.user is None:
            raise ApiError(
                401,
                {
                    "message": "Requires authentication",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                },
            )
        if p.installation is not None and p.installation.permissions.get(permission) != "write":
            raise ApiError(
                403,
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "403",
                },
            )
        return p.user

    def page(self, req: Request, items: list[Any], cap: int | None = None) -> tuple[list[Any], dict[str, str]]:
        def number(name: str, default: int) -> int:
            try:
                return int(req.arg(name) or default)
            except ValueError:
                return default

        per_page = min(max(number("per_page", 30), 1), 100)
        page = max(number("page", 1), 1)
        items = items[:cap] if cap is not None else items
        pages = max(1, math.ceil(len(items) / per_page))
        params = [(k, v[0]) for k, v in req.query.items() if k not in ("page", "per_page")]
        if req.arg("per_page") is not None:
            params.append(("per_page", str(per_page)))

        def link(target: int, rel: str) -> str:
            return f'<{self.r.api}{req.link_path}?{urlencode([*params, ("page", str(target))])}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(min(page - 1, pages), "prev"))
        if page < pages:
            links += [link(page + 1, "next"), link(pages, "last")]
        if page > 1:
            links.append(link(1, "first"))
        chunk = items[(page - 1) * per_page : page * per_page]
        return chunk, ({"Link": ", ".join(links)} if links else {})

    def listing(self, req: Request, items: list[Any], render: Callable[[Any], Any], cap: int | None = None) -> Reply:
        chunk, headers = self.page(req, items, cap)
        return Reply(200, [render(x) for x in chunk], headers)

    # ---- repositories, pulls, commits, contents ------------------------------------------------------------
    def get_repo(self, req: Request, m: re.Match[str]) -> Reply:
        return Reply(200, self.r.repository(self.repo(req, m), full=True))

    def list_pulls(self, req: Request, m: re.Match[str]) -> Reply:
        repo, wanted = self.repo(req, m), req.arg("state", "open")
        sort = req.arg("sort", "created")
        by_updated = sort == "updated"
        descending = req.arg("direction", "desc" if sort == "created" else "asc") == "desc"
        pulls = sorted(
            (p for p in self.state.pulls.values() if p.repo is repo and wanted in ("all", p.state)),
            key=lambda p: (p.updated_at, p.number) if by_updated else (p.number,),
            reverse=descending,
        )
        return self.listing(req, pulls, self.r.pull_simple)

    def get_pull(self, req: Request, m: re.Match[str]) -> Reply:
        pr = self._pr(req, m)
        accept = req.headers.get("accept", "")
        if "diff" in accept or "patch" in accept:
            kind = "diff" if "diff" in accept else "patch"
            return Reply(200, raw=pr.diff_text.encode(), content_type=f"application/vnd.github.{kind}; charset=utf-8")
        return Reply(200, self.r.pull(pr))

    def _pr(self, req: Request, m: re.Match[str]) -> Any:
        repo = self.repo(req, m)
        return self.state.pull(repo.owner.login, repo.name, int(m["number"]))

    def pull_files(self, req: Request, m: re.Match[str]) -> Reply:
        pr = self._pr(req, m)
        return self.listing(req, pr.files, lambda f: self.r.file(pr.repo, pr.head_sha, f), cap=MAX_PR_FILES)

    def pull_commits(self, req: Request, m: re.Match[str]) -> Reply:
        pr = self._pr(req, m)
        commits = [self.state.commits[sha] for sha in pr.commits]
        return self.listing(req, commits, lambda c: self.r.commit(pr.repo, c, with_files=False))

    def get_commit(self, req: Request, m: re.Match[str]) -> Reply:
        repo, ref = self.repo(req, m), m["ref"]
        commit = self.state.commits.get(ref)
        if commit is None and len(ref) >= 7:
            commit = next((c for sha, c in self.state.commits.items() if sha.startswith(ref)), None)
        if commit is None:
            pr = next((p for p in self.state.pulls.values() if p.head_repo is repo and p.head_ref == ref), None)
            commit = self.state.commits.get(pr.head_sha) if pr else None
        if commit is None:
            raise ApiError(
                422,
                {
                    "message": f"No commit found for SHA: {ref}",
                    "status": "422",
                    "documentation_url": "https://docs.github.com/rest/commits/commits#get-a-commit",
                },
            )
        return Reply(200, self.r.commit(repo, commit))

    def compare(self, req: Request, m: re.Match[str]) -> Reply:
        repo = self.repo(req, m)
        parts = re.split(r"\.\.\.?", m["basehead"], maxsplit=1)
        if len(parts) != 2:
            raise not_found("https://docs.github.com/rest/commits/commits#compare-two-commits")
        base, head = (p.split(":", 1)[-1] for p in parts)
        files = self.state.compares.get((repo.full_name.lower(), base, head))
        commits = self._commits_between(base, head)
        if files is None:
            for pr in self.state.pulls.values():
                if pr.repo is repo and base in (pr.base_sha, pr.base_ref) and head in (pr.head_sha, pr.head_ref):
                    files, commits = pr.files, [self.state.commits[sha] for sha in pr.commits]
        if files is None:
            raise not_found("https://docs.github.com/rest/commits/commits#compare-two-commits")
        headers: dict[str, str] = {}
        if req.arg("page") is None and req.arg("per_page") is None:
            shown = commits[-MAX_COMPARE_COMMITS:]
        else:
            shown, headers = self.page(req, commits)
        page = req.arg("page") or "1"
        later_page = page.isdigit() and int(page) > 1  # GitHub lists the files on the first page only
        shown_files = None if later_page else files[:MAX_COMPARE_FILES]
        return Reply(200, self.r.compare(repo, base, head, shown, shown_files, total=len(commits)), headers)

    def _commits_between(self, base: str, head: str) -> list[Commit]:
        """Known commits from `head` back along first parents until `base` (exclusive), oldest first."""
        chain: list[Commit] = []
        sha = head
        while sha != base and sha in self.state.commits and len(chain) < 10_000:
            commit = self.state.commits[sha]
            chain.append(commit)
            sha = commit.parents[0] if commit.parents else base
        return chain[::-1]

    def contents(self, req: Request, m: re.Match[str]) -> Reply:
        repo = self.repo(req, m)
        path = (m["path"] or "").strip("/")
        ref, files = self.state.file_at(repo, path, req.arg("ref"))
        if path in files:
            return Reply(200, self.r.file_content(repo, path, ref, files[path]))
        prefix = f"{path}/" if path else ""
        children: dict[str, bytes | None] = {}
        for name, data in files.items():
            if name.startswith(prefix):
                head, _, rest = name[len(prefix) :].partition("/")
                children[prefix + head] = None if rest else data
        if not children:
            raise not_found("https://docs.github.com/rest/repos/contents#get-repository-content")
        return Reply(200, [self.r.content(repo, p, ref, d) for p, d in sorted(children.items())])
