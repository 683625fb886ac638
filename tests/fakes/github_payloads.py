"""JSON shapes of the fake GitHub: owns turning model records into REST bodies shaped like GitHub's.

Every builder returns what the OpenAPI description requires for that object (required fields present, nullable
ones null) and what PyGithub reads. API URLs start with the server's `api_url` so PyGithub can follow them
(`pr.url` is where `create_review` posts); web URLs start with `web_url`.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from .github_diff import FileDiff
from .github_models import (
    Commit,
    PullRequest,
    Repository,
    User,
    blob_sha,
    fake_sha,
)
from .github_rules import node_id
from .github_state import GitHubState

_REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}

# Fields of a full pull request that list endpoints (`pull-request-simple`) leave out.
_FULL_PULL_ONLY = frozenset(
    {
        "additions",
        "changed_files",
        "comments",
        "commits",
        "deletions",
        "maintainer_can_modify",
        "mergeable",
        "mergeable_state",
        "merged",
        "merged_by",
        "rebaseable",
        "review_comments",
    }
)


class CodeShapes:
    """GitHub-shaped JSON of code objects for one server (its API and web base URLs)."""

    def __init__(self, state: GitHubState, api_url: str, web_url: str) -> None:
        self.state, self.api, self.web = state, api_url.rstrip("/"), web_url.rstrip("/")

    def repo_api(self, repo: Repository) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def user(self, user: User) -> dict[str, Any]:
        base = f"{self.api}/users/{quote(user.login)}"
        html = (
            f"{self.web}/apps/{user.login.removesuffix('[bot]')}" if user.type == "Bot" else f"{self.web}/{user.login}"
        )
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("Bot" if user.type == "Bot" else "User", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": base,
            "html_url": html,
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def repository(self, repo: Repository, *, full: bool = False) -> dict[str, Any]:
        api = self.repo_api(repo)
        html = f"{self.web}/{repo.full_name}"
        body: dict[str, Any] = {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self.user(repo.owner),
            "private": repo.private,
            "html_url": html,
            "description": repo.description,
            "fork": repo.fork,
            "url": api,
            **{key: api + suffix for key, suffix in _REPO_URLS.items()},
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": 0,
            "default_branch": repo.default_branch,
            "open_issues_count": 0,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "pushed_at": repo.created_at,
            "created_at": repo.created_at,
            "updated_at": repo.created_at,
            "license": None,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "forks": 0,
            "open_issues": 0,
            "watchers": 0,
            "permissions": {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True},
        }
        if full:
            body.update(
                {
                    "network_count": 0,
                    "subscribers_count": 0,
                    "temp_clone_token": None,
                    "allow_squash_merge": True,
                    "allow_merge_commit": True,
                    "allow_rebase_merge": True,
                    "allow_auto_merge": False,
                    "delete_branch_on_merge": False,
                }
            )
        return body

    def _branch(self, repo: Repository, ref: str, sha: str) -> dict[str, Any]:
        return {
            "label": f"{repo.owner.login}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(repo.owner),
            "repo": self.repository(repo),
        }

    def pull(self, pr: PullRequest) -> dict[str, Any]:
        api = f"{self.repo_api(pr.repo)}/pulls/{pr.number}"
        issue = f"{self.repo_api(pr.repo)}/issues/{pr.number}"
        html = f"{self.web}/{pr.repo.full_name}/pull/{pr.number}"
        statuses = f"{self.repo_api(pr.repo)}/statuses/{pr.head_sha}"
        links = {
            "self": api,
            "html": html,
            "issue": issue,
            "comments": f"{issue}/comments",
            "review_comments": f"{api}/comments",
            "review_comment": f"{self.repo_api(pr.repo)}/pulls/comments{{/number}}",
            "commits": f"{api}/commits",
            "statuses": statuses,
        }
        state = self.state
        return {
            "url": api,
            "id": pr.id,
            "node_id": node_id("PullRequest", pr.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue,
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": statuses,
            "number": pr.number,
            "state": pr.state,
            "locked": False,
            "title": pr.title,
            "user": self.user(pr.user),
            "body": pr.body,
            "labels": [],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": pr.created_at,
            "updated_at": pr.updated_at,
            "closed_at": pr.updated_at if pr.state == "closed" else None,
            "merged_at": pr.updated_at if pr.merged else None,
            "merge_commit_sha": fake_sha("merge", pr.head_sha) if pr.merged else None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._branch(pr.head_repo, pr.head_ref, pr.head_sha),
            "base": self._branch(pr.repo, pr.base_ref, pr.base_sha),
            "_links": {key: {"href": value} for key, value in links.items()},
            "author_association": pr.author_association,
            "auto_merge": None,
            "draft": pr.draft,
            "merged": pr.merged,
            "mergeable": None if pr.merged else True,
            "rebaseable": None if pr.merged else True,
            "mergeable_state": "unknown" if pr.merged else "clean",
            "merged_by": None,
            "comments": len([c for c in state.issue_comments if c.repo is pr.repo and c.number == pr.number]),
            "review_comments": len([c for c in state.review_comments if c.pr is pr and not c.pending]),
            "maintainer_can_modify": False,
            "commits": len(pr.commits),
            "additions": sum(f.additions for f in pr.files),
            "deletions": sum(f.deletions for f in pr.files),
            "changed_files": len(pr.files),
        }

    def pull_simple(self, pr: PullRequest) -> dict[str, Any]:
        """A pull request as `GET /pulls` lists it: no `merged`, counts or mergeability."""
        return {key: value for key, value in self.pull(pr).items() if key not in _FULL_PULL_ONLY}

    def file(self, repo: Repository, ref: str, entry: FileDiff) -> dict[str, Any]:
        path = quote(entry.filename)
        blob = entry.old_blob if entry.status == "removed" else entry.new_blob
        body: dict[str, Any] = {
            "sha": fake_sha("blob", entry.filename, blob or ""),
            "filename": entry.filename,
            "status": entry.status,
            "additions": entry.additions,
            "deletions": entry.deletions,
            "changes": entry.changes,
            "blob_url": f"{self.web}/{repo.full_name}/blob/{ref}/{path}",
            "raw_url": f"{self.web}/{repo.full_name}/raw/{ref}/{path}",
            "contents_url": f"{self.repo_api(repo)}/contents/{path}?ref={ref}",
        }
        if entry.patch is not None:
            body["patch"] = entry.patch
        if entry.previous_filename is not None:
            body["previous_filename"] = entry.previous_filename
        return body

    def commit(self, repo: Repository, commit: Commit, *, with_files: bool = True) -> dict[str, Any]:
        api = f"{self.repo_api(repo)}/commits/{commit.sha}"
        html = f"{self.web}/{repo.full_name}/commit/{commit.sha}"
        person = {
            "name": commit.author.login,
            "email": f"{commit.author.login}@users.noreply.github.com",
            "date": commit.date,
        }
        tree = fake_sha("tree", commit.sha)
        body: dict[str, Any] = {
            "url": api,
            "sha": commit.sha,
            "node_id": node_id("Commit", int(commit.sha[:8], 16)),
            "html_url": html,
            "comments_url": f"{api}/comments",
            "commit": {
                "url": f"{self.repo_api(repo)}/git/commits/{commit.sha}",
                "author": person,
                "committer": person,
                "message": commit.message,
                "comment_count": 0,
                "tree": {"sha": tree, "url": f"{self.repo_api(repo)}/git/trees/{tree}"},
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "author": self.user(commit.author),
            "committer": self.user(commit.author),
            "parents": [
                {
                    "sha": p,
                    "url": f"{self.repo_api(repo)}/commits/{p}",
                    "html_url": f"{self.web}/{repo.full_name}/commit/{p}",
                }
                for p in commit.parents
            ],
        }
        if with_files:
            additions = sum(f.additions for f in commit.files)
            deletions = sum(f.deletions for f in commit.files)
            body["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
            body["files"] = [self.file(repo, commit.sha, f) for f in commit.files]
        return body

    def compare(
        self,
        repo: Repository,
        base: str,
        head: str,
        commits: list[Commit],
        files: list[FileDiff] | None,
        *,
        total: int | None = None,
    ) -> dict[str, Any]:
        """A comparison showing `commits` (one page of `total`) and `files` (None: a later page, without files)."""
        base_commit = self.state.commits.get(base) or Commit(base, "base", [], [], repo.owner)
        html = f"{self.web}/{repo.full_name}/compare/{base}...{head}"
        total = len(commits) if total is None else total
        body = {
            "url": f"{self.repo_api(repo)}/compare/{base}...{head}",
            "html_url": html,
            "permalink_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "base_commit": self.commit(repo, base_commit, with_files=False),
            "merge_base_commit": self.commit(repo, base_commit, with_files=False),
            "status": "ahead" if total else "identical",
            "ahead_by": total,
            "behind_by": 0,
            "total_commits": total,
            "commits": [self.commit(repo, c, with_files=False) for c in commits],
        }
        if files is not None:
            body["files"] = [self.file(repo, head, f) for f in files]
        return body

    def content(self, repo: Repository, path: str, ref: str, data: bytes | None) -> dict[str, Any]:
        """A file (`data` given) or a directory entry without content (`data` None)."""
        api = f"{self.repo_api(repo)}/contents/{quote(path)}?ref={quote(ref)}"
        sha = blob_sha(data) if data is not None else fake_sha("tree", repo.full_name, ref, path)
        kind = "file" if data is not None else "dir"
        git_url = f"{self.repo_api(repo)}/git/{'blobs' if data is not None else 'trees'}/{sha}"
        html = f"{self.web}/{repo.full_name}/{'blob' if data is not None else 'tree'}/{ref}/{quote(path)}"
        download = (
            f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{quote(path)}" if data is not None else None
        )
        body: dict[str, Any] = {
            "type": kind,
            "size": len(data) if data is not None else 0,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "url": api,
            "git_url": git_url,
            "html_url": html,
            "download_url": download,
            "_links": {"self": api, "git": git_url, "html": html},
        }
        return body

    def file_content(self, repo: Repository, path: str, ref: str, data: bytes) -> dict[str, Any]:
        encoded = base64.b64encode(data).decode()
        body = self.content(repo, path, ref, data)
        body["content"] = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
        body["encoding"] = "base64"
        return body
