"""``review-arena app register``: register the GitHub App from ``app.yml`` with GitHub's manifest flow. A root and
its adapters: it serves a one-page local web server for the browser step, calls the conversion endpoint with
urllib, and writes the env file and the private key (mode 0600). Texts and checks live in ``bot.core.app_manifest``.

Exit codes: 0 registered and written; 2 a usage error, an existing file, or no callback in time (nothing written);
4 GitHub refused or could not be reached.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit

import click

from bot.core.app_manifest import (
    DEFAULT_GITHUB_URL,
    DEFAULT_MANIFEST,
    KEY_FILE_NAME,
    AppRegistration,
    base_url,
    build_manifest,
    conversions_path,
    default_api_url,
    new_app_url,
    parse_conversion,
    parse_manifest,
    render_env,
    render_result_page,
    render_start_page,
)
from bot.errors import ConfigError, GitHubError, TransientGitHubError

EXIT_USAGE, EXIT_GITHUB = 2, 4
REPO_MANIFEST = Path(__file__).resolve().parents[1] / "app.yml"
REQUEST_TIMEOUT_S = 30.0


@click.group("app")
def app_group() -> None:
    """Register the Review Arena GitHub App."""


@app_group.command("register")
@click.option("--host", metavar="URL", help="Public base URL of the webhook receiver (https://review.example.com).")
@click.option("--org", metavar="NAME", help="Register the App under this organization instead of your account.")
@click.option("--port", type=click.IntRange(0, 65535), default=3000, show_default=True, help="Local callback port.")
@click.option("--env-file", type=click.Path(dir_okay=False), default=".env", show_default=True)
@click.option("--github-url", default=DEFAULT_GITHUB_URL, show_default=True, help="GitHub Enterprise Server URL.")
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    help="REST API root [default: $GITHUB_API_URL, https://api.github.com, or <github-url>/api/v3].",
)
@click.option("--code", metavar="CODE", help="Convert this manifest code (from the redirect URL); skips the browser.")
@click.option("--name", help="App name to propose (App names are unique on GitHub) [default: from the manifest].")
@click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False), help="Manifest YAML [default: app.yml].")
@click.option("--timeout", type=click.FloatRange(min=1), default=1800, show_default=True, help="Seconds to wait.")
@click.option("--force", is_flag=True, help="Overwrite an existing env file and private key.")
def register(
    host: str | None,
    org: str | None,
    port: int,
    env_file: str,
    github_url: str,
    api_url: str | None,
    code: str | None,
    name: str | None,
    manifest_path: str | None,
    timeout: float,
    force: bool,
) -> None:
    """Register a GitHub App from the manifest and write its credentials to the env file.

    Serves a page on 127.0.0.1:PORT that sends the manifest to GitHub; after you name and create the App there,
    GitHub redirects back with a one-hour code, which is converted into the App's id, private key and webhook
    secret. With --code, converts a code you already have.
    """
    env_path = Path(env_file)
    key_path = env_path.parent / KEY_FILE_NAME
    try:
        api = base_url(api_url, option="--api-url") if api_url else default_api_url(github_url)
        if not force:
            _refuse_existing(env_path, key_path)
        writer = _Writer(env_path=env_path, key_path=key_path, api_url=api, force=force)
        if code is not None:
            registration = writer.complete(convert_code(api, code))
        else:
            if not host:
                raise ConfigError("give --host URL (the receiver's public base URL), or --code CODE")
            manifest = _load_manifest(manifest_path)
            registration = _browser_flow(
                manifest,
                host=host,
                org=org,
                port=port,
                github_url=github_url,
                name=name,
                timeout=timeout,
                finish=lambda received: writer.complete(convert_code(api, received)),
            )
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
    except (GitHubError, TransientGitHubError) as exc:
        _fail(str(exc), EXIT_GITHUB)
    except OSError as exc:
        _fail(f"cannot write {exc.filename or env_path}: {exc.strerror or exc}", EXIT_USAGE)
    _report(registration, env_path=env_path, key_path=key_path)


def convert_code(api_url: str, code: str, *, timeout: float = REQUEST_TIMEOUT_S) -> AppRegistration:
    """``POST {api_url}/app-manifests/{code}/conversions``: no authentication, the code is the credential."""
    url = api_url.rstrip("/") + conversions_path(code)
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"--api-url must be an http(s) URL, not {api_url!r}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=b"",
        method="POST",
        headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "review-arena",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked above)
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise _http_error(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransientGitHubError(f"cannot reach {api_url}: {reason}") from None
    try:
        data = json.loads(body)
    except ValueError:
        raise GitHubError("the manifest conversion answered something other than JSON") from None
    return parse_conversion(data)


def _http_error(exc: urllib.error.HTTPError) -> GitHubError | TransientGitHubError:
    try:
        message = str(json.loads(exc.read()).get("message", ""))
    except (ValueError, AttributeError, OSError):
        message = ""
    text = f"GitHub answered {exc.code} to the manifest conversion" + (f": {message}" if message else "")
    if exc.code == 404:
        return GitHubError(text + " (a code works once, for one hour; register again for a new one)")
    if exc.code == 429 or exc.code >= 500:
        return TransientGitHubError(text)
    return GitHubError(text)


@dataclass(frozen=True, slots=True)
class _Writer:
    """Writes the private key, then the env file, both 0600: the key first, as GitHub never shows it again."""

    env_path: Path
    key_path: Path
    api_url: str
    force: bool

    def complete(self, registration: AppRegistration) -> AppRegistration:
        self.env_path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(self.key_path, registration.pem, exclusive=not self.force)
        text = render_env(registration, key_path=str(self.key_path.resolve()), api_url=self.api_url)
        _write_private(self.env_path, text, exclusive=not self.force)
        return registration


def _write_private(path: Path, text: str, *, exclusive: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} appeared meanwhile; not overwriting it") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # O_TRUNC keeps an existing file's mode
        handle.write(text)


def _refuse_existing(*paths: Path) -> None:
    existing = [str(p) for p in paths if p.exists()]
    if existing:
        raise ConfigError(f"{' and '.join(existing)} already exist; pass --force to overwrite, or --env-file")


def _load_manifest(path: str | None) -> dict[str, Any]:
    source = Path(path) if path else REPO_MANIFEST
    if path is None and not source.is_file():
        return dict(DEFAULT_MANIFEST)  # an installed package: app.yml stays in the source tree
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the manifest {source}: {exc.strerror or exc}") from None
    return parse_manifest(text, source=str(source))


@dataclass
class _Flow:
    """The state shared between the command and the local server's request threads."""

    state: str
    start_page: str
    convert: Callable[[str], AppRegistration]
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    result: AppRegistration | None = None
    error: Exception | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    flow: _Flow

    def local_hosts(self) -> frozenset[str]:
        """Host headers a browser on this machine sends; anything else may be DNS rebinding."""
        port = self.server_address[1]
        return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


