"""GraphQL endpoint of the fake GitHub: owns executing queries against the review-thread part of the schema.

A small but real executor: the query (parsed by github_graphql_parser.py, honouring aliases, fragments and
@include/@skip) is resolved field by field against `GitHubState`, so the answer holds exactly the requested
fields, in GitHub's `{"data": …}` shape. Covered: `repository(owner,
name) { pullRequest(number) { reviewThreads(first, after) { … } } }` with thread comments, `viewer`, `node(id)`,
`rateLimit`, and the `resolveReviewThread` / `unresolveReviewThread` mutations. Connections need `first` or `last`
(max 100) and page with opaque cursors like GitHub's. A field the fake does not know is a GraphQL error
("Field 'x' doesn't exist on type 'Y'"), never a silent null.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .github_graphql_parser import Field, Fragment, GraphQLError, Parser, Var
from .github_models import PullRequest, ReviewComment, ReviewThread, User
from .github_state import GitHubState


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _uncursor(cursor: object) -> int:
    try:
        return int(base64.b64decode(str(cursor)).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from exc


@dataclass
class _Connection:
    items: list[Any]
    offset: int
    total: int
    node_type: str

    @classmethod
    def page(cls, name: str, items: list[Any], args: dict[str, Any], node_type: str) -> _Connection:
        first, last = args.get("first"), args.get("last")
        if first is None and last is None:
            raise GraphQLError(
                f"You must provide a `first` or `last` value to properly paginate the `{name}` connection."
            )
        for key, amount in (("first", first), ("last", last)):
            if amount is not None and amount > 100:
                raise GraphQLError(
                    f"Requesting {amount} records on the `{name}` connection exceeds the `{key}` limit of 100 records."
                )
        start = _uncursor(args["after"]) + 1 if args.get("after") else 0
        end = _uncursor(args["before"]) if args.get("before") else len(items)
        window = list(range(start, min(end, len(items))))
        window = window[:first] if first is not None else window
        window = window[-last:] if last is not None else window
        offset = window[0] if window else start
        return cls([items[i] for i in window], offset, len(items), node_type)


Resolver = Callable[[Any, dict[str, Any]], tuple[Any, str | None]]


class GraphQLExecutor:
    """Answers GraphQL requests from the model; `viewer` is the user of the request's credentials."""

    def __init__(self, state: GitHubState, web_url: str) -> None:
        self.state, self.web = state, web_url.rstrip("/")
        self.types: dict[str, dict[str, Resolver]] = self._schema()
        self._fragments: dict[str, Fragment] = {}
        self._variables: dict[str, Any] = {}
        self._errors: list[dict[str, Any]] = []

    def _schema(self) -> dict[str, dict[str, Resolver]]:
        st = self.state
        actor: dict[str, Resolver] = {
            "login": lambda u, a: (u.login, None),
            "__typename": lambda u, a: (u.type, None),
            "url": lambda u, a: (f"{self.web}/{u.login}", None),
            "avatarUrl": lambda u, a: (f"https://avatars.githubusercontent.com/u/{u.id}?v=4", None),
        }
        return {
            "Query": {
                "repository": lambda _, a: (self._repository(a), "Repository"),
                "viewer": lambda ctx, a: (ctx, "Actor"),
                "node": lambda _, a: (
                    next((t for t in st.threads if t.id == a.get("id")), None),
                    "PullRequestReviewThread",
                ),
                "rateLimit": lambda _, a: (
                    {"limit": 5000, "cost": 1, "remaining": 4999, "used": 1, "resetAt": "2030-01-01T00:00:00Z"},
                    "RateLimit",
                ),
            },
            "Mutation": {
                "resolveReviewThread": lambda ctx, a: (self._resolve(ctx, a, True), "ResolvePayload"),
                "unresolveReviewThread": lambda ctx, a: (self._resolve(ctx, a, False), "ResolvePayload"),
            },
            "ResolvePayload": {
                "thread": lambda p, a: (p["thread"], "PullRequestReviewThread"),
                "clientMutationId": lambda p, a: (p.get("clientMutationId"), None),
            },
            "RateLimit": {
                k: (lambda key: lambda r, a: (r[key], None))(k)
                for k in ("limit", "cost", "remaining", "used", "resetAt")
            },
            "Repository": {
                "id": lambda r, a: (f"R_{r.id}", None),
                "databaseId": lambda r, a: (r.id, None),
                "name": lambda r, a: (r.name, None),
                "nameWithOwner": lambda r, a: (r.full_name, None),
                "owner": lambda r, a: (r.owner, "Actor"),
                "isPrivate": lambda r, a: (r.private, None),
                "url": lambda r, a: (f"{self.web}/{r.full_name}", None),
                "pullRequest": lambda r, a: (self._pull(r, a), "PullRequest"),
            },
            "PullRequest": {
                "id": lambda p, a: (f"PR_{p.id}", None),
                "databaseId": lambda p, a: (p.id, None),
                "number": lambda p, a: (p.number, None),
                "title": lambda p, a: (p.title, None),
                "body": lambda p, a: (p.body or "", None),
                "isDraft": lambda p, a: (p.draft, None),
                "state": lambda p, a: ("MERGED" if p.merged else p.state.upper(), None),
                "url": lambda p, a: (f"{self.web}/{p.repo.full_name}/pull/{p.number}", None),
                "headRefOid": lambda p, a: (p.head_sha, None),
                "baseRefOid": lambda p, a: (p.base_sha, None),
                "headRefName": lambda p, a: (p.head_ref, None),
                "baseRefName": lambda p, a: (p.base_ref, None),
                "author": lambda p, a: (p.user, "Actor"),
                "reviewThreads": lambda p, a: (
                    _Connection.page(
                        "reviewThreads",
                        [t for t in st.threads if t.pr is p and self._visible(t)],
                        a,
                        "PullRequestReviewThread",
                    ),
                    "Connection",
                ),
            },
            "Connection": {
                "totalCount": lambda c, a: (c.total, None),
                "nodes": lambda c, a: (c.items, c.node_type),
                "edges": lambda c, a: ([(c.offset + i, x, c.node_type) for i, x in enumerate(c.items)], "Edge"),
                "pageInfo": lambda c, a: (c, "PageInfo"),
            },
            "Edge": {"cursor": lambda e, a: (_cursor(e[0]), None), "node": lambda e, a: (e[1], e[2])},
            "PageInfo": {
                "hasNextPage": lambda c, a: (c.offset + len(c.items) < c.total, None),
                "hasPreviousPage": lambda c, a: (c.offset > 0, None),
                "startCursor": lambda c, a: (_cursor(c.offset) if c.items else None, None),
                "endCursor": lambda c, a: (_cursor(c.offset + len(c.items) - 1) if c.items else None, None),
            },
            "PullRequestReviewThread": {
                "id": lambda t, a: (t.id, None),
                "isResolved": lambda t, a: (t.is_resolved, None),
                "isOutdated": lambda t, a: (t.is_outdated, None),
                "isCollapsed": lambda t, a: (t.is_resolved, None),
                "path": lambda t, a: (t.path, None),
                "line": lambda t, a: (None if t.is_outdated else t.line, None),
                "originalLine": lambda t, a: (t.line, None),
                "startLine": lambda t, a: (None if t.is_outdated else t.start_line, None),
                "originalStartLine": lambda t, a: (t.start_line, None),
                "diffSide": lambda t, a: (t.side, None),
                "startDiffSide": lambda t, a: (t.start_side, None),
                "subjectType": lambda t, a: ("LINE", None),
                "viewerCanResolve": lambda t, a: (not t.is_resolved, None),
                "viewerCanUnresolve": lambda t, a: (t.is_resolved, None),
                "viewerCanReply": lambda t, a: (True, None),
                "resolvedBy": lambda t, a: (t.resolved_by, "Actor"),
                "pullRequest": lambda t, a: (t.pr, "PullRequest"),
                "comments": lambda t, a: (
                    _Connection.page(
                        "comments",
                        [c for c in st.review_comments if c.thread_id == t.id and not c.pending],
                        a,
                        "PullRequestReviewComment",
                    ),
                    "Connection",
                ),
            },
            "PullRequestReviewComment": {
                "id": lambda c, a: (f"PRRC_{c.id}", None),
                "databaseId": lambda c, a: (c.id, None),
                "fullDatabaseId": lambda c, a: (str(c.id), None),
                "author": lambda c, a: (c.user, "Actor"),
                "body": lambda c, a: (c.body, None),
                "bodyText": lambda c, a: (c.body, None),
                "createdAt": lambda c, a: (c.created_at, None),
                "updatedAt": lambda c, a: (c.updated_at, None),
                "url": lambda c, a: (f"{self.web}/{c.pr.repo.full_name}/pull/{c.pr.number}#discussion_r{c.id}", None),
                "path": lambda c, a: (c.path, None),
                "line": lambda c, a: (c.line, None),
                "originalLine": lambda c, a: (c.original_line, None),
                "startLine": lambda c, a: (c.start_line, None),
                "diffHunk": lambda c, a: (c.diff_hunk, None),
                "outdated": lambda c, a: (c.line is None, None),
                "authorAssociation": lambda c, a: (c.author_association, None),
                "replyTo": lambda c, a: (self._comment(c.in_reply_to_id), "PullRequestReviewComment"),
                "pullRequestReview": lambda c, a: (
                    next((r for r in st.reviews if r.id == c.review_id), None),
                    "Review",
                ),
                "commit": lambda c, a: ({"oid": c.commit_id}, "Commit"),
            },
            "Review": {
                "id": lambda r, a: (f"PRR_{r.id}", None),
                "databaseId": lambda r, a: (r.id, None),
                "state": lambda r, a: (r.state, None),
                "body": lambda r, a: (r.body, None),
                "author": lambda r, a: (r.user, "Actor"),
            },
            "Commit": {"oid": lambda c, a: (c["oid"], None)},
            "Actor": actor,
        }

    def _visible(self, thread: ReviewThread) -> bool:
        return any(c.thread_id == thread.id and not c.pending for c in self.state.review_comments)

    def _comment(self, comment_id: int | None) -> ReviewComment | None:
        return next((c for c in self.state.review_comments if c.id == comment_id), None)

    def _repository(self, args: dict[str, Any]) -> Any:
        found = self.state.repos.get(f"{args.get('owner')}/{args.get('name')}".lower())
        if found is None:
            raise _NotFound(
                f"Could not resolve to a Repository with the name '{args.get('owner')}/{args.get('name')}'."
            )
        return found

    def _pull(self, repo: Any, args: dict[str, Any]) -> PullRequest:
        found = self.state.pulls.get((repo.full_name.lower(), int(args.get("number") or 0)))
        if found is None:
            raise _NotFound(f"Could not resolve to a PullRequest with the number of {args.get('number')}.")
        return found

    def _resolve(self, viewer: User | None, args: dict[str, Any], resolved: bool) -> dict[str, Any]:
        payload = args.get("input") or {}
        thread_id = payload.get("threadId")
        try:
            thread = self.state.resolve_thread(str(thread_id), viewer.login if viewer else "ghost", resolved)
        except KeyError as exc:
            raise _NotFound(f"Could not resolve to a node with the global id of '{thread_id}'") from exc
        return {"thread": thread, "clientMutationId": payload.get("clientMutationId")}

    # ---- execution ---------------------------------------------------------------------------------------
    def execute(self, query: str, variables: dict[str, Any] | None, viewer: User | None) -> dict[str, Any]:
        """The GraphQL answer for one request body (`{"data": …}` and/or `{"errors": […]}`)."""
        try:
            operations, self._fragments = Parser(query).document()
            if len(operations) != 1:
                raise GraphQLError("This fake answers documents with exactly one operation")
            kind, defaults, selections = operations[0]
            self._variables = {**defaults, **(variables or {})}
            self._errors = []
            root = "Mutation" if kind == "mutation" else "Query"
            data = self._select(root, viewer, selections, [])
        except GraphQLError as exc:
            return {"errors": [{"message": str(exc), "locations": [{"line": 1, "column": 1}]}]}
        if any(e.get("extensions", {}).get("code") == "undefinedField" for e in self._errors):
            return {"errors": self._errors}
        return {"data": data, "errors": self._errors} if self._errors else {"data": data}

    def _value(self, raw: Any) -> Any:
        if isinstance(raw, Var):
            return self._variables.get(raw.name)
        if isinstance(raw, list):
            return [self._value(v) for v in raw]
        if isinstance(raw, dict):
            return {k: self._value(v) for k, v in raw.items()}
        return raw

    def _included(self, directives: list[tuple[str, dict[str, Any]]]) -> bool:
        for name, args in directives:
            condition = bool(self._value(args.get("if")))
            if (name == "include" and not condition) or (name == "skip" and condition):
                return False
        return True

    def _select(self, type_name: str, obj: Any, selections: list[Any], path: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        runtime = obj.type if isinstance(obj, User) else type_name
        for sel in selections:
            if isinstance(sel, Fragment):
                if not self._included(sel.directives):
                    continue
                fragment = self._fragments.get(sel.spread) if sel.spread else sel
                if fragment is None:
                    raise GraphQLError(f"Fragment {sel.spread} was used, but not defined")
                if fragment.type_condition in (None, runtime, type_name) or fragment.type_condition not in self.types:
                    out.update(self._select(type_name, obj, fragment.selections, path))
                continue
            if not self._included(sel.directives):
                continue
            out[sel.alias] = self._field(type_name, obj, sel, [*path, sel.alias])
        return out

    def _field(self, type_name: str, obj: Any, sel: Field, path: list[Any]) -> Any:
        if sel.name == "__typename" and "__typename" not in self.types[type_name]:
            return {"Connection": "PullRequestReviewThreadConnection"}.get(type_name, type_name)
        resolver = self.types[type_name].get(sel.name)
        if resolver is None:
            self._errors.append(
                {
                    "path": path,
                    "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": sel.name},
                    "locations": [{"line": 1, "column": 1}],
                    "message": f"Field '{sel.name}' doesn't exist on type '{type_name}'",
                }
            )
            return None
        try:
            value, child = resolver(obj, {k: self._value(v) for k, v in sel.args.items()})
        except _NotFound as exc:
            self._errors.append(
                {"type": "NOT_FOUND", "path": path, "locations": [{"line": 1, "column": 1}], "message": str(exc)}
            )
            return None
        if value is None or child is None or sel.selections is None:
            return value
        if isinstance(value, list):
            return [self._select(child, item, sel.selections, [*path, i]) for i, item in enumerate(value)]
        return self._select(child, value, sel.selections, path)


class _NotFound(Exception):
    """A field whose object does not exist: null in `data` plus a NOT_FOUND error, like GitHub."""
