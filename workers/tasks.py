"""Celery tasks: thin roots that take ids, build adapters from the environment and call a use case.

Start a worker with ``celery -A workers.tasks worker --pool threads -Q review-arena``. The threads pool ignores
``time_limit``; each contender's own deadline bounds a review. A ``Transient`` failure (GitHub 5xx or rate
limit, an unreachable model) is retried with backoff; the use case's marker check makes a retry or a
redelivery after ``acks_late`` post nothing twice.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Mapping

from bot import config
from bot.errors import ConfigError, Transient
from bot.github import DEFAULT_API_URL
from bot.github_app import AppCredentials, InstallationClients, load_credentials
from bot.llm import OpenAIModel
from bot.pr_review import Result, review_pull_for_contender
from bot.prompt_library import load_template
from workers.celery_app import app

__all__ = ["app", "review_contender", "run_review_contender"]


@functools.lru_cache(maxsize=8)
def _installation_clients(credentials: AppCredentials, api_url: str) -> InstallationClients:
    """One client cache per App and API, shared by the worker's threads, so installation tokens are reused."""
    return InstallationClients(credentials, api_url=api_url)


def run_review_contender(
    environ: Mapping[str, str],
    *,
    installation_id: int | None,
    owner: str,
    repo: str,
    number: int,
    head_sha: str,
    contender: str,
    run_id: str,
) -> Result:
    """Build the adapters from ``environ`` and let ``contender`` review ``owner/repo#number`` at ``head_sha``."""
    settings = config.load(environ)
    found = next((c for c in settings.contenders if c.name == contender), None)
    if found is None:
        raise ConfigError(f"contender {contender!r} is not configured; known: {[c.name for c in settings.contenders]}")
    api_key = environ.get(found.api_key_env)
    if not api_key:
        raise ConfigError(f"contender '{found.name}' needs its API key in the environment variable {found.api_key_env}")
    clients = _installation_clients(load_credentials(environ), environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
    installation = installation_id if installation_id is not None else clients.installation_for_repo(owner, repo)
    gh = clients.client_for(installation)
    template = load_template(settings.review.prompt_version)

    async def go() -> Result:
        async with OpenAIModel(found, api_key=api_key) as model:
            return await review_pull_for_contender(
                gh=gh,
                owner=owner,
                repo=repo,
                number=number,
                head_sha=head_sha,
                contender_name=contender,
                settings=settings,
                template=template,
                model=model,
                run_id=run_id,
                clock=time.monotonic,
            )

    return asyncio.run(go())


def _review_contender(
    installation_id: int | None, owner: str, repo: str, number: int, head_sha: str, contender: str, run_id: str
) -> str:
    return run_review_contender(
        os.environ,
        installation_id=installation_id,
        owner=owner,
        repo=repo,
        number=number,
        head_sha=head_sha,
        contender=contender,
        run_id=run_id,
    )


review_contender = app.task(
    name="workers.tasks.review_contender",
    autoretry_for=(Transient,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)(_review_contender)