def _browser_flow(
    manifest: dict[str, Any],
    *,
    host: str,
    org: str | None,
    port: int,
    github_url: str,
    name: str | None,
    timeout: float,
    finish: Callable[[str], AppRegistration],
) -> AppRegistration:
    """Serve the start page, wait for GitHub's redirect with the right ``state``, and ``finish`` its code."""
    state = secrets.token_urlsafe(24)
    action = new_app_url(github_url, org=org, state=state)
    base_url(host, option="--host")  # refuse a bad host before listening
    try:
        server = _Server(("127.0.0.1", port), _Handler)
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}; pass another --port") from None
    bound = server.server_address[1]
    full = build_manifest(manifest, host=host, redirect_url=f"http://127.0.0.1:{bound}/callback", name=name)
    server.flow = _Flow(state, render_start_page(action_url=action, manifest=full), finish)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="app-register", daemon=True)
    thread.start()
    click.echo(f"Open http://127.0.0.1:{bound}/ in a browser signed in to {github_url} to create the App.")
    click.echo(f"Webhooks will go to {full['hook_attributes']['url']}. Waiting up to {timeout:.0f} s…")
    try:
        if not server.flow.done.wait(timeout):
            raise ConfigError(f"no callback from GitHub within {timeout:.0f} s; nothing was written")
    finally:
        server.shutdown()
        server.server_close()
    if server.flow.error is not None:
        raise server.flow.error
    assert server.flow.result is not None
    return server.flow.result


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        flow = self.server.flow
        url = urlsplit(self.path)
        if self.headers.get("Host", "") not in self.server.local_hosts():
            self._send(421, render_result_page(title="Wrong host", lines=["Open the address the command printed."]))
        elif url.path == "/":
            self._send(200, flow.start_page)
        elif url.path == "/callback":
            self._callback(flow, parse_qs(url.query))
        else:
            self._send(404, render_result_page(title="Not found", lines=["Open / to register the App."]))

    def _callback(self, flow: _Flow, query: dict[str, list[str]]) -> None:
        state = query.get("state", [""])[0]
        code = query.get("code", [""])[0]
        if not hmac.compare_digest(state.encode(), flow.state.encode()):
            self._send(400, render_result_page(title="Wrong state", lines=["This callback is not from this run."]))
            return
        if not code:
            self._send(400, render_result_page(title="No code", lines=["GitHub sent no code; register again."]))
            return
        if not flow.lock.acquire(blocking=False):  # never released: a registration converts one code only
            self._send(409, render_result_page(title="Already used", lines=["This registration has finished."]))
            return
        try:
            flow.result = flow.convert(code)
        except Exception as exc:  # reported by the command; the wait must end whatever happened
            flow.error = exc
            self._send(502, render_result_page(title="Registration failed", lines=[str(exc)]))
        else:
            done = [f"Created {flow.result.html_url} and saved its credentials.", "Install it on repositories:"]
            page = render_result_page(title="Review Arena registered", lines=[*done, flow.result.install_url])
            self._send(200, page)
        flow.done.set()

    def _send(self, status: int, page: str) -> None:
        body = page.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the command prints what matters."""


def _report(registration: AppRegistration, *, env_path: Path, key_path: Path) -> None:
    click.echo(f"Registered the GitHub App {registration.name or registration.slug} (id {registration.app_id}).")
    click.echo(f"  App:     {registration.html_url}")
    click.echo(f"  Install: {registration.install_url}")
    click.echo(f"Wrote {env_path} (GITHUB_APP_ID, GITHUB_WEBHOOK_SECRET, GITHUB_PRIVATE_KEY_PATH)")
    click.echo(f"  and the private key {key_path} (mode 0600); GitHub does not show the key again.")
    if registration.webhook_secret is None:
        click.echo("GitHub returned no webhook secret: set one in the App's settings and in the env file.", err=True)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"review-arena: {message}", err=True)
    raise SystemExit(code)
