"""The App's commands: ``serve``, ``worker``, ``beat``, ``up`` and ``db upgrade``. Thin roots over bot.service.

``up`` is the embedded default: one command runs the receiver in this process and a worker and the beat
scheduler as child processes. Without ``REDIS_URL`` they share the embedded SQLite broker, and without
``DATABASE_URL`` the SQLite database ``review-arena.db``; both are files in the working directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import NoReturn

import click

from bot.errors import ConfigError

EXIT_CONFIG = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"review-arena: {message}", err=True)
    sys.exit(EXIT_CONFIG)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--log-level", default="info", show_default=True)
def serve(host: str, port: int, log_level: str) -> None:
    """Run the webhook receiver (POST /api/github/webhooks, GET /healthz, GET /readyz)."""
    import uvicorn

    from bot.migrate import upgrade
    from bot.service import build_receiver, database_url

    environ = dict(os.environ)
    try:
        url = database_url(environ)
        if url.startswith("sqlite"):
            upgrade(url)
        app = build_receiver(environ)
    except ConfigError as exc:
        _fail(str(exc))
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=True)


@click.command()
@click.option(
    "--pool",
    type=click.Choice(["threads", "prefork", "solo"]),
    default="threads",
    show_default=True,
    help="threads suits model calls, which wait on the network (see BENCHMARKS.md).",
)
@click.option("--concurrency", default=32, show_default=True, type=int, help="Reviews in flight per worker.")
@click.option("--log-level", default="info", show_default=True)
def worker(pool: str, concurrency: int, log_level: str) -> None:
    """Run a Celery worker for the review queue."""
    from workers.celery_app import QUEUE
    from workers.tasks import app

    app.worker_main(
        [
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            f"--queues={QUEUE}",
            f"--loglevel={log_level}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@click.command()
@click.option("--log-level", default="info", show_default=True)
def beat(log_level: str) -> None:
    """Run the Celery beat scheduler (periodic harvests)."""
    from workers.tasks import app

    app.start(["beat", f"--loglevel={log_level}", "--schedule=review-arena-beat.db"])


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--concurrency", default=16, show_default=True, type=int)
def up(host: str, port: int, concurrency: int) -> None:
    """Run the receiver, a worker and the beat scheduler together (embedded broker unless REDIS_URL is set)."""
    me = [sys.executable, "-m", "bot"]
    children = [
        subprocess.Popen([*me, "worker", "--concurrency", str(concurrency), "--log-level", "warning"]),  # noqa: S603
        subprocess.Popen([*me, "beat", "--log-level", "warning"]),  # noqa: S603
    ]
    try:
        serve.main(["--host", host, "--port", str(port)], standalone_mode=False)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


@click.group("db")
def db_group() -> None:
    """Manage the database."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to DATABASE_URL (default: the SQLite file review-arena.db)."""
    from bot.database import maintain, make_engine
    from bot.migrate import current_head, upgrade
    from bot.service import database_url

    url = database_url(dict(os.environ))
    upgrade(url)
    engine = make_engine(url)
    click.echo(f"database at revision {current_head()}; statistics {maintain(engine)}")
    engine.dispose()


def register(main: click.Group) -> None:
    for command in (serve, worker, beat, up, db_group):
        main.add_command(command)
