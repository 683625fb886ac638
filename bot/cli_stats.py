"""``review-arena stats``: per-model acceptance statistics from the database, optionally after a harvest. A root:
it reads the environment and options once, asks ``bot.stats_queries`` for the aggregates, lets the pure core
compute the report and prints it. Does database (and, with ``--from-github``, GitHub) I/O through adapters.

Exit codes: 0 printed; 2 a usage, config or database error; 3 the harvest before it stopped on a transient
GitHub failure (nothing is printed; run again to resume); 4 GitHub refused a request.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

from bot.core.stats_render import (
    ACCEPTANCE_HEADERS,
    COST_HEADERS,
    PAIR_HEADERS,
    acceptance_row,
    cost_row,
    pair_row,
    position_rows,
    report_csv,
    report_json,
    report_markdown,
    strength_rows,
)

if TYPE_CHECKING:
    from bot.core.stats_report import StatsReport
    from bot.stats_queries import StatsFilter

EXIT_USAGE = 2
FORMATS = ("table", "json", "csv", "markdown")
BREAKDOWNS = ("repo", "contender", "severity", "category", "language", "prompt_version", "model")
DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--repo", metavar="owner/name", help="Only this repository.")
@click.option("--since", type=DAY, help="Reviews from this day on (UTC).")
@click.option("--until", type=DAY, help="Reviews before this day (UTC).")
@click.option("--contender", help="Only this contender.")
@click.option("--severity", type=click.Choice(["critical", "high", "medium", "low"]), help="Only these comments.")
@click.option("--category", help="Only comments of this category.")
@click.option("--language", help="Only comments on files of this language (e.g. Python).")
@click.option("--prompt-version", help="Only runs with this prompt version.")
@click.option("--model", help="Only runs whose exact model string is this.")
@click.option("--by", type=click.Choice(BREAKDOWNS), help="One report per value of this field.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap intervals.")
@click.option("--from-github", is_flag=True, help="Harvest --repo from GitHub first (see `harvest`).")
@click.option("--bot-login", "bot_logins", multiple=True, metavar="LOGIN", help="With --from-github: the bot.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Server-level YAML config.")
def stats(
    fmt: str,
    repo: str | None,
    since: datetime | None,
    until: datetime | None,
    by: str | None,
    seed: int,
    from_github: bool,
    bot_logins: tuple[str, ...],
    config_path: str | None,
    **fields: str | None,
) -> None:
    """Acceptance, cost and head-to-head statistics per contender, with their definitions."""
    from bot.stats_queries import StatsFilter

    environ = dict(os.environ)
    if from_github:
        _harvest_first(environ, repo, bot_logins, config_path)
    engine = _engine(environ)
    base = StatsFilter(repo=repo, since=_utc(since), until=_utc(until), **fields)
    reports = _reports(engine, base, by, seed)
    click.echo(render(reports, fmt, by=by), nl=False)


def _utc(day: datetime | None) -> datetime | None:
    return None if day is None else day.replace(tzinfo=UTC)


def _harvest_first(environ: Mapping[str, str], repo: str | None, logins: tuple[str, ...], config: str | None) -> None:
    from bot.cli_harvest import _finish, acceptance_settings, github_reader, open_store, split_repository
    from bot.harvest import Harvester

    if repo is None:
        _fail("--from-github needs --repo owner/name")
    owner, name = split_repository(repo)
    acceptance = acceptance_settings(environ, config, logins)
    harvester = Harvester(open_store(environ), github_reader(environ, owner, name), acceptance, _now, _progress)
    code = _finish(harvester.run(owner, name, since=None, number=None))
    if code:
        sys.exit(code)


def _now() -> datetime:
    return datetime.now(UTC)


def _progress(line: str) -> None:
    click.echo(line, err=True)


def _engine(environ: Mapping[str, str]) -> Any:
    """The database at ``DATABASE_URL`` (default the embedded SQLite file, migrated here if needed)."""
    from bot.database import DEFAULT_DATABASE_URL, make_engine
    from bot.migrate import ensure_current

    url = environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("sqlite"):
        ensure_current(url)
    return make_engine(url)


def _reports(engine: Any, base: StatsFilter, by: str | None, seed: int) -> list[tuple[str, StatsReport]]:
    from dataclasses import replace

    from sqlalchemy.exc import SQLAlchemyError

    from bot.stats_queries import breakdown_values, report_for

    try:
        if by is None:
            return [("", report_for(engine, base, seed=seed))]
        found = []
        for value in breakdown_values(engine, base, by):
            narrowed = replace(base, **{by: value})  # type: ignore[arg-type]  # every breakdown field is a str
            found.append((value, report_for(engine, narrowed, seed=seed)))
        return found
    except SQLAlchemyError as exc:  # a database that is down or not migrated: say so, not a trace
        _fail(f"the database could not be read ({type(exc).__name__}): run `review-arena db upgrade`?")


def _fail(message: str) -> NoReturn:
    click.echo(f"review-arena: {message}", err=True)
    sys.exit(EXIT_USAGE)


# ---- output -----------------------------------------------------------------------------------------------------
def render(reports: list[tuple[str, StatsReport]], fmt: str, *, by: str | None) -> str:
    if fmt == "json":
        if by is None:
            return json.dumps(report_json(reports[0][1]), indent=2) + "\n"
        return json.dumps({"by": by, "reports": {v: report_json(r) for v, r in reports}}, indent=2) + "\n"
    if fmt == "csv":
        if by is None:
            return report_csv(reports[0][1])
        return "".join(_csv_with(by, value, report_csv(r), first=i == 0) for i, (value, r) in enumerate(reports))
    if fmt == "markdown":
        return "\n".join(report_markdown(r, title=_title(by, v)) for v, r in reports)
    return "".join(terminal_table(r, title=_title(by, v)) for v, r in reports)


def _title(by: str | None, value: str) -> str:
    return "Review Arena statistics" if by is None else f"Review Arena statistics: {by} = {value}"


def _csv_with(by: str, value: str, text: str, *, first: bool) -> str:
    header, *lines = text.splitlines()
    quoted = '"' + value.replace('"', '""') + '"'
    body = "".join(f"{quoted},{line}\n" for line in lines)
    return (f"{by},{header}\n" if first else "") + body


def terminal_table(report: StatsReport, *, title: str) -> str:
    """Rich tables, rendered to text, each with its definitions as a footnote row."""
    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=200, file=io.StringIO(), force_terminal=False)
    if not report.contenders:
        console.print(f"{title}: no reviews match; nothing to count yet.")
        return console.export_text()
    sections = [
        (title, ACCEPTANCE_HEADERS, [acceptance_row(c) for c in report.contenders]),
        ("Cost and latency", COST_HEADERS, [cost_row(c) for c in report.contenders]),
        ("Head to head", PAIR_HEADERS, [pair_row(p) for p in report.pairings]),
        ("Bradley–Terry", ("contender", "strength", "95%"), strength_rows(report)),
        ("Position", ("contender", "posted first", "decided", "posted later", "decided"), position_rows(report)),
    ]
    for name, headers, rows in sections:
        if not rows:
            continue
        table = Table(title=name, show_lines=False)
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    notes = Table(title=f"Definitions ({report.definition}, bootstrap seed {report.seed})", show_header=False)
    notes.add_column("figure", style="bold")
    notes.add_column("definition", overflow="fold")
    for name, text in report.definitions.items():
        notes.add_row(name, text)
    console.print(notes)
    return console.export_text()
