"""The ``review-arena`` command line: a thin root that reads config once, builds adapters and calls use cases.

Exit codes: 0 every contender reviewed; 1 some contender failed while another succeeded; 2 a usage, config
or input error (nothing was sent); 3 every contender failed; 4 GitHub refused or failed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import NoReturn

import click

from bot import config as config_loader
from bot.core.config import Settings
from bot.core.diff_parse import parse_github_files, parse_unified_diff
from bot.core.outcome import ArenaReport
from bot.core.pr_ref import parse_pull_ref
from bot.core.prompts import PullRequestInfo
from bot.core.report import report_json
from bot.core.report_text import render_markdown, render_text
from bot.errors import ConfigError, DiffError, GitHubError, Transient
from bot.prompt_library import load_template
from bot.review import ModelClient, ReviewJob, run_arena

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_ALL_FAILED, EXIT_GITHUB = 0, 1, 2, 3, 4


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="review-arena")
def main() -> None:
    """Review pull requests with several language models at once, and measure which one maintainers accept."""


@main.command()
@click.option("--diff", "diff_path", metavar="FILE|-", help="A unified diff or format-patch file; - reads stdin.")
@click.option("--pr", "pr_ref", metavar="owner/repo#N|URL", help="A pull request, fetched with GITHUB_TOKEN.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--contenders", help="Comma-separated contender names (default: all enabled).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Server-level YAML config.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
def review(
    diff_path: str | None, pr_ref: str | None, fmt: str, contenders: str | None, config_path: str | None, quiet: bool
) -> None:
    """Review a diff or a pull request with every contender in parallel, and print their findings."""
    environ = dict(os.environ)
    if (diff_path is None) == (pr_ref is None):
        _fail("give exactly one of --diff FILE or --pr owner/repo#N")
    settings = _settings(environ, config_path, contenders)
    job = _job(diff_path, pr_ref, environ)
    report = asyncio.run(_run(job, settings, environ, progress=not quiet))
    click.echo(_render(report, fmt), nl=False)
    sys.exit(_exit_code(report))


def _settings(environ: Mapping[str, str], config_path: str | None, contenders: str | None) -> Settings:
    try:
        settings = config_loader.select_contenders(config_loader.load(environ, path=config_path), contenders)
        load_template(settings.review.prompt_version)
    except ConfigError as exc:
        _fail(str(exc))
    missing = config_loader.missing_keys(settings.active(), environ)
    if missing:
        _fail("missing API keys:\n  " + "\n  ".join(missing))
    return settings


def _job(diff_path: str | None, pr_ref: str | None, environ: Mapping[str, str]) -> ReviewJob:
    if diff_path is not None:
        data = _read_diff(diff_path)
        try:
            diff = parse_unified_diff(data)
        except DiffError as exc:
            _fail(f"{diff_path}: {exc}")
        if not diff.files:
            _fail(f"{diff_path}: the diff is empty; there is nothing to review")
        name = "stdin" if diff_path == "-" else Path(diff_path).name
        return ReviewJob(diff=diff, pr=PullRequestInfo(title=name), head_sha=None, source=name)
    assert pr_ref is not None
    try:
        ref = parse_pull_ref(pr_ref)
    except ValueError as exc:
        _fail(str(exc))
    from bot.github import DEFAULT_API_URL, fetch_pull_request, token_client  # PyGithub costs 0.3 s to import

    token = environ.get("GITHUB_TOKEN")
    if not token:
        _fail("--pr needs a GitHub token in the environment variable GITHUB_TOKEN")
    try:
        gh = token_client(token, api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
        pull = fetch_pull_request(gh, ref)
    except (GitHubError, Transient) as exc:
        click.echo(f"review-arena: {exc}", err=True)
        sys.exit(EXIT_GITHUB)
    return ReviewJob(
        diff=parse_github_files(pull.files),
        pr=PullRequestInfo(pull.title, pull.body),
        head_sha=pull.head_sha,
        source=str(ref),
    )


def _read_diff(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")


async def _run(job: ReviewJob, settings: Settings, environ: Mapping[str, str], *, progress: bool) -> ArenaReport:
    from bot.llm import OpenAIModel  # the OpenAI client costs 0.2 s to import: only commands that call models pay

    template = load_template(settings.review.prompt_version)
    async with AsyncExitStack() as stack:
        models: dict[str, ModelClient] = {}
        for i, c in enumerate(settings.contenders):
            if c in settings.active():
                where = f"contenders[{i}]"
                models[c.name] = await stack.enter_async_context(
                    OpenAIModel(c, api_key=environ[c.api_key_env], config_path=where)
                )
        run_ids = {name: uuid.uuid4().hex for name in models}
        return await run_arena(
            job,
            settings,
            template,
            models,
            run_ids=run_ids,
            clock=time.monotonic,
            progress=_echo_progress if progress else None,
        )


def _echo_progress(contender: str, event: str) -> None:
    click.echo(f"[{contender}] {event}", err=True)


def _render(report: ArenaReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report)


def _exit_code(report: ArenaReport) -> int:
    failed = [o for o in report.outcomes if o.status == "failed"]
    if not failed:
        return EXIT_OK
    return EXIT_ALL_FAILED if len(failed) == len(report.outcomes) else EXIT_PARTIAL


def _fail(message: str) -> NoReturn:
    click.echo(f"review-arena: {message}", err=True)
    sys.exit(EXIT_USAGE)


@main.group("config")
def config_group() -> None:
    """Check or describe configuration files."""


@config_group.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Server-level YAML config.")
def config_check(config_path: str | None) -> None:
    """Validate the configuration and print the contenders it defines."""
    settings = _settings_only(config_path)
    for c in settings.active():
        click.echo(
            f"{c.name}: {c.label} · {c.dialect} · {c.model} · {c.base_url or 'default URL'} · key ${c.api_key_env}"
        )


@config_group.command("schema")
def config_schema() -> None:
    """Print the JSON Schema of the config file, for editors."""
    click.echo(json.dumps(Settings.model_json_schema(), indent=2))


def _settings_only(config_path: str | None) -> Settings:
    try:
        return config_loader.load(dict(os.environ), path=config_path)
    except ConfigError as exc:
        _fail(str(exc))


def _register_service_commands() -> None:
    from bot.app_register import app_group
    from bot.cli_action import action
    from bot.cli_harvest import harvest
    from bot.cli_service import register
    from bot.cli_stats import stats

    register(main)
    main.add_command(app_group)
    main.add_command(harvest)
    main.add_command(stats)
    main.add_command(action)


_register_service_commands()
