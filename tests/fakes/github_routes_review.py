"""REST routes of the fake GitHub, part 2: owns the endpoint table and the App, rate-limit, GraphQL, review,
review-comment, issue-comment, reaction and collaborator-permission endpoints (`Routes` extends `RouteBase` from
github_routes.py).
"""

from __future__ import annotations

import re
from typing import Any

from . import github_rules as rules
from .github_auth import AuthRegistry
from .github_graphql import GraphQLExecutor
from .github_models import ApiError, not_found, now_iso
from .github_payloads_review import Renderer
from .github_routes import PAT_ID, PAT_NUMBER, PAT_REPO, Handler, Reply, Request, Route, RouteBase
from .github_state import GitHubState


class Routes(RouteBase):
    """The endpoint table and the handlers not in `RouteBase`."""

    def __init__(self, state: GitHubState, auth: AuthRegistry, renderer: Renderer, graphql: GraphQLExecutor) -> None:
        super().__init__(state, auth, renderer)
        self.graphql = graphql
        self.rr = renderer
        repo, num, ident = PAT_REPO, PAT_NUMBER, PAT_ID
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/app", self.get_app),
            ("GET", "/app/installations", self.list_installations),
            ("GET", rf"/app/installations/{ident}", self.get_installation),
            ("POST", rf"/app/installations/{ident}/access_tokens", self.create_token),
            ("GET", rf"{repo}/installation", self.repo_installation),
            ("GET", "/installation/repositories", self.installation_repos),
            ("GET", "/rate_limit", self.rate_limit),
            ("POST", r"(?:/api)?/graphql", self.post_graphql),
            ("GET", rf"{repo}", self.get_repo),
            ("GET", rf"{repo}/pulls", self.list_pulls),
            ("GET", rf"{repo}/pulls/{num}", self.get_pull),
            ("GET", rf"{repo}/pulls/{num}/files", self.pull_files),
            ("GET", rf"{repo}/pulls/{num}/commits", self.pull_commits),
            ("GET", rf"{repo}/pulls/{num}/reviews", self.list_reviews),
            ("POST", rf"{repo}/pulls/{num}/reviews", self.create_review),
            ("GET", rf"{repo}/pulls/{num}/reviews/{ident}", self.get_review),
            ("GET", rf"{repo}/pulls/{num}/reviews/{ident}/comments", self.review_comments),
            ("GET", rf"{repo}/pulls/{num}/comments", self.pull_comments),
            ("POST", rf"{repo}/pulls/{num}/comments", self.create_pull_comment),
            ("POST", rf"{repo}/pulls/{num}/comments/{ident}/replies", self.create_reply),
            ("GET", rf"{repo}/pulls/comments/{ident}", self.get_pull_comment),
            ("PATCH", rf"{repo}/pulls/comments/{ident}", self.edit_pull_comment),
            ("GET", rf"{repo}/pulls/comments/{ident}/reactions", self.list_reactions),
            ("POST", rf"{repo}/pulls/comments/{ident}/reactions", self.create_reaction),
            ("GET", rf"{repo}/issues/{num}/comments", self.issue_comments),
            ("POST", rf"{repo}/issues/{num}/comments", self.create_issue_comment),
            ("GET", rf"{repo}/issues/comments/{ident}", self.get_issue_comment),
            ("PATCH", rf"{repo}/issues/comments/{ident}", self.edit_issue_comment),
            ("GET", rf"{repo}/issues/comments/{ident}/reactions", self.list_reactions),
            ("POST", rf"{repo}/issues/comments/{ident}/reactions", self.create_reaction),
            ("GET", rf"{repo}/collaborators/(?P<username>[^/]+)/permission", self.collaborator_permission),
            ("GET", rf"{repo}/commits/(?P<ref>.+)", self.get_commit),
            ("GET", rf"{repo}/compare/(?P<basehead>.+)", self.compare),
            ("GET", rf"{repo}/contents(?:/(?P<path>.*))?", self.contents),
        ]
        jwt = {self.get_app, self.list_installations, self.get_installation, self.create_token, self.repo_installation}
        self.table = [
            Route(
                method,
                re.compile(f"^{pattern}/?$"),
                handler,
                "jwt" if handler in jwt else "token",
                "graphql" if handler == self.post_graphql else "core",
                handler != self.rate_limit,
            )
            for method, pattern, handler in table
        ]

    def match(self, method: str, path: str) -> tuple[Route, re.Match[str]] | None:
        for route in self.table:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found
        return None

    # ---- App ---------------------------------------------------------------------------------------------------
    def get_app(self, req: Request, m: re.Match[str]) -> Reply:
        return Reply(200, self.rr.app())

    def list_installations(self, req: Request, m: re.Match[str]) -> Reply:
        return self.listing(req, list(self.state.installations.values()), self.rr.installation)

    def get_installation(self, req: Request, m: re.Match[str]) -> Reply:
        inst = self.state.installations.get(int(m["id"]))
        if inst is None:
            raise not_found("https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app")
        return Reply(200, self.rr.installation(inst))

    def create_token(self, req: Request, m: re.Match[str]) -> Reply:
        inst = self.state.installations.get(int(m["id"]))
        if inst is None:
            raise not_found("https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app")
        token, expires_at = self.auth.mint_installation_token(inst.id)
        return Reply(201, self.rr.token(token, expires_at, inst))

    def repo_installation(self, req: Request, m: re.Match[str]) -> Reply:
        repo = self.repo(req, m)
        inst = next((i for i in self.state.installations.values() if i.covers(repo)), None)
        if inst is None:
            raise not_found(
                "https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app"
            )
        return Reply(200, self.rr.installation(inst))

    def installation_repos(self, req: Request, m: re.Match[str]) -> Reply:
        inst = req.principal.installation
        if inst is None:
            raise ApiError(
                403,
                {
                    "message": "Resource not accessible by personal access token",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "403",
                },
            )
        repos = [r for r in self.state.repos.values() if inst.covers(r)]
        chunk, headers = self.page(req, repos)
        return Reply(
            200,
            {
                "total_count": len(repos),
                "repositories": [self.rr.repository(r) for r in chunk],
                "repository_selection": "all" if inst.repositories is None else "selected",
            },
            headers,
        )

    def rate_limit(self, req: Request, m: re.Match[str]) -> Reply:
        limit, used, reset = self.auth.usage(req.principal)
        return Reply(200, self.rr.rate_limit(limit, used.get("core", 0), reset, used.get("graphql", 0)))

    def post_graphql(self, req: Request, m: re.Match[str]) -> Reply:
        if req.principal.user is None:
            raise ApiError(
                401,
                {
                    "message": "This endpoint requires you to be authenticated.",
                    "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql"
                    "#authenticating-with-graphql",
                },
            )
        body = req.body if isinstance(req.body, dict) else {}
        variables = body.get("variables") if isinstance(body.get("variables"), dict) else {}
        return Reply(200, self.graphql.execute(str(body.get("query") or ""), variables, req.principal.user))

    # ---- reviews and review comments ----------------------------------------------------------------------------
    def list_reviews(self, req: Request, m: re.Match[str]) -> Reply:
        pr, me = self._pr(req, m), req.principal.user
        reviews = [r for r in self.state.reviews if r.pr is pr and (r.state != "PENDING" or r.user is me)]
        return self.listing(req, reviews, self.rr.review)

    def create_review(self, req: Request, m: re.Match[str]) -> Reply:
        pr, user = self._pr(req, m), self.writer(req, "pull_requests")
        return Reply(200, self.rr.review(rules.create_review(self.state, pr, user, _object(req.body))))

    def get_review(self, req: Request, m: re.Match[str]) -> Reply:
        pr = self._pr(req, m)
        review = next((r for r in self.state.reviews if r.pr is pr and r.id == int(m["id"])), None)
        if review is None:
            raise not_found("https://docs.github.com/rest/pulls/reviews#get-a-review-for-a-pull-request")
        return Reply(200, self.rr.review(review))

    def review_comments(self, req: Request, m: re.Match[str]) -> Reply:
        self.get_review(req, m)
        comments = [c for c in self.state.review_comments if c.review_id == int(m["id"])]
        return self.listing(req, comments, self.rr.review_comment)

    def pull_comments(self, req: Request, m: re.Match[str]) -> Reply:
        pr = self._pr(req, m)
        comments = [c for c in self.state.review_comments if c.pr is pr and not c.pending]
        if req.arg("direction") == "desc":
            comments.reverse()
        return self.listing(req, comments, self.rr.review_comment)

    def create_pull_comment(self, req: Request, m: re.Match[str]) -> Reply:
        pr, user = self._pr(req, m), self.writer(req, "pull_requests")
        return Reply(201, self.rr.review_comment(rules.create_review_comment(self.state, pr, user, _object(req.body))))

    def create_reply(self, req: Request, m: re.Match[str]) -> Reply:
        pr, user = self._pr(req, m), self.writer(req, "pull_requests")
        comment = rules.reply(self.state, pr, user, int(m["id"]), _object(req.body).get("body"))
        return Reply(201, self.rr.review_comment(comment))

    def get_pull_comment(self, req: Request, m: re.Match[str]) -> Reply:
        repo = self.repo(req, m)
        return Reply(200, self.rr.review_comment(self.state.review_comment(repo.owner.login, repo.name, int(m["id"]))))

    def edit_pull_comment(self, req: Request, m: re.Match[str]) -> Reply:
        repo, user = self.repo(req, m), self.writer(req, "pull_requests")
        comment = self.state.review_comment(repo.owner.login, repo.name, int(m["id"]))
        comment.body = _edited_body(req, comment.user is user)
        comment.updated_at = now_iso()
        return Reply(200, self.rr.review_comment(comment))

    # ---- issue comments and reactions ------------------------------------------------------------------------
    def issue_comments(self, req: Request, m: re.Match[str]) -> Reply:
        repo = self.repo(req, m)
        return self.listing(
            req, self.state.issue_comments_of(repo.owner.login, repo.name, int(m["number"])), self.rr.issue_comment
        )

    def create_issue_comment(self, req: Request, m: re.Match[str]) -> Reply:
        repo, user = self.repo(req, m), self.writer(req, "issues")
        comment = rules.create_issue_comment(
            self.state, repo.owner.login, repo.name, int(m["number"]), user, _object(req.body)
        )
        return Reply(201, self.rr.issue_comment(comment))

    def get_issue_comment(self, req: Request, m: re.Match[str]) -> Reply:
        repo = self.repo(req, m)
        return Reply(200, self.rr.issue_comment(self.state.issue_comment(repo.owner.login, repo.name, int(m["id"]))))

    def edit_issue_comment(self, req: Request, m: re.Match[str]) -> Reply:
        repo, user = self.repo(req, m), self.writer(req, "issues")
        comment = self.state.issue_comment(repo.owner.login, repo.name, int(m["id"]))
        comment.body = _edited_body(req, comment.user is user)
        comment.updated_at = now_iso()
        return Reply(200, self.rr.issue_comment(comment))

    def _reaction_subject(self, req: Request, m: re.Match[str]) -> tuple[str, int]:
        repo, comment_id = self.repo(req, m), int(m["id"])
        if "/pulls/comments/" in req.path:
            self.state.review_comment(repo.owner.login, repo.name, comment_id)
            return "pull_comment", comment_id
        self.state.issue_comment(repo.owner.login, repo.name, comment_id)
        return "issue_comment", comment_id

    def list_reactions(self, req: Request, m: re.Match[str]) -> Reply:
        subject, subject_id = self._reaction_subject(req, m)
        wanted = req.arg("content")
        found = [r for r in self.state.reactions_of(subject, subject_id) if wanted in (None, r.content)]
        return self.listing(req, found, self.rr.reaction)

    def create_reaction(self, req: Request, m: re.Match[str]) -> Reply:
        subject, subject_id = self._reaction_subject(req, m)
        user = self.writer(req, "pull_requests" if subject == "pull_comment" else "issues")
        reaction, created = rules.create_reaction(self.state, subject, subject_id, user, _object(req.body))
        return Reply(201 if created else 200, self.rr.reaction(reaction))

    # ---- collaborators -------------------------------------------------------------------------------------
    def collaborator_permission(self, req: Request, m: re.Match[str]) -> Reply:
        """Anyone's role on the repository (see `GitHubState.role`); a login GitHub does not know is 404."""
        repo = self.repo(req, m)
        user = self.state.users.get(m["username"].lower())
        if user is None:
            raise not_found(
                "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user"
            )
        return Reply(200, self.rr.collaborator_permission(user, self.state.role(repo, user)))


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(
            400,
            {"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/rest", "status": "400"},
        )
    return body


def _edited_body(req: Request, own: bool) -> str:
    if not own:
        raise ApiError(
            403,
            {
                "message": "Must have admin rights to Repository.",
                "status": "403",
                "documentation_url": "https://docs.github.com/rest",
            },
        )
    body = _object(req.body).get("body")
    if not isinstance(body, str) or not body or len(body) > rules.MAX_BODY:
        raise rules.unprocessable([rules.BODY_TOO_LONG if isinstance(body, str) and body else rules.BODY_REQUIRED])
    return body
