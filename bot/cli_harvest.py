"""``review-arena harvest``: rebuild a repository's acceptance data from GitHub alone. A root: it reads the
environment once, builds the GitHub reader (a token, or the App's installation) and the store, calls
``bot.harvest`` and prints the report. Does network and database I/O through those adapters.

Exit codes: 0 harvested; 2 a usage, config or environment error (nothing was read); 3 stopped by a transient
GitHub failure or an interruption, resumable by running it again; 4 GitHub refused a request.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from bot import config as config_loader
from bot.activity import (
    GitHubActivity,
)
from bot.core.acceptance import VERDICTS
from bot.core.config import AcceptanceConfig
from bot.errors import ConfigError, GitHubError, Transient
from bot.harvest import HarvestReport

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.harvest_store import SqlHarvestStore

EXIT_OK, EXIT_USAGE, EXIT_STOPPED, EXIT_GITHUB = 0, 2, 3, 4
SCHEMA = "review-arena/harvest@1"
_T = TypeVar("_T")


@click.command()
@click.option("--repo", "full_name", required=True, metavar="owner/name", help="The repository to harvest.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Pull requests updated since this day (UTC) [default: where the last harvest got to, else all].",
)
@click.option("--pr", "number", type=click.IntRange(min=1), help="Harvest this pull request only.")
@click.option("--bot-login", "bot_logins", multiple=True, metavar="LOGIN", help="The bot account (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]), default="table")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Server-level YAML config.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
def harvest(
    full_name: str,
    since: datetime | None,
    number: int | None,
    bot_logins: tuple[str, ...],
    fmt: str,
    config_path: str | None,
    quiet: bool,
) -> None:
    """Rebuild the bot's runs, comments, signals and verdicts of a repository from GitHub alone."""
    from bot.harvest import Harvester

    environ = dict(os.environ)
    owner, repo = split_repository(full_name)
    acceptance = acceptance_settings(environ, config_path, bot_logins)
    store = open_store(environ)
    github = github_reader(environ, owner, repo)
    harvester = Harvester(store, github, acceptance, lambda: datetime.now(UTC), None if quiet else _progress)
    start = since.replace(tzinfo=UTC) if since is not None else None
    report = harvester.run(owner, repo, since=start, number=number)
    click.echo(render(report, fmt), nl=False)
    sys.exit(_finish(report))


def split_repository(full_name: str) -> tuple[str, str]:
    owner, _, repo = full_name.partition("/")
    if not owner or not repo or "/" in repo:
        _fail(f"--repo must be owner/name, not {full_name!r}")
    return owner, repo


def acceptance_settings(
    environ: Mapping[str, str], config_path: str | None, logins: tuple[str, ...]
) -> AcceptanceConfig:
    try:
        acceptance = config_loader.load(environ, path=config_path).acceptance
    except ConfigError as exc:
        _fail(str(exc))
    if not logins:
        return acceptance
    return acceptance.model_copy(update={"bot_logins": tuple(dict.fromkeys((*acceptance.bot_logins, *logins)))})


def open_store(environ: Mapping[str, str]) -> SqlHarvestStore:
    """The store at ``DATABASE_URL``: a SQLite file is migrated here; PostgreSQL must be at the latest revision
    already (``review-arena db upgrade``), so a harvest never migrates a database the App is using."""
    from bot.database import DEFAULT_DATABASE_URL, make_engine
    from bot.harvest_store import SqlHarvestStore
    from bot.migrate import current_head, upgrade

    url = environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("sqlite"):
        upgrade(url)
    engine = make_engine(url)
    if not url.startswith("sqlite") and _revision(engine) != current_head():
        _fail("the database is not at the latest revision: run `review-arena db upgrade` first")
    return SqlHarvestStore(engine)


def _revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def github_reader(environ: Mapping[str, str], owner: str, repo: str) -> GitHubActivity:
    """``GITHUB_TOKEN`` if set, else the App's installation on the repository."""
    from bot.github import DEFAULT_API_URL, token_client
    from bot.github_activity import GithubActivity
    from bot.github_app import InstallationClients, load_credentials

    api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    if environ.get("GITHUB_TOKEN"):
        return GithubActivity(token_client(environ["GITHUB_TOKEN"], api_url=api_url))
    if not any(environ.get(k) for k in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH")):
        _fail("harvest needs GITHUB_TOKEN, or the App's GITHUB_APP_ID and GITHUB_PRIVATE_KEY (or _PATH)")
    try:
        clients = InstallationClients(load_credentials(environ), api_url=api_url)
        installation = clients.installation_for_repo(owner, repo)
        return GithubActivity(clients.client_for(installation))
    except ConfigError as exc:
        _fail(str(exc))
    except (GitHubError, Transient) as exc:
        click.echo(f"review-arena: {exc}", err=True)
        sys.exit(EXIT_GITHUB)


def _progress(line: str) -> None:
    click.echo(f"[harvest] {line}", err=True)


def _finish(report: HarvestReport) -> int:
    stop = report.stopped
    if stop is None:
        return EXIT_OK
    where = "listing pull requests" if stop.number is None else f"at PR #{stop.number}"
    click.echo(f"review-arena: stopped {where}: {stop.reason}; run again to resume", err=True)
    return EXIT_GITHUB if stop.kind == "github" else EXIT_STOPPED


def _fail(message: str) -> NoReturn:
    click.echo(f"review-arena: {message}", err=True)
    sys.exit(EXIT_USAGE)


# ---- output: pure ---------------------------------------------------------------------------------------------
def rows(report: HarvestReport) -> list[list[str]]:
    """One row per contender: name, the bot's comments found, then the comments per verdict."""
    comments, verdicts = report.comments, report.verdicts
    return [
        [name, str(comments.get(name, 0)), *(str(verdicts.get(name, {}).get(v, 0)) for v in VERDICTS)]
        for name in sorted(set(comments) | set(verdicts))
    ]


HEADER = ["contender", "comments", *VERDICTS]


def render(report: HarvestReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report_json(report), indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([HEADER, *rows(report)])
        return out.getvalue()
    headline = f"{report.repository}: {len(report.pulls)} pull requests harvested, {report.signals_new} new signals"
    if fmt == "markdown":
        table = [HEADER, ["---", *("---:" for _ in HEADER[1:])], *rows(report)]
        return f"{headline}\n\n" + "".join(f"| {' | '.join(r)} |\n" for r in table)
    widths = [max(len(r[i]) for r in [HEADER, *rows(report)]) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [HEADER, *rows(report)]
    ]
    return headline + "\n" + "\n".join(lines) + "\n"


def report_json(report: HarvestReport) -> dict[str, object]:
    stop = report.stopped
    return {
        "schema": SCHEMA,
        "repository": report.repository,
        "pulls": [p.number for p in report.pulls],
        "signals_new": report.signals_new,
        "contenders": {
            name: {"comments": int(comments), "verdicts": dict(zip(VERDICTS, map(int, counts), strict=True))}
            for name, comments, *counts in rows(report)
        },
        "stopped": None if stop is None else {"pull": stop.number, "reason": stop.reason, "kind": stop.kind},
        "pending": list(report.pending),
    }
