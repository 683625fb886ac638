"""In-memory store of the fake GitHub: owns the collections of records and the thread-safe helpers tests use to
seed them (repositories, files, pull requests from diff text, installations, people's repository roles) and to
act as people (issue comments, reactions, resolving threads, pushes that make threads outdated).

Every public method takes `GitHubState.lock` (re-entrant); the HTTP layer holds the same lock while it handles a
request, so a test reading `state.reviews` never sees a half-applied request. Record types live in
`github_models.py`, the rules GitHub enforces on writes in `github_rules.py`, JSON shapes in `github_payloads*.py`.
"""

from __future__ import annotations

import itertools
import threading

from .github_diff import FileDiff, parse_unified_diff
from .github_models import (
    ApiError,
    Commit,
    Installation,
    IssueComment,
    PullRequest,
    Reaction,
    Repository,
    Review,
    ReviewComment,
    ReviewThread,
    User,
    fake_sha,
    not_found,
    now_iso,
)


class GitHubState:
    """All records of the fake, guarded by one re-entrant lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._ids: dict[str, itertools.count[int]] = {}
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repository] = {}  # "owner/name" (lower-case) -> repo
        self.pulls: dict[tuple[str, int], PullRequest] = {}
        self.commits: dict[str, Commit] = {}
        self.compares: dict[tuple[str, str, str], list[FileDiff]] = {}
        self.reviews: list[Review] = []
        self.review_comments: list[ReviewComment] = []
        self.threads: list[ReviewThread] = []
        self.issue_comments: list[IssueComment] = []
        self.reactions: list[Reaction] = []
        self.installations: dict[int, Installation] = {}
        self.associations: dict[tuple[str, str], str] = {}  # (repo full name lower, login lower) -> value
        self.roles: dict[tuple[str, str], str] = {}  # (repo full name lower, login lower) -> role
        self.app_id: int | None = None
        self.app_slug = "review-arena"
        self.app_name = "Review Arena"
        self.app_owner = "review-arena-org"

    def next_id(self, kind: str) -> int:
        with self.lock:
            counter = self._ids.setdefault(kind, itertools.count({"user": 5001, "repo": 700001}.get(kind, 1001)))
            return next(counter)

    # ---- seeding -------------------------------------------------------------------------------------
    def user(self, login: str, type: str = "User") -> User:
        """The user with this login, created on first use."""
        with self.lock:
            found = self.users.get(login.lower())
            if found is None:
                found = self.users[login.lower()] = User(login, self.next_id("user"), type)
            return found

    def bot_user(self) -> User:
        """The App's bot account (`<slug>[bot]`, type Bot) that installation tokens act as."""
        return self.user(f"{self.app_slug}[bot]", "Bot")

    def add_repository(
        self,
        owner: str,
        name: str,
        *,
        default_branch: str = "main",
        private: bool = False,
        files: dict[str, str | bytes] | None = None,
        description: str | None = None,
    ) -> Repository:
        with self.lock:
            repo = self.repos.get(f"{owner}/{name}".lower())
            if repo is None:
                owner_user = self.user(owner)
                repo = Repository(owner_user, name, self.next_id("repo"), default_branch, private)
                repo.description = description
                self.repos[repo.full_name.lower()] = repo
            for path, content in (files or {}).items():
                self.add_file(owner, name, path, content)
            return repo

    def repo(self, owner: str, name: str) -> Repository:
        with self.lock:
            found = self.repos.get(f"{owner}/{name}".lower())
            if found is None:
                raise not_found("https://docs.github.com/rest/repos/repos#get-a-repository")
            return found

    def add_file(self, owner: str, name: str, path: str, content: str | bytes, ref: str | None = None) -> None:
        """Put a file in the repository at `ref` (default branch when None) for `GET /contents`."""
        with self.lock:
            repo = self.add_repository(owner, name)
            data = content.encode() if isinstance(content, str) else content
            repo.files.setdefault(ref or repo.default_branch, {})[path.strip("/")] = data

    def add_pull_request(
        self,
        owner: str,
        repo: str,
        number: int,
        diff_text: str,
        *,
        head_sha: str | None = None,
        base_sha: str | None = None,
        title: str | None = None,
        body: str | None = "",
        user: str = "octocat",
        draft: bool = False,
        state: str = "open",
        merged: bool = False,
        head_ref: str = "feature",
        base_ref: str | None = None,
        author_association: str = "CONTRIBUTOR",
        head_owner: str | None = None,
        head_files: dict[str, str | bytes] | None = None,
        updated_at: str | None = None,
    ) -> PullRequest:
        """Create (or replace) PR #number whose changes are `diff_text`, split into files like GitHub does
        (`updated_at` as GitHub writes it, default now; a closed PR's `closed_at` is the same time)."""
        with self.lock:
            base_repo = self.add_repository(owner, repo)
            head_repo = base_repo
            if head_owner is not None and head_owner.lower() != owner.lower():
                head_repo = self.add_repository(head_owner, repo)
                head_repo.fork = True
            files = parse_unified_diff(diff_text)
            head_sha = head_sha or fake_sha("head", owner, repo, number, diff_text)
            base_sha = base_sha or fake_sha("base", owner, repo, number)
            author = self.user(user)
            base_ref = base_ref or base_repo.default_branch
            self.commits.setdefault(base_sha, Commit(base_sha, f"Base of #{number}", [], [], author))
            self.commits[head_sha] = Commit(head_sha, title or f"Change #{number}", [base_sha], files, author)
            pr = PullRequest(
                repo=base_repo,
                number=number,
                id=self.next_id("pull"),
                title=title or f"Pull request #{number}",
                body=body,
                user=author,
                head_sha=head_sha,
                head_ref=head_ref,
                head_repo=head_repo,
                base_sha=base_sha,
                base_ref=base_ref,
                files=files,
                diff_text=diff_text,
                draft=draft,
                state=state,
                merged=merged,
                author_association=author_association,
                commits=[head_sha],
                snapshots={head_sha: files},
            )
            if updated_at is not None:
                pr.updated_at = updated_at
            self.pulls[(base_repo.full_name.lower(), number)] = pr
            self.set_author_association(owner, repo, user, author_association)
            for path, content in (head_files or {}).items():
                self.add_file(head_repo.owner.login, head_repo.name, path, content, ref=head_sha)
            return pr

    def push_pull_request(self, owner: str, repo: str, number: int, diff_text: str, head_sha: str) -> PullRequest:
        """A new push: the PR diff becomes `diff_text` at `head_sha`; threads whose line left the diff go outdated."""
        with self.lock:
            pr = self.pull(owner, repo, number)
            files = parse_unified_diff(diff_text)
            self.commits[head_sha] = Commit(head_sha, f"Update #{number}", [pr.head_sha], files, pr.user)
            pr.files, pr.diff_text, pr.head_sha = files, diff_text, head_sha
            pr.commits.append(head_sha)
            pr.snapshots[head_sha] = files
            pr.updated_at = now_iso()
            for thread in self.threads:
                if thread.pr is pr and not thread.is_outdated:
                    current = pr.file(thread.path)
                    lines = current.commentable(thread.side or "RIGHT") if current else {}
                    if thread.line not in lines:
                        self.mark_outdated(thread.id)
            return pr

    def pull(self, owner: str, repo: str, number: int) -> PullRequest:
        with self.lock:
            found = self.pulls.get((f"{owner}/{repo}".lower(), number))
            if found is None:
                raise not_found("https://docs.github.com/rest/pulls/pulls#get-a-pull-request")
            return found

    def add_commit(
        self,
        owner: str,
        repo: str,
        sha: str,
        diff_text: str = "",
        *,
        message: str = "A commit",
        parents: list[str] | None = None,
        author: str = "octocat",
    ) -> Commit:
        with self.lock:
            self.add_repository(owner, repo)
            commit = Commit(sha, message, parents or [], parse_unified_diff(diff_text), self.user(author))
            self.commits[sha] = commit
            return commit

    def add_compare(self, owner: str, repo: str, base: str, head: str, diff_text: str) -> None:
        """Register what `GET /compare/{base}...{head}` answers (PR base...head pairs are answered anyway)."""
        with self.lock:
            self.compares[(f"{owner}/{repo}".lower(), base, head)] = parse_unified_diff(diff_text)

    def add_installation(
        self,
        account: str,
        *,
        repositories: list[str] | None = None,
        installation_id: int | None = None,
        permissions: dict[str, str] | None = None,
    ) -> Installation:
        """Install the App on `account` (all its repositories, or only `repositories` given as "owner/name")."""
        with self.lock:
            inst = Installation(
                id=installation_id or self.next_id("installation"),
                account=self.user(account),
                app_id=self.app_id or 0,
                app_slug=self.app_slug,
                repositories=repositories,
                permissions=permissions
                or {"contents": "read", "metadata": "read", "pull_requests": "write", "issues": "write"},
            )
            self.installations[inst.id] = inst
            return inst

    def set_author_association(self, owner: str, repo: str, login: str, value: str) -> None:
        with self.lock:
            self.user(login)
            self.associations[(f"{owner}/{repo}".lower(), login.lower())] = value

    def set_role(self, owner: str, repo: str, login: str, role: str) -> None:
        """Give `login` a role on the repository: admin, maintain, write, triage, read or none."""
        with self.lock:
            self.user(login)
            self.roles[(f"{owner}/{repo}".lower(), login.lower())] = role

    def role(self, repo: Repository, user: User) -> str:
        """`user`'s role on `repo`: as set, else admin for the owner (association OWNER), write for MEMBER and
        COLLABORATOR, and otherwise read on a public repository, none on a private one."""
        with self.lock:
            found = self.roles.get((repo.full_name.lower(), user.login.lower()))
            if found is not None:
                return found
            association = self.association(repo, user)
            if association == "OWNER":
                return "admin"
            if association in ("MEMBER", "COLLABORATOR"):
                return "write"
            return "none" if repo.private else "read"

    def association(self, repo: Repository, user: User) -> str:
        with self.lock:
            found = self.associations.get((repo.full_name.lower(), user.login.lower()))
            if found is not None:
                return found
            return "OWNER" if user.login.lower() == repo.owner.login.lower() else "NONE"

    # ---- activity by people (test helpers) -----------------------------------------------------------
    def add_issue_comment(self, owner: str, repo: str, number: int, body: str, user: str = "octocat") -> IssueComment:
        with self.lock:
            repository = self.repo(owner, repo)
            author = self.user(user)
            comment = IssueComment(
                self.next_id("issue_comment"), repository, number, author, body, self.association(repository, author)
            )
            self.issue_comments.append(comment)
            return comment

    def add_reaction(self, subject: str, subject_id: int, content: str, user: str = "octocat") -> tuple[Reaction, bool]:
        """React to a review comment (`subject="pull_comment"`) or issue comment; returns (reaction, created)."""
        with self.lock:
            author = self.user(user)
            for reaction in self.reactions:
                same = (reaction.subject, reaction.subject_id, reaction.content) == (subject, subject_id, content)
                if same and reaction.user is author:
                    return reaction, False
            reaction = Reaction(self.next_id("reaction"), subject, subject_id, author, content)
            self.reactions.append(reaction)
            return reaction, True

    def resolve_thread(self, thread_id: str, by: str = "octocat", resolved: bool = True) -> ReviewThread:
        with self.lock:
            thread = self.thread(thread_id)
            thread.is_resolved = resolved
            thread.resolved_by = self.user(by) if resolved else None
            return thread

    def mark_outdated(self, thread_id: str) -> ReviewThread:
        with self.lock:
            thread = self.thread(thread_id)
            thread.is_outdated = True
            for comment in self.review_comments:
                if comment.thread_id == thread_id:
                    comment.line = comment.start_line = None
                    comment.position = None
            return thread

    # ---- lookups ----------------------------------------------------------------------------------------
    def thread(self, thread_id: str) -> ReviewThread:
        with self.lock:
            found = next((t for t in self.threads if t.id == thread_id), None)
            if found is None:
                raise KeyError(thread_id)
            return found

    def reviews_of(self, owner: str, repo: str, number: int) -> list[Review]:
        with self.lock:
            pr = self.pull(owner, repo, number)
            return [r for r in self.reviews if r.pr is pr]

    def comments_of(self, owner: str, repo: str, number: int, *, include_pending: bool = False) -> list[ReviewComment]:
        with self.lock:
            pr = self.pull(owner, repo, number)
            return [c for c in self.review_comments if c.pr is pr and (include_pending or not c.pending)]

    def threads_of(self, owner: str, repo: str, number: int) -> list[ReviewThread]:
        with self.lock:
            pr = self.pull(owner, repo, number)
            return [t for t in self.threads if t.pr is pr]

    def issue_comments_of(self, owner: str, repo: str, number: int) -> list[IssueComment]:
        with self.lock:
            repository = self.repo(owner, repo)
            return [c for c in self.issue_comments if c.repo is repository and c.number == number]

    def review_comment(self, owner: str, repo: str, comment_id: int) -> ReviewComment:
        with self.lock:
            repository = self.repo(owner, repo)
            for comment in self.review_comments:
                if comment.id == comment_id and comment.pr.repo is repository:
                    return comment
            raise not_found("https://docs.github.com/rest/pulls/comments#get-a-review-comment-for-a-pull-request")

    def issue_comment(self, owner: str, repo: str, comment_id: int) -> IssueComment:
        with self.lock:
            repository = self.repo(owner, repo)
            for comment in self.issue_comments:
                if comment.id == comment_id and comment.repo is repository:
                    return comment
            raise not_found("https://docs.github.com/rest/issues/comments#get-an-issue-comment")

    def reactions_of(self, subject: str, subject_id: int) -> list[Reaction]:
        with self.lock:
            return [r for r in self.reactions if r.subject == subject and r.subject_id == subject_id]

    def file_at(self, repo: Repository, path: str, ref: str | None) -> tuple[str, dict[str, bytes]]:
        """(resolved ref, files) for a contents lookup; PR heads without own files share the default branch."""
        with self.lock:
            ref = ref or repo.default_branch
            if ref in repo.files:
                return ref, repo.files[ref]
            known = {repo.default_branch, *self.commits}
            for pr in self.pulls.values():
                if pr.head_repo is repo or pr.repo is repo:
                    known.update({pr.head_ref, pr.base_ref, pr.head_sha, pr.base_sha})
            if ref in known:
                return ref, repo.files.get(repo.default_branch, {})
            raise ApiError(
                404,
                {
                    "message": f"No commit found for the ref {ref}",
                    "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content",
                    "status": "404",
                },
            )
