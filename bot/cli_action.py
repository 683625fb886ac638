"""``review-arena action``: the GitHub Action's entry point. A root: it reads the runner's environment once
(``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH``, ``GITHUB_TOKEN``, ``GITHUB_API_URL``, ``GITHUB_STEP_SUMMARY``,
``GITHUB_OUTPUT`` and the ``REVIEW_ARENA_*`` inputs), builds the adapters and calls ``bot.action_review`` (review
mode) or the harvest and statistics (stats mode); it writes the job summary, the outputs and a JSON result.

Exit codes: 0 done, or nothing to do (a fork pull request without secrets, an event that asks for no review);
1 a contender failed and ``fail-on-error`` is true; 2 a usage, config or event error; 3 GitHub kept failing or
rate-limited us past the retries; 4 GitHub refused a request.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, NoReturn

import click

from bot import config as config_loader
from bot.core.action_event import ReviewTarget, Skip, fork_notice, review_summary, target_of
from bot.core.config import Settings
from bot.errors import ConfigError, GitHubError, Transient, WebhookError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_TRANSIENT, EXIT_GITHUB = 0, 1, 2, 3, 4


@click.command()
def action() -> None:
    """Run the arena as a GitHub Action step (inputs come as REVIEW_ARENA_* environment variables)."""
    environ = dict(os.environ)
    mode = environ.get("REVIEW_ARENA_MODE") or "review"
    if mode not in ("review", "stats"):
        _fail(environ, f"mode must be review or stats, not {mode!r}")
    try:
        code = _stats(environ) if mode == "stats" else _review(environ)
    except Transient as exc:
        code = _report_error(environ, f"GitHub kept failing past the retries: {exc}", EXIT_TRANSIENT)
    except GitHubError as exc:
        code = _report_error(environ, str(exc), EXIT_GITHUB)
    sys.exit(code)


# ---- review mode ---------------------------------------------------------------------------------------------
def _review(environ: Mapping[str, str]) -> int:
    event, payload = _event(environ)
    settings = _settings(environ)
    try:
        target = target_of(event, payload, review_drafts=settings.drafts)
    except WebhookError as exc:
        _fail(environ, f"the {event} event payload is not one this command can read: {exc}")
    if isinstance(target, Skip):
        _summary(environ, f"### Review Arena: nothing to review\n\n{target.reason}.\n")
        return EXIT_OK
    missing = config_loader.missing_keys(settings.active(), environ)
    if missing and target.from_fork:
        _summary(environ, fork_notice(target, missing))
        _outputs(environ, comments={}, cost=0.0, result="")
        return EXIT_OK
    if missing:
        _fail(environ, "missing API keys:\n  " + "\n  ".join(missing))
    run = asyncio.run(_run(environ, settings, target))
    result = _write_result(environ, _result_json(run))
    _summary(environ, review_summary(run.report, run.postings, order=run.order, seed=run.seed, url=_url(target)))
    comments = {p.contender: p.comments for p in run.postings}
    _outputs(environ, comments=comments, cost=sum(o.cost_usd for o in run.report.outcomes), result=str(result))
    failed = [o.contender.name for o in run.report.outcomes if o.status == "failed"]
    return EXIT_FAILED if failed and _flag(environ.get("REVIEW_ARENA_FAIL_ON_ERROR")) else EXIT_OK


async def _run(environ: Mapping[str, str], settings: Settings, target: ReviewTarget) -> Any:
    from bot.action_review import review_and_post
    from bot.core.pr_ref import PullRef
    from bot.llm import OpenAIModel
    from bot.prompt_library import load_template
    from bot.review import ModelClient

    gh = _github(environ)
    ref = PullRef(target.owner, target.repo, target.number)
    if target.comment_id is not None:
        await asyncio.to_thread(_acknowledge, gh, ref, target.comment_id)
    max_comments = _int(environ, "REVIEW_ARENA_MAX_COMMENTS")
    async with AsyncExitStack() as stack:
        models: dict[str, ModelClient] = {}
        for c in settings.active():
            models[c.name] = await stack.enter_async_context(OpenAIModel(c, api_key=environ[c.api_key_env]))
        return await review_and_post(
            gh,
            ref,
            settings,
            load_template,
            models,
            seed=secrets.randbits(62),
            clock=time.monotonic,
            max_comments=max_comments,
            progress=lambda contender, event: click.echo(f"[{contender}] {event}", err=True),
        )


def _acknowledge(gh: Any, ref: Any, comment_id: int) -> None:
    """👀 on the ``/arena review`` comment, as the App does; a token that may not react is not an error."""
    from github import GithubException

    try:
        path = f"/repos/{ref.full_name}/issues/comments/{comment_id}/reactions"
        gh.requester.requestJsonAndCheck("POST", path, input={"content": "eyes"})
    except GithubException as exc:
        click.echo(f"review-arena: could not react to comment {comment_id} ({exc.status})", err=True)


def _result_json(run: Any) -> dict[str, Any]:
    from dataclasses import asdict

    from bot.core.report import report_json

    return {
        **report_json(run.report),
        "posting": {"seed": run.seed, "order": list(run.order), "reviews": [asdict(p) for p in run.postings]},
    }


def _url(target: ReviewTarget) -> str:
    return f"https://github.com/{target.owner}/{target.repo}/pull/{target.number}"


# ---- stats mode ----------------------------------------------------------------------------------------------
def _stats(environ: Mapping[str, str]) -> int:
    from bot.cli_harvest import _finish, acceptance_settings, open_store, split_repository
    from bot.core.stats_render import report_json, report_markdown
    from bot.harvest import Harvester
    from bot.stats_queries import StatsFilter, report_for

    full_name = environ.get("GITHUB_REPOSITORY") or ""
    owner, repo = split_repository(full_name)
    database = dict(environ)
    database.setdefault("DATABASE_URL", f"sqlite:///{_temp(environ) / 'review-arena-stats.db'}")
    store = open_store(database)
    acceptance = acceptance_settings(environ, environ.get("REVIEW_ARENA_CONFIG") or None, ())
    harvester = Harvester(store, _activity(environ), acceptance, _now, lambda line: click.echo(line, err=True))
    code = _finish(harvester.run(owner, repo, since=None, number=None))
    if code:
        return code
    where = StatsFilter(repo=full_name)
    report = report_for(store.engine, where, seed=0)
    result = _write_result(environ, report_json(report))
    _summary(environ, report_markdown(report, title=f"Review Arena statistics for {full_name}"))
    comments = {c.contender: c.comments for c in report.contenders}
    _outputs(environ, comments=comments, cost=sum(c.usd_total for c in report.contenders), result=str(result))
    return EXIT_OK


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


# ---- the runner's files and environment ------------------------------------------------------------------------
def _event(environ: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    event, path = environ.get("GITHUB_EVENT_NAME") or "", environ.get("GITHUB_EVENT_PATH") or ""
    if not event or not path:
        _fail(environ, "GITHUB_EVENT_NAME and GITHUB_EVENT_PATH must be set (they are, inside GitHub Actions)")
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(environ, f"cannot read the event payload {path}: {exc}")
    if not isinstance(payload, dict):
        _fail(environ, f"the event payload {path} is not a JSON object")
    return event, payload


def _settings(environ: Mapping[str, str]) -> Settings:
    try:
        settings = config_loader.load(environ, path=environ.get("REVIEW_ARENA_CONFIG") or None)
        return config_loader.select_contenders(settings, environ.get("REVIEW_ARENA_CONTENDERS") or None)
    except ConfigError as exc:
        _fail(environ, str(exc))


def _github(environ: Mapping[str, str]) -> Any:
    from bot.github import DEFAULT_API_URL, token_client

    token = environ.get("GITHUB_TOKEN")
    if not token:
        _fail(environ, "GITHUB_TOKEN is not set: pass `env: GITHUB_TOKEN: ${{ github.token }}` to the step")
    return token_client(token, api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL)


def _activity(environ: Mapping[str, str]) -> Any:
    from bot.github_activity import GithubActivity

    return GithubActivity(_github(environ))


def _int(environ: Mapping[str, str], name: str) -> int | None:
    text = (environ.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit():
        _fail(environ, f"{name} must be a whole number, not {text!r}")
    return int(text)


def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1", "yes")


def _temp(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("RUNNER_TEMP") or ".")


def _write_result(environ: Mapping[str, str], data: dict[str, Any]) -> Path:
    path = Path(environ.get("REVIEW_ARENA_RESULT") or _temp(environ) / "review-arena-result.json")
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _summary(environ: Mapping[str, str], text: str) -> None:
    """Append to the job summary (GitHub renders it as Markdown), or print it outside Actions."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        click.echo(text)
        return
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(text + "\n")


def _outputs(environ: Mapping[str, str], *, comments: Mapping[str, int], cost: float, result: str) -> None:
    path = environ.get("GITHUB_OUTPUT")
    lines = [f"comments={json.dumps(dict(comments), sort_keys=True)}", f"cost={cost:.6f}", f"result={result}"]
    if not path:
        click.echo("\n".join(lines), err=True)
        return
    with open(path, "a", encoding="utf-8") as outputs:
        outputs.write("\n".join(lines) + "\n")


def _report_error(environ: Mapping[str, str], message: str, code: int) -> int:
    click.echo(f"review-arena: {message}", err=True)
    _summary(environ, f"### Review Arena could not finish\n\n{message}\n")
    return code


def _fail(environ: Mapping[str, str], message: str) -> NoReturn:
    sys.exit(_report_error(environ, message, EXIT_USAGE))
