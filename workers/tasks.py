"""Celery tasks: thin roots that take ids, build adapters from the environment and call a use case.

Start a worker with ``review-arena worker`` (threads pool). The threads pool ignores ``time_limit``; each
contender's own deadline and the bounded peer waits limit a task. A ``Transient`` failure (GitHub 5xx or rate
limit, a model that keeps failing) is retried with backoff; the last attempt posts a visible failure note. The
run store and the summary markers make a retry, or a redelivery after ``acks_late``, post nothing twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar, cast

import redis
from github import Github, GithubException
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot import config
from bot.celery_queue import CeleryQueue
from bot.core.config import ContenderConfig, Settings
from bot.core.pr_ref import PullRef
from bot.core.signal_events import PullStateChanged, PushTracked
from bot.core.write_budget import WriteLimits
from bot.database import DEFAULT_DATABASE_URL, make_engine
from bot.errors import ConfigError, Transient
from bot.github import DEFAULT_API_URL, fetch_pull_request, translate
from bot.github_app import AppCredentials, InstallationClients, load_credentials
from bot.github_writes import (
    LocalWriteLimiter,
    RedisWriteLimiter,
    WriteLimiter,
    installation_scope,
    limits_from,
    permit,
    scope_for,
)
from bot.llm import MissingKey, OpenAIModel
from bot.migrate import upgrade
from bot.offload import in_place
from bot.pr_review import NO_CONTEXT, PullTask, Result, Timing, review_pull_for_contender
from bot.prompt_library import load_template
from bot.redis_wakeups import RedisWakeups
from bot.review import ModelClient
from bot.runs import PullContext
from bot.storage import SqlStore
from bot.wakeups import LocalWakeups, Wakeups
from workers.celery_app import app, broker_url, make_celery

__all__ = [
    "MAX_RETRIES",
    "app",
    "record_installation",
    "review_command",
    "review_contender",
    "review_pull",
    "run_review_contender",
]
MAX_RETRIES = 5
T = TypeVar("T")
P = ParamSpec("P")


def built_once(build: Callable[P, T]) -> Callable[P, T]:
    """``build`` cached per arguments, and single-flight: a fresh worker's burst of threads that all ask at once
    builds one (``functools.lru_cache`` alone lets each of them build its own, and keeps the last)."""
    cached = cast(Callable[P, T], functools.lru_cache(maxsize=8)(build))  # its arguments are hashable here
    lock = threading.Lock()

    @functools.wraps(build)
    def get(*args: P.args, **kwargs: P.kwargs) -> T:
        with lock:
            return cached(*args, **kwargs)

    return get


@built_once
def _installation_clients(credentials: AppCredentials, api_url: str, limiter: WriteLimiter) -> InstallationClients:
    """One client cache per App and API, shared by the worker's threads, so installation tokens are reused; a
    ``retry-after`` GitHub sends one installation pauses that installation's writes in ``limiter``."""

    def hold_off(installation_id: int, seconds: float) -> None:
        limiter.hold_off(installation_scope(installation_id), seconds)

    return InstallationClients(credentials, api_url=api_url, on_rate_limited=hold_off)


@built_once
def _store(url: str) -> SqlStore:
    """The run store, shared by the worker's threads (one migration run per URL); embedded SQLite is migrated on
    first use (PostgreSQL: run ``review-arena db upgrade``)."""
    if url.startswith("sqlite"):
        upgrade(url)
    return SqlStore(make_engine(url))


@built_once
def _wakeups(broker: str) -> Wakeups:
    """The worker's wake-ups: over Redis when the broker is Redis (peers may run in other processes and hosts),
    else in this process (``review-arena up``'s embedded broker runs one worker)."""
    if broker.startswith(("redis://", "rediss://", "unix://")):
        client = redis.Redis.from_url(broker, socket_timeout=5, health_check_interval=30)
        return RedisWakeups(client, local=LocalWakeups(offload=in_place))
    return LocalWakeups(offload=in_place)


@built_once
def _write_limiter(broker: str, limits: WriteLimits) -> WriteLimiter:
    """The installations' GitHub write budgets: in Redis when the broker is Redis (every worker draws on the
    same budget), else in this process."""
    if broker.startswith(("redis://", "rediss://", "unix://")):
        # one quick retry: with Redis away the write goes on this process's budget rather than waiting seconds
        client = redis.Redis.from_url(broker, socket_timeout=5, retry=Retry(NoBackoff(), 1))
        return RedisWriteLimiter(client, limits)
    return LocalWriteLimiter(limits)


def write_permit(environ: Mapping[str, str], installation_id: int | None, owner: str, repo: str) -> Callable[[], float]:
    """What a task calls before each request that creates content on the installation's behalf."""
    limiter = _write_limiter(broker_url(environ), limits_from(environ))
    return permit(limiter, scope_for(installation_id, owner, repo))


