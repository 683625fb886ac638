"""Specification of ``bot.github_app``: App credentials from the environment and cached installation clients,
against the fake GitHub on a real socket."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from github import Github, GithubException

from bot.errors import ConfigError
from bot.github_app import REFRESH_MARGIN_S, AppCredentials, InstallationClients, jwt_signer, load_credentials
from bot.publish import post_review
from tests.conftest import DIFFS
from tests.fakes.github_server import FakeGitHubServer

APP_ID = 4242
TOKENS = r"^/app/installations/\d+/access_tokens$"
FLASK_MEDIUM = "py-flask-medium-feature-limits-config-c7a53888.diff"


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer() as fake:
        fake.add_pull_request("pallets", "flask", 5, (DIFFS / FLASK_MEDIUM).read_text(encoding="utf-8"))
        yield fake
        assert fake.schema_violations == []


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clients(server: FakeGitHubServer, clock: FakeClock) -> Iterator[InstallationClients]:
    key = server.enable_app(APP_ID)
    made = InstallationClients(
        AppCredentials(APP_ID, key),
        api_url=server.api_url,
        clock=clock,
    )
    yield made
    made.close()


def test_a_token_is_fetched_once_and_reused(server: FakeGitHubServer, clients: InstallationClients) -> None:
    installation = server.add_installation("pallets")
    first = clients.client_for(installation.id)
    second = clients.client_for(installation.id)
    assert first is second
    assert second.get_repo("pallets/flask").full_name == "pallets/flask"
    assert server.count_requests("POST", TOKENS) == 1


def test_the_token_is_refreshed_five_minutes_before_it_expires(
    server: FakeGitHubServer, clients: InstallationClients, clock: FakeClock
) -> None:
    installation = server.add_installation("pallets")
    clients.client_for(installation.id)
    clock.now += 3600 - REFRESH_MARGIN_S - 60  # still more than five minutes left
    clients.client_for(installation.id)
    assert server.count_requests("POST", TOKENS) == 1
    clock.now += 61
    fresh = clients.client_for(installation.id)
    assert server.count_requests("POST", TOKENS) == 2
    assert fresh.get_repo("pallets/flask").name == "flask"


def test_a_client_held_through_a_long_review_sends_a_fresh_token(
    server: FakeGitHubServer, clients: InstallationClients, clock: FakeClock
) -> None:
    installation = server.add_installation("pallets")
    held = clients.client_for(installation.id)  # a task takes its client, then waits minutes on the models
    assert held.get_repo("pallets/flask").default_branch  # a lazy client: reading an attribute fetches
    clock.now += 3600 - REFRESH_MARGIN_S + 1  # the token it started with is about to expire
    assert held.get_repo("pallets/flask").default_branch
    first, second = server.requests_to("GET", r"^/repos/pallets/flask$")
    assert server.count_requests("POST", TOKENS) == 2
    assert first.headers["authorization"] != second.headers["authorization"]
    assert clients.client_for(installation.id) is held


def test_each_installation_has_its_own_token(server: FakeGitHubServer, clients: InstallationClients) -> None:
    one, two = server.add_installation("pallets"), server.add_installation("octocat")
    assert clients.client_for(one.id) is not clients.client_for(two.id)
    assert server.count_requests("POST", TOKENS) == 2


def test_a_slow_token_exchange_holds_only_its_own_installation(
    server: FakeGitHubServer, clients: InstallationClients
) -> None:
    ready, slow = server.add_installation("pallets"), server.add_installation("octocat")
    ready_client = clients.client_for(ready.id)
    held = server.hold("POST", rf"^/app/installations/{slow.id}/access_tokens$")
    minted: list[Github] = []
    waiters = [threading.Thread(target=lambda: minted.append(clients.client_for(slow.id))) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    assert held.arrived.wait(10)
    assert _returns_within(lambda: clients.client_for(ready.id), seconds=5) is ready_client
    held.release()
    for waiter in waiters:
        waiter.join(10)
    assert len(minted) == 3 and minted[0] is minted[1] is minted[2]
    assert server.count_requests("POST", rf"^/app/installations/{slow.id}/access_tokens$") == 1


def _returns_within(call: Callable[[], Github], *, seconds: float) -> Github:
    """``call()``'s result, failing the test if it has not returned after ``seconds``."""
    found: list[Github] = []
    thread = threading.Thread(target=lambda: found.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert found, f"still waiting after {seconds} s"
    return found[0]


def test_a_key_that_is_not_a_private_key_is_a_config_error(server: FakeGitHubServer) -> None:
    with pytest.raises(ConfigError, match="GITHUB_PRIVATE_KEY"):
        InstallationClients(AppCredentials(APP_ID, PEM), api_url=server.api_url)


def test_each_jwt_is_signed_with_the_app_key(server: FakeGitHubServer) -> None:
    key = server.enable_app(APP_ID)
    sign = jwt_signer(key)
    claims = {"iss": str(APP_ID), "iat": 1, "exp": 2}
    public = load_pem_private_key(key.encode(), password=None).public_key()
    assert jwt.decode(sign(claims), public, algorithms=["RS256"], options={"verify_exp": False}) == claims


def test_githubs_retry_after_is_reported_for_its_installation_and_waited_out(server: FakeGitHubServer) -> None:
    told: list[tuple[int, float]] = []
    made = InstallationClients(
        AppCredentials(APP_ID, server.enable_app(APP_ID)),
        api_url=server.api_url,
        on_rate_limited=lambda installation, seconds: told.append((installation, seconds)),
    )
    installation = server.add_installation("pallets")
    gh = made.client_for(installation.id)
    server.inject_secondary_rate_limit("POST", r"/pulls/5/reviews$", retry_after=1)
    server.inject("GET", r"/pulls/5/files$", 403)  # refused outright: no retry-after, nothing to report
    with pytest.raises(GithubException):
        list(gh.get_repo("pallets/flask").get_pull(5).get_files())
    payload = {"event": "COMMENT", "body": "after a pause", "comments": []}
    post_review(gh, owner="pallets", repo="flask", number=5, payload=payload)
    made.close()
    assert told == [(installation.id, 1.0)]
    assert [r.status for r in server.requests_to("POST", r"/pulls/5/reviews$")] == [403, 200]


def test_installation_for_repo(server: FakeGitHubServer, clients: InstallationClients) -> None:
    installation = server.add_installation("pallets")
    assert clients.installation_for_repo("pallets", "flask") == installation.id


def test_the_installation_client_posts_reviews_as_the_app(
    server: FakeGitHubServer, clients: InstallationClients
) -> None:
    server.add_installation("pallets")
    gh = clients.client_for(clients.installation_for_repo("pallets", "flask"))
    comments = [{"path": "CHANGES.rst", "line": 14, "side": "RIGHT", "body": "one line"}]
    payload = {"event": "COMMENT", "body": "summary", "comments": comments}
    posted = post_review(gh, owner="pallets", repo="flask", number=5, payload=payload)
    (review,) = server.state.reviews
    assert (review.id, review.user.login, posted.posted_comment_count) == (posted.review_id, "review-arena[bot]", 1)


def test_installation_clients_retry_server_errors(server: FakeGitHubServer, clients: InstallationClients) -> None:
    gh = clients.client_for(server.add_installation("pallets").id)
    server.inject("GET", r"^/repos/pallets/flask$", 502)
    assert gh.get_repo("pallets/flask").default_branch  # lazy client: reading an attribute fetches
    assert [r.status for r in server.requests_to("GET", r"^/repos/pallets/flask$")] == [502, 200]


# ---- load_credentials ------------------------------------------------------------------------------------------
PEM = "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n"


def test_credentials_from_the_key_text() -> None:
    assert load_credentials({"GITHUB_APP_ID": "42", "GITHUB_PRIVATE_KEY": PEM}) == AppCredentials(42, PEM.strip())


def test_credentials_from_a_one_line_key_with_escaped_newlines() -> None:
    loaded = load_credentials({"GITHUB_APP_ID": "42", "GITHUB_PRIVATE_KEY": PEM.replace("\n", "\\n")})
    assert loaded.private_key == PEM.strip()


def test_credentials_from_a_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(PEM, encoding="utf-8")
    loaded = load_credentials({"GITHUB_APP_ID": "7", "GITHUB_PRIVATE_KEY_PATH": str(key_file)})
    assert (loaded.app_id, loaded.private_key) == (7, PEM.strip())


def test_the_key_is_not_in_the_repr() -> None:
    assert "abc" not in repr(AppCredentials(1, PEM))


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        pytest.param({}, ["GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH"], id="nothing"),
        pytest.param({"GITHUB_PRIVATE_KEY": PEM}, ["GITHUB_APP_ID"], id="no-app-id"),
        pytest.param({"GITHUB_APP_ID": "1"}, ["GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH"], id="no-key"),
        pytest.param({"GITHUB_APP_ID": "one", "GITHUB_PRIVATE_KEY": PEM}, ["GITHUB_APP_ID"], id="bad-id"),
        pytest.param({"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": "not a key"}, ["GITHUB_PRIVATE_KEY"], id="bad-key"),
        pytest.param(
            {"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY_PATH": "/nonexistent/app.pem"},
            ["GITHUB_PRIVATE_KEY_PATH", "/nonexistent/app.pem"],
            id="unreadable-file",
        ),
    ],
)
def test_missing_or_bad_variables_are_named(environ: dict[str, str], named: list[str]) -> None:
    with pytest.raises(ConfigError) as raised:
        load_credentials(environ)
    assert all(name in str(raised.value) for name in named)
