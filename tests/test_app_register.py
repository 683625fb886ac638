"""``review-arena app register`` against a small GitHub stand-in on a real socket that answers
``POST /app-manifests/{code}/conversions`` like GitHub does (201 with id, slug, pem, webhook_secret, client_id,
client_secret and html_url; 404 for an unknown or used code), and the local callback flow driven with urllib."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.app_register import app_group
from bot.core.app_manifest import KEY_FILE_NAME
from bot.github_app import load_credentials
from tests.fakes.github_auth import generate_app_key_pair

APP_ID = 31337
WEBHOOK_SECRET = "6f1ed002ab5595859014ebf0951522d9"
HOST = "https://review.example.com"


@dataclass
class Conversions:
    """GitHub's manifest conversion endpoint: each code converts once."""

    pem: str
    codes: set[str]
    webhook_secret: str | None = WEBHOOK_SECRET
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.requests.append({"method": method, "path": path, "headers": headers})
        match = re.fullmatch(r"/app-manifests/([^/]+)/conversions", path)
        if method != "POST" or match is None or match.group(1) not in self.codes:
            return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
        self.codes.remove(match.group(1))
        return 201, {
            "id": APP_ID,
            "slug": "review-arena-test",
            "node_id": "A_kwDOAAABCDE",
            "owner": {"login": "octocat", "id": 1, "type": "User"},
            "name": "Review Arena test",
            "description": "",
            "external_url": HOST,
            "html_url": "https://github.com/apps/review-arena-test",
            "created_at": "2026-05-09T07:35:25Z",
            "updated_at": "2026-05-09T07:35:25Z",
            "permissions": {"pull_requests": "write", "contents": "read", "issues": "write", "metadata": "read"},
            "events": ["pull_request", "issue_comment", "pull_request_review_comment", "pull_request_review_thread"],
            "client_id": "Iv23liTestClient",
            "client_secret": "1234567890abcdef1234567890abcdef12345678",
            "webhook_secret": self.webhook_secret,
            "pem": self.pem,
        }


class _ConversionHandler(BaseHTTPRequestHandler):
    server: _ConversionServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, body = self.server.conversions.answer("POST", self.path, dict(self.headers.items()))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ConversionServer(ThreadingHTTPServer):
    daemon_threads = True
    conversions: Conversions


@pytest.fixture(scope="module")
def pem() -> str:
    return generate_app_key_pair()[0]