def _github_for(environ: Mapping[str, str], installation_id: int | None, owner: str, repo: str) -> Github:
    limiter = _write_limiter(broker_url(environ), limits_from(environ))
    clients = _installation_clients(
        load_credentials(environ), environ.get("GITHUB_API_URL") or DEFAULT_API_URL, limiter
    )
    installation = installation_id if installation_id is not None else clients.installation_for_repo(owner, repo)
    return clients.client_for(installation)


# a prompt version's text is fixed once runs record it (the statistics compare by version): read it once
_template = built_once(load_template)


def timing_from(environ: Mapping[str, str]) -> Timing:
    """Peer and turn waits (``REVIEW_ARENA_PEER_WAIT_S``, default 600 s) and the stale-claim age."""
    wait = float(environ.get("REVIEW_ARENA_PEER_WAIT_S") or 600)
    return Timing(
        peer_wait_s=wait, turn_wait_s=wait, claim_stale_s=float(environ.get("REVIEW_ARENA_CLAIM_STALE_S") or 120)
    )


def run_review_contender(environ: Mapping[str, str], task: PullTask, context: PullContext = NO_CONTEXT) -> Result:
    """Build the adapters from ``environ`` and let ``task.contender`` review the pull request."""
    settings = settings_for(environ)
    found = next((c for c in settings.contenders if c.name == task.contender), None)
    if found is None:
        raise ConfigError(
            f"contender {task.contender!r} is not configured; known: {[c.name for c in settings.contenders]}"
        )
    api_key = environ.get(found.api_key_env)
    gh = _github_for(environ, task.installation_id, task.owner, task.repo)
    store = _store(environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    template = _template(settings.review.prompt_version)

    # before the loop runs: replacing a client closes the old one on it. Without its key the contender's review
    # fails for good at once, with a note on the pull request, and its peers post without waiting for it.
    model: ModelClient = _thread_model(found, api_key) if api_key else MissingKey(found, where="the worker")

    async def go() -> Result:
        return await review_pull_for_contender(
            task,
            gh=gh,
            store=store,
            settings=settings,
            template=template,
            model=model,
            clock=time.monotonic,
            timing=timing_from(environ),
            context=context,
            wakeups=_wakeups(broker_url(environ)),
            before_write=write_permit(environ, task.installation_id, task.owner, task.repo),
            offload=in_place,
        )

    return _thread_loop().run(go())


_THREAD = threading.local()


def _thread_loop() -> asyncio.Runner:
    """This worker thread's event loop, kept for the thread's life: the model clients it holds keep their
    connections open between tasks. It runs one review at a time: its store and GitHub calls run in place
    (``bot.offload.in_place``), and what the loop's libraries hand to its executor (the resolver's
    ``getaddrinfo``) runs in this thread too."""
    runner: asyncio.Runner | None = getattr(_THREAD, "runner", None)
    if runner is None:
        runner = asyncio.Runner()
        runner.get_loop().set_default_executor(_InThread())
        _THREAD.runner = runner
    return runner


def _thread_model(contender: ContenderConfig, api_key: str) -> OpenAIModel:
    """This thread's client for the contender, reused by its next reviews until its configuration or key
    changes (then the old client is closed)."""
    models: dict[str, tuple[tuple[str, str], OpenAIModel]] = _THREAD.__dict__.setdefault("models", {})
    key = (contender.model_dump_json(), api_key)
    held = models.get(contender.name)
    if held is not None and held[0] == key:
        return held[1]
    if held is not None:
        _thread_loop().run(held[1].__aexit__())
    model = OpenAIModel(contender, api_key=api_key)
    models[contender.name] = (key, model)
    return model


def close_thread() -> None:
    """Close this thread's model clients and event loop (a thread that ran reviews and is about to end)."""
    runner: asyncio.Runner | None = _THREAD.__dict__.pop("runner", None)
    models: dict[str, tuple[tuple[str, str], OpenAIModel]] = _THREAD.__dict__.pop("models", {})
    if runner is None:
        return
    for _, model in models.values():
        runner.run(model.__aexit__())
    runner.close()


class _InThread(concurrent.futures.ThreadPoolExecutor):
    """Runs a submitted call at once in the calling thread: the task's thread already waits on it, and a second
    thread would only add two thread switches per call. (asyncio takes only a ``ThreadPoolExecutor`` as a
    loop's default; this one never starts a thread.)"""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the awaiting coroutine gets it, as from a pool thread
            future.set_exception(exc)
        return future


def _review_contender(
    self: Any,
    installation_id: int | None,
    owner: str,
    repo: str,
    number: int,
    head_sha: str,
    contender: str,
    run_id: str,
    seed: int = 0,
    context: dict[str, Any] | None = None,
) -> str:
    """``context`` carries the webhook's title, body and default branch, so the worker need not ask GitHub."""
    given = context or {}
    pull_context = PullContext(
        title=str(given.get("title", "")),
        body=str(given.get("body", "")),
        default_branch=str(given.get("default_branch", "")),
        draft=bool(given.get("draft")),
        author=str(given.get("author", "")),
    )
    task = PullTask(
        owner=owner,
        repo=repo,
        number=number,
        head_sha=head_sha,
        contender=contender,
        run_id=run_id,
        seed=seed,
        installation_id=installation_id,
        final_attempt=self.request.retries >= MAX_RETRIES,
    )
    return run_review_contender(os.environ, task, pull_context)


review_contender = app.task(
    name="workers.tasks.review_contender",
    bind=True,
    autoretry_for=(Transient,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=MAX_RETRIES,
    acks_late=True,
)(_review_contender)


def run_review_pull(
    environ: Mapping[str, str],
    installation_id: int | None,
    owner: str,
    repo: str,
    number: int,
    head_sha: str,
    context: dict[str, Any],
) -> int:
    """Fan one webhook's review out to one ``review_contender`` task per active contender, with one seed."""
    queue = CeleryQueue(_producer(broker_url(environ)), settings=settings_for(environ))
    queue.review(installation_id, owner, repo, number, head_sha, context=context)
    author = str(context.get("author", ""))
    if context.get("before"):  # the new commits may address comments on earlier heads
        before = str(context["before"])
        queue.enqueue(PushTracked(installation_id, owner, repo, number, author, before=before, after=head_sha))
    if context.get("action") == "reopened":
        queue.enqueue(PullStateChanged(installation_id, owner, repo, number, author, state="open"))
    return len(queue.settings.active())


def _review_pull(
    installation_id: int | None,
    owner: str,
    repo: str,
    number: int,
    head_sha: str,
    context: dict[str, Any] | None = None,
) -> int:
    return run_review_pull(os.environ, installation_id, owner, repo, number, head_sha, context or {})


review_pull = app.task(
    name="workers.tasks.review_pull", autoretry_for=(Transient,), retry_backoff=True, max_retries=MAX_RETRIES
)(_review_pull)


@built_once
def _producer(broker: str) -> Any:
    return make_celery({"REVIEW_ARENA_BROKER_URL": broker})


def settings_for(environ: Mapping[str, str]) -> Settings:
    """The server settings, parsed again only when the config file changes (YAML parsing is not free)."""
    path = environ.get(config.CONFIG_ENV) or ""
    try:
        stamp = os.stat(path).st_mtime_ns if path else 0
    except OSError:
        stamp = -1  # let load() report the unreadable file
    return _settings(path, stamp)


@built_once
def _settings(path: str, _stamp: int) -> Settings:
    return config.load({config.CONFIG_ENV: path} if path else {})


def run_review_command(
    environ: Mapping[str, str], installation_id: int | None, owner: str, repo: str, number: int, comment_id: int
) -> str:
    """``/arena review``: acknowledge the comment with 👀 and review the pull request's current head."""
    gh = _github_for(environ, installation_id, owner, repo)
    pull = fetch_pull_request(gh, PullRef(owner, repo, number))
    write_permit(environ, installation_id, owner, repo)()
    try:
        gh.requester.requestJsonAndCheck(
            "POST", f"/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", input={"content": "eyes"}
        )
    except GithubException as exc:
        raise translate(exc, what=f"the reaction to comment {comment_id}") from exc
    queue = CeleryQueue(_producer(broker_url(environ)), settings=settings_for(environ))
    queue.review(installation_id, owner, repo, number, pull.head_sha)
    return pull.head_sha


def _review_command(installation_id: int | None, owner: str, repo: str, number: int, comment_id: int) -> str:
    return run_review_command(os.environ, installation_id, owner, repo, number, comment_id)


review_command = app.task(
    name="workers.tasks.review_command", autoretry_for=(Transient,), retry_backoff=True, max_retries=MAX_RETRIES
)(_review_command)


def run_record_installation(
    environ: Mapping[str, str], installation_id: int, account: str, action: str, added: list[str], removed: list[str]
) -> str:
    status = {"deleted": "deleted", "suspend": "suspended"}.get(action, "active")
    store = _store(environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    store.record_installation(
        installation_id=installation_id, account=account, account_type="", status=status, added=added, removed=removed
    )
    return status


def _record_installation(installation_id: int, account: str, action: str, added: list[str], removed: list[str]) -> str:
    return run_record_installation(os.environ, installation_id, account, action, added, removed)


record_installation = app.task(
    name="workers.tasks.record_installation", autoretry_for=(Transient,), retry_backoff=True, max_retries=MAX_RETRIES
)(_record_installation)
