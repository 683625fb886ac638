"""JSON shapes of conversations and the App for the fake GitHub: owns reviews, review comments, issue comments,
reactions (with the per-comment rollup), collaborator permissions, installations, installation tokens and
`/rate_limit` bodies.

`Renderer` extends `CodeShapes` (github_payloads.py: users, repositories, pull requests, files, commits,
contents) so the server needs one object for every REST shape.
"""

from __future__ import annotations

from typing import Any

from .github_models import Installation, IssueComment, Reaction, Review, ReviewComment, User
from .github_payloads import CodeShapes
from .github_rules import REACTIONS, node_id

ROLES = ("none", "read", "triage", "write", "maintain", "admin")  # weakest first
# `permission` holds the legacy base role: maintain reads as write and triage as read (`role_name` keeps them).
_LEGACY = {"maintain": "write", "triage": "read"}


class Renderer(CodeShapes):
    """Every REST body the server sends."""

    def review(self, review: Review) -> dict[str, Any]:
        pr = review.pr
        pr_api = f"{self.repo_api(pr.repo)}/pulls/{pr.number}"
        html = f"{self.web}/{pr.repo.full_name}/pull/{pr.number}#pullrequestreview-{review.id}"
        body: dict[str, Any] = {
            "id": review.id,
            "node_id": node_id("PullRequestReview", review.id),
            "user": self.user(review.user),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pr_api,
            "_links": {"html": {"href": html}, "pull_request": {"href": pr_api}},
            "commit_id": review.commit_id,
            "author_association": review.author_association,
        }
        if review.submitted_at is not None:
            body["submitted_at"] = review.submitted_at
        return body

    def reactions_rollup(self, url: str, subject: str, subject_id: int) -> dict[str, Any]:
        found = self.state.reactions_of(subject, subject_id)
        rollup: dict[str, Any] = {"url": url, "total_count": len(found)}
        rollup.update({content: sum(1 for r in found if r.content == content) for content in REACTIONS})
        return rollup

    def review_comment(self, comment: ReviewComment) -> dict[str, Any]:
        pr = comment.pr
        url = f"{self.repo_api(pr.repo)}/pulls/comments/{comment.id}"
        pr_api = f"{self.repo_api(pr.repo)}/pulls/{pr.number}"
        html = f"{self.web}/{pr.repo.full_name}/pull/{pr.number}#discussion_r{comment.id}"
        body: dict[str, Any] = {
            "url": url,
            "pull_request_review_id": comment.review_id,
            "id": comment.id,
            "node_id": node_id("PullRequestReviewComment", comment.id),
            "diff_hunk": comment.diff_hunk,
            "path": comment.path,
            "position": comment.position,
            "original_position": comment.original_position,
            "commit_id": comment.commit_id,
            "original_commit_id": comment.original_commit_id,
            "user": self.user(comment.user),
            "body": comment.body,
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "html_url": html,
            "pull_request_url": pr_api,
            "author_association": comment.author_association,
            "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pr_api}},
            "start_line": comment.start_line,
            "original_start_line": comment.original_start_line,
            "start_side": comment.start_side,
            "line": comment.line,
            "original_line": comment.original_line,
            "side": comment.side,
            "subject_type": comment.subject_type,
            "reactions": self.reactions_rollup(f"{url}/reactions", "pull_comment", comment.id),
        }
        if comment.in_reply_to_id is not None:
            body["in_reply_to_id"] = comment.in_reply_to_id
        return body

    def issue_comment(self, comment: IssueComment) -> dict[str, Any]:
        url = f"{self.repo_api(comment.repo)}/issues/comments/{comment.id}"
        return {
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "url": url,
            "body": comment.body,
            "html_url": f"{self.web}/{comment.repo.full_name}/pull/{comment.number}#issuecomment-{comment.id}",
            "user": self.user(comment.user),
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "issue_url": f"{self.repo_api(comment.repo)}/issues/{comment.number}",
            "author_association": comment.author_association,
            "performed_via_github_app": None,
            "reactions": self.reactions_rollup(f"{url}/reactions", "issue_comment", comment.id),
        }

    def reaction(self, reaction: Reaction) -> dict[str, Any]:
        return {
            "id": reaction.id,
            "node_id": node_id("Reaction", reaction.id),
            "user": self.user(reaction.user),
            "content": reaction.content,
            "created_at": reaction.created_at,
        }

    def collaborator_permission(self, user: User, role: str) -> dict[str, Any]:
        """`GET /collaborators/{username}/permission` for someone with `role` (a name from `ROLES`)."""
        rank = ROLES.index(role) if role in ROLES else ROLES.index("read")
        grants = {"pull": 1, "triage": 2, "push": 3, "maintain": 4, "admin": 5}
        collaborator = {
            **self.user(user),
            "permissions": {name: rank >= needed for name, needed in grants.items()},
            "role_name": role,
        }
        permission = _LEGACY.get(role, role if role in ROLES else "read")
        return {"permission": permission, "role_name": role, "user": collaborator}

    def installation(self, inst: Installation) -> dict[str, Any]:
        return {
            "id": inst.id,
            "account": self.user(inst.account),
            "repository_selection": "all" if inst.repositories is None else "selected",
            "access_tokens_url": f"{self.api}/app/installations/{inst.id}/access_tokens",
            "repositories_url": f"{self.api}/installation/repositories",
            "html_url": f"{self.web}/settings/installations/{inst.id}",
            "app_id": inst.app_id,
            "app_slug": inst.app_slug,
            "target_id": inst.account.id,
            "target_type": inst.account.type,
            "permissions": inst.permissions,
            "events": ["pull_request", "pull_request_review_comment", "issue_comment"],
            "created_at": inst.created_at,
            "updated_at": inst.created_at,
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }

    def app(self) -> dict[str, Any]:
        state = self.state
        app_id = state.app_id or 0
        return {
            "id": app_id,
            "slug": state.app_slug,
            "node_id": node_id("App", app_id),
            "client_id": f"Iv1.{app_id:016x}",
            "owner": self.user(state.user(state.app_owner, "Organization")),
            "name": state.app_name,
            "description": "Reviews pull requests with several language models.",
            "external_url": self.web,
            "html_url": f"{self.web}/apps/{state.app_slug}",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "permissions": {"contents": "read", "metadata": "read", "pull_requests": "write", "issues": "write"},
            "events": ["pull_request", "pull_request_review_comment", "issue_comment"],
            "installations_count": len(state.installations),
        }

    def rate_limit(self, limit: int, used: int, reset: int, graphql_used: int) -> dict[str, Any]:
        core = {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": reset}
        graphql = {"limit": limit, "used": graphql_used, "remaining": max(limit - graphql_used, 0), "reset": reset}
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": reset}
        return {
            "resources": {
                "core": core,
                "graphql": graphql,
                "search": search,
                "code_search": {"limit": 10, "used": 0, "remaining": 10, "reset": reset},
            },
            "rate": core,
        }

    def token(self, token: str, expires_at: str, inst: Installation) -> dict[str, Any]:
        return {
            "token": token,
            "expires_at": expires_at,
            "permissions": inst.permissions,
            "repository_selection": "all" if inst.repositories is None else "selected",
        }