@pytest.fixture
def github(pem: str) -> Iterator[Conversions]:
    server = _ConversionServer(("127.0.0.1", 0), _ConversionHandler)
    server.conversions = Conversions(pem=pem, codes={"abc123"}, url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.conversions
    server.shutdown()
    server.server_close()
    thread.join()


def register(*args: str) -> Result:
    return CliRunner().invoke(app_group, ["register", *args], catch_exceptions=False)


def read_env(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --code: convert a code without the browser


def test_code_is_converted_into_an_env_file_the_app_can_start_from(
    github: Conversions, tmp_path: Path, pem: str
) -> None:
    env_file = tmp_path / "deploy" / ".env"
    result = register("--code", "abc123", "--api-url", github.url, "--env-file", str(env_file))
    assert result.exit_code == 0, result.output
    env = read_env(env_file)
    key_file = tmp_path / "deploy" / KEY_FILE_NAME
    assert env["GITHUB_APP_ID"] == str(APP_ID)
    assert env["GITHUB_WEBHOOK_SECRET"] == WEBHOOK_SECRET
    assert env["GITHUB_PRIVATE_KEY_PATH"] == str(key_file.resolve())
    assert env["GITHUB_API_URL"] == github.url
    assert key_file.read_text(encoding="utf-8") == pem
    assert mode(key_file) == 0o600 and mode(env_file) == 0o600
    assert load_credentials(env).app_id == APP_ID
    assert "https://github.com/apps/review-arena-test/installations/new" in result.output
    assert "https://github.com/apps/review-arena-test\n" in result.output


def test_the_conversion_is_an_unauthenticated_post_asking_for_github_json(github: Conversions, tmp_path: Path) -> None:
    register("--code", "abc123", "--api-url", github.url + "/", "--env-file", str(tmp_path / ".env"))
    [request] = github.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert (request["method"], request["path"]) == ("POST", "/app-manifests/abc123/conversions")
    assert headers["accept"] == "application/vnd.github+json"
    assert "authorization" not in headers


def test_an_existing_env_file_is_kept_and_github_is_not_asked(github: Conversions, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("KEEP=1\n", encoding="utf-8")
    result = register("--code", "abc123", "--api-url", github.url, "--env-file", str(env_file))
    assert result.exit_code == 2
    assert "--force" in result.output
    assert env_file.read_text(encoding="utf-8") == "KEEP=1\n"
    assert github.requests == [] and not (tmp_path / KEY_FILE_NAME).exists()


def test_an_existing_private_key_is_kept_too(github: Conversions, tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("old key", encoding="utf-8")
    result = register("--code", "abc123", "--api-url", github.url, "--env-file", str(tmp_path / ".env"))
    assert result.exit_code == 2
    assert (tmp_path / KEY_FILE_NAME).read_text(encoding="utf-8") == "old key"
    assert not (tmp_path / ".env").exists()


def test_force_overwrites_both_and_tightens_their_mode(github: Conversions, tmp_path: Path, pem: str) -> None:
    env_file, key_file = tmp_path / ".env", tmp_path / KEY_FILE_NAME
    for path in (env_file, key_file):
        path.write_text("old\n", encoding="utf-8")
        path.chmod(0o644)
    result = register("--code", "abc123", "--api-url", github.url, "--env-file", str(env_file), "--force")
    assert result.exit_code == 0, result.output
    assert read_env(env_file)["GITHUB_APP_ID"] == str(APP_ID)
    assert key_file.read_text(encoding="utf-8") == pem
    assert mode(key_file) == 0o600 and mode(env_file) == 0o600


def test_an_unknown_or_expired_code_writes_nothing(github: Conversions, tmp_path: Path) -> None:
    result = register("--code", "nope", "--api-url", github.url, "--env-file", str(tmp_path / ".env"))
    assert result.exit_code == 4
    assert "404" in result.output and "one hour" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_api_is_a_github_failure(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = register("--code", "abc123", "--api-url", f"http://127.0.0.1:{port}", "--env-file", str(tmp_path / ".e"))
    assert result.exit_code == 4
    assert "cannot reach" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_missing_webhook_secret_still_saves_the_key_and_warns(github: Conversions, tmp_path: Path) -> None:
    github.webhook_secret = None
    result = register("--code", "abc123", "--api-url", github.url, "--env-file", str(tmp_path / ".env"))
    assert result.exit_code == 0, result.output
    assert read_env(tmp_path / ".env")["GITHUB_WEBHOOK_SECRET"] == ""
    assert (tmp_path / KEY_FILE_NAME).exists()
    assert "no webhook secret" in result.output


@pytest.mark.parametrize("host", [None, "review.example.com", "https://YOUR-HOST"])
def test_without_code_a_public_host_url_is_required(tmp_path: Path, host: str | None) -> None:
    result = register("--env-file", str(tmp_path / ".env"), "--port", "0", *(["--host", host] if host else []))
    assert result.exit_code == 2
    assert "--host" in result.output


# The browser flow: a local page that posts the manifest to GitHub, and GitHub's redirect back to /callback


class _StartPage(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.setdefault(tag, dict(attrs))


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Flow:
    """``review-arena app register`` running in a thread, as a user's terminal would run it."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.result: Result | None = None
        self._args = ["--port", str(self.port), *args]
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.result = register(*self._args)

    def start(self) -> tuple[str, dict[str, Any]]:
        """Start the command, open its page; answer the form's action and the manifest it posts."""
        self._thread.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                status, page = http_get(self.url("/"))
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline and self._thread.is_alive(), self.result
                time.sleep(0.02)
        assert status == 200
        parser = _StartPage()
        parser.feed(page)
        action, value = parser.attrs["form"]["action"], parser.attrs["input"]["value"]
        assert parser.attrs["form"]["method"] == "post" and parser.attrs["input"]["name"] == "manifest"
        assert action is not None and value is not None
        manifest: dict[str, Any] = json.loads(value)
        return action, manifest

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def finish(self) -> Result:
        self._thread.join(30)
        assert not self._thread.is_alive() and self.result is not None
        return self.result


def state_of(action: str) -> str:
    match = re.search(r"[?&]state=([A-Za-z0-9_-]+)$", action)
    assert match is not None, action
    return match.group(1)


def test_browser_flow_posts_the_manifest_and_converts_the_code_github_sends_back(
    github: Conversions, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    flow = Flow("--host", HOST, "--api-url", github.url, "--env-file", str(env_file), "--timeout", "30")
    action, manifest = flow.start()
    state = state_of(action)
    assert action == f"https://github.com/settings/apps/new?state={state}" and len(state) >= 24
    assert manifest["hook_attributes"]["url"] == f"{HOST}/api/github/webhooks"
    assert manifest["redirect_url"] == flow.url("/callback")
    assert manifest["default_permissions"] == {
        "pull_requests": "write",
        "contents": "read",
        "issues": "write",
        "metadata": "read",
    }
    status, page = http_get(flow.url(f"/callback?code=abc123&state={state}"))
    assert status == 200
    assert "https://github.com/apps/review-arena-test/installations/new" in page
    result = flow.finish()
    assert result.exit_code == 0, result.output
    assert read_env(env_file)["GITHUB_APP_ID"] == str(APP_ID)
    assert mode(tmp_path / KEY_FILE_NAME) == 0o600
    assert [r["path"] for r in github.requests] == ["/app-manifests/abc123/conversions"]


def test_a_callback_with_the_wrong_state_is_refused_and_writes_nothing(github: Conversions, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    flow = Flow("--host", HOST, "--api-url", github.url, "--env-file", str(env_file), "--timeout", "30")
    action, _ = flow.start()
    for query in ("code=abc123&state=forged", "code=abc123", f"state={state_of(action)}"):
        status, _page = http_get(flow.url(f"/callback?{query}"))
        assert status == 400, query
    assert list(tmp_path.iterdir()) == [] and github.requests == []
    # The run goes on: the real redirect still completes it.
    status, _page = http_get(flow.url(f"/callback?code=abc123&state={state_of(action)}"))
    assert status == 200
    assert flow.finish().exit_code == 0
    assert env_file.exists()


def test_no_callback_in_time_writes_nothing(github: Conversions, tmp_path: Path) -> None:
    flow = Flow("--host", HOST, "--api-url", github.url, "--env-file", str(tmp_path / ".env"), "--timeout", "1")
    flow.start()
    status, _page = http_get(flow.url("/callback?code=abc123&state=forged"))
    assert status == 400
    result = flow.finish()
    assert result.exit_code == 2
    assert "no callback" in result.output
    assert list(tmp_path.iterdir()) == [] and github.requests == []


def test_a_failed_conversion_ends_the_run_with_githubs_answer(github: Conversions, tmp_path: Path) -> None:
    flow = Flow("--host", HOST, "--api-url", github.url, "--env-file", str(tmp_path / ".env"), "--timeout", "30")
    action, _ = flow.start()
    status, page = http_get(flow.url(f"/callback?code=used&state={state_of(action)}"))
    assert status == 502 and "404" in page
    result = flow.finish()
    assert result.exit_code == 4
    assert list(tmp_path.iterdir()) == []


def test_an_organization_app_is_created_on_the_organizations_page(github: Conversions, tmp_path: Path) -> None:
    flow = Flow(
        "--host",
        HOST,
        "--org",
        "acme-corp",
        "--github-url",
        "https://ghe.example.com",
        "--api-url",
        github.url,
        "--env-file",
        str(tmp_path / ".env"),
        "--name",
        "Acme Arena",
    )
    action, manifest = flow.start()
    assert action.startswith("https://ghe.example.com/organizations/acme-corp/settings/apps/new?state=")
    assert manifest["name"] == "Acme Arena"
    http_get(flow.url(f"/callback?code=abc123&state={state_of(action)}"))
    assert flow.finish().exit_code == 0


def test_requests_for_another_host_name_are_refused(github: Conversions, tmp_path: Path) -> None:
    """A page elsewhere that rebinds its DNS name to 127.0.0.1 must not read the state."""
    flow = Flow("--host", HOST, "--api-url", github.url, "--env-file", str(tmp_path / ".env"), "--timeout", "30")
    action, _ = flow.start()
    for path in ("/", f"/callback?code=abc123&state={state_of(action)}"):
        request = urllib.request.Request(flow.url(path), headers={"Host": f"evil.example:{flow.port}"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=10)
        info.value.close()
        assert info.value.code == 421
    assert github.requests == []
    status, _page = http_get(f"http://localhost:{flow.port}/callback?code=abc123&state={state_of(action)}")
    assert status == 200
    assert flow.finish().exit_code == 0


def test_a_busy_port_is_a_usage_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = register("--host", HOST, "--port", str(port), "--env-file", str(tmp_path / ".env"))
    assert result.exit_code == 2
    assert "--port" in result.output
    assert not os.listdir(tmp_path)
