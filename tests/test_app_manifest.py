"""Specification of ``app.yml`` (least privilege, exactly) and of ``bot.core.app_manifest``: the manifest sent to
GitHub, the local start page, the conversion answer and the env file."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.app_manifest import (
    DEFAULT_MANIFEST,
    WEBHOOK_PATH,
    AppRegistration,
    base_url,
    build_manifest,
    conversions_path,
    default_api_url,
    env_value,
    new_app_url,
    parse_conversion,
    parse_manifest,
    render_env,
    render_start_page,
)
from bot.errors import ConfigError, GitHubError

APP_YML = Path(__file__).resolve().parents[1] / "app.yml"
PERMISSIONS = {"pull_requests": "write", "contents": "read", "issues": "write", "metadata": "read"}
EVENTS = ["pull_request", "issue_comment", "pull_request_review_comment", "pull_request_review_thread"]
# Manifest keys that grant nothing: identity, homepage, visibility and the webhook.
HARMLESS_KEYS = {"name", "url", "description", "public", "hook_attributes"}
STATE = "s" * 32


def app_yml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(APP_YML.read_text(encoding="utf-8"))
    return data


def registration(**changes: Any) -> AppRegistration:
    fields: dict[str, Any] = {
        "app_id": 77,
        "slug": "review-arena-test",
        "name": "Review Arena test",
        "html_url": "https://github.com/apps/review-arena-test",
        "pem": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
        "webhook_secret": "e3b0c44298fc1c149afbf4c8996fb924",
        "client_id": "Iv1.abc",
        "client_secret": "shh",
    }
    fields.update(changes)
    return AppRegistration(**fields)


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.setdefault(tag, dict(attrs))


def form_of(page: str) -> tuple[str, dict[str, Any]]:
    """The start page's form action and the manifest it posts."""
    reader = _FormReader()
    reader.feed(page)
    action, value = reader.attrs["form"]["action"], reader.attrs["input"]["value"]
    assert action is not None and value is not None and reader.attrs["input"]["name"] == "manifest"
    manifest: dict[str, Any] = json.loads(value)
    return action, manifest


# app.yml


def test_app_yml_grants_exactly_the_four_permissions() -> None:
    assert app_yml()["default_permissions"] == PERMISSIONS


def test_app_yml_subscribes_exactly_the_four_events() -> None:
    assert app_yml()["default_events"] == EVENTS


def test_app_yml_has_no_other_keys_that_could_grant_or_redirect() -> None:
    data = app_yml()
    assert set(data) == HARMLESS_KEYS | {"default_permissions", "default_events"}
    assert data["public"] is False
    assert data["name"] == "Review Arena"
    assert data["hook_attributes"] == {"url": "https://YOUR-HOST/api/github/webhooks", "active": True}


def test_app_yml_passes_the_manifest_checks() -> None:
    assert parse_manifest(APP_YML.read_text(encoding="utf-8"), source="app.yml") == app_yml()


def test_built_in_manifest_is_app_yml() -> None:
    assert dict(DEFAULT_MANIFEST) == app_yml()


def test_webhook_path_is_the_receivers() -> None:
    from bot.webhook import WEBHOOK_PATH as RECEIVER_PATH

    assert WEBHOOK_PATH == RECEIVER_PATH


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("- a\n", "a mapping", id="list"),
        pytest.param("name: x\n", "'url'", id="no-url"),
        pytest.param("name: x\nurl: u\n", "hook_attributes.url", id="no-hook"),
        pytest.param(
            "name: x\nurl: u\nhook_attributes: {url: h}\ndefault_permissions: {issues: admin}\n",
            "default_permissions",
            id="bad-access",
        ),
        pytest.param(
            "name: x\nurl: u\nhook_attributes: {url: h}\ndefault_permissions: {}\ndefault_events: push\n",
            "default_events",
            id="events-not-list",
        ),
        pytest.param("name: [\n", "not valid YAML", id="yaml"),
    ],
)
def test_a_bad_manifest_names_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=r"^m\.yml: .*") as info:
        parse_manifest(text, source="m.yml")
    assert key in str(info.value)


# The manifest sent to GitHub


def test_build_manifest_points_webhooks_at_the_host_and_keeps_the_grants() -> None:
    manifest = build_manifest(
        app_yml(), host="https://review.example.com/", redirect_url="http://127.0.0.1:3000/callback"
    )
    assert manifest["hook_attributes"] == {"url": "https://review.example.com/api/github/webhooks", "active": True}
    assert manifest["url"] == "https://review.example.com"
    assert manifest["redirect_url"] == "http://127.0.0.1:3000/callback"
    assert manifest["default_permissions"] == PERMISSIONS and manifest["default_events"] == EVENTS
    assert manifest["public"] is False and manifest["name"] == "Review Arena"


def test_build_manifest_keeps_a_real_homepage_and_takes_a_name() -> None:
    base = {**app_yml(), "url": "https://github.com/acme/review-arena"}
    manifest = build_manifest(base, host="http://10.0.0.5:8000/arena", redirect_url="r", name="Acme Arena")
    assert manifest["url"] == "https://github.com/acme/review-arena"
    assert manifest["hook_attributes"]["url"] == "http://10.0.0.5:8000/arena/api/github/webhooks"
    assert manifest["name"] == "Acme Arena"


def test_build_manifest_leaves_its_input_alone() -> None:
    base = app_yml()
    build_manifest(base, host="https://review.example.com", redirect_url="r")
    assert base == app_yml()


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("review.example.com", id="no-scheme"),
        pytest.param("ftp://review.example.com", id="ftp"),
        pytest.param("https://YOUR-HOST", id="placeholder"),
        pytest.param("https://review.example.com/?a=1", id="query"),
        pytest.param("https://review.example.com/#x", id="fragment"),
        pytest.param("https://review example.com", id="space"),
        pytest.param("", id="empty"),
    ],
)
def test_a_host_that_is_not_a_base_url_is_refused(host: str) -> None:
    with pytest.raises(ConfigError, match="--host must be an http"):
        build_manifest(app_yml(), host=host, redirect_url="r")


def test_base_url_accepts_ports_paths_and_ipv6() -> None:
    assert base_url("https://[::1]:8443/x/", option="--host") == "https://[::1]:8443/x"


@pytest.mark.parametrize(
    ("github_url", "org", "expected"),
    [
        pytest.param("https://github.com", None, f"https://github.com/settings/apps/new?state={STATE}", id="user"),
        pytest.param(
            "https://github.com/",
            "acme-corp",
            f"https://github.com/organizations/acme-corp/settings/apps/new?state={STATE}",
            id="org",
        ),
        pytest.param(
            "https://ghe.example.com",
            None,
            f"https://ghe.example.com/settings/apps/new?state={STATE}",
            id="ghes",
        ),
    ],
)
def test_new_app_url(github_url: str, org: str | None, expected: str) -> None:
    assert new_app_url(github_url, org=org, state=STATE) == expected


@pytest.mark.parametrize("org", ["acme/../x", "-acme", "acme--corp", "a" * 40, "acme corp"])
def test_an_org_that_is_not_a_login_is_refused(org: str) -> None:
    with pytest.raises(ConfigError, match="--org"):
        new_app_url("https://github.com", org=org, state=STATE)


@pytest.mark.parametrize(
    ("github_url", "api_url"),
    [
        pytest.param("https://github.com", "https://api.github.com", id="dotcom"),
        pytest.param("https://ghe.example.com/", "https://ghe.example.com/api/v3", id="ghes"),
    ],
)
def test_default_api_url(github_url: str, api_url: str) -> None:
    assert default_api_url(github_url) == api_url


@pytest.mark.parametrize("code", ["", "a/b", "../x", "a b", "a?b"])
def test_a_code_that_could_leave_the_path_is_refused(code: str) -> None:
    with pytest.raises(ConfigError, match="--code"):
        conversions_path(code)


def test_conversions_path() -> None:
    assert conversions_path("0123abcd") == "/app-manifests/0123abcd/conversions"


def test_start_page_posts_the_manifest_json_to_github() -> None:
    manifest = build_manifest(app_yml(), host="https://review.example.com", redirect_url="http://x/callback")
    manifest["description"] = 'quotes " and <tags> & ampersands'
    action = new_app_url("https://github.com", org=None, state=STATE)
    page = render_start_page(action_url=action, manifest=manifest)
    assert form_of(page) == (action, manifest)
    assert "<tags>" not in page and ".submit()" in page


# The conversion answer and the env file


def test_parse_conversion_reads_the_documented_fields() -> None:
    answer = {
        "id": 77,
        "slug": "review-arena-test",
        "name": "Review Arena test",
        "html_url": "https://github.com/apps/review-arena-test/",
        "pem": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
        "webhook_secret": "e3b0c44298fc1c149afbf4c8996fb924",
        "client_id": "Iv1.abc",
        "client_secret": "shh",
        "owner": {"login": "octocat"},
    }
    reg = parse_conversion(answer)
    assert reg == registration()
    assert reg.install_url == "https://github.com/apps/review-arena-test/installations/new"
    assert "shh" not in repr(reg) and "PRIVATE" not in repr(reg) and "e3b0" not in repr(reg)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param([], id="not-object"),
        pytest.param({"id": 1, "html_url": "https://github.com/apps/x"}, id="no-pem"),
        pytest.param({"id": "1", "pem": "k", "html_url": "https://github.com/apps/x"}, id="id-text"),
        pytest.param({"id": True, "pem": "k", "html_url": "https://github.com/apps/x"}, id="id-bool"),
        pytest.param({"id": 1, "pem": "k"}, id="no-html-url"),
    ],
)
def test_parse_conversion_refuses_an_incomplete_answer(answer: object) -> None:
    with pytest.raises(GitHubError):
        parse_conversion(answer)


def test_parse_conversion_without_a_webhook_secret() -> None:
    answer = {"id": 1, "pem": "k", "html_url": "https://github.com/apps/x", "webhook_secret": None}
    assert parse_conversion(answer).webhook_secret is None


def env_entries(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_render_env_writes_the_three_app_variables() -> None:
    text = render_env(
        registration(), key_path="/srv/arena/github-app.private-key.pem", api_url="https://api.github.com"
    )
    assert env_entries(text) == {
        "GITHUB_APP_ID": "77",
        "GITHUB_PRIVATE_KEY_PATH": "/srv/arena/github-app.private-key.pem",
        "GITHUB_WEBHOOK_SECRET": "e3b0c44298fc1c149afbf4c8996fb924",
    }
    assert "https://github.com/apps/review-arena-test/installations/new" in text
    assert "shh" not in text and "PRIVATE KEY-----" not in text


def test_render_env_names_the_api_off_github_com() -> None:
    text = render_env(registration(), key_path="k.pem", api_url="https://ghe.example.com/api/v3/")
    assert env_entries(text)["GITHUB_API_URL"] == "https://ghe.example.com/api/v3"


def test_render_env_without_a_webhook_secret_says_so() -> None:
    text = render_env(registration(webhook_secret=None), key_path="k.pem", api_url="https://api.github.com")
    assert env_entries(text)["GITHUB_WEBHOOK_SECRET"] == ""
    assert "no webhook secret" in text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("/srv/a-b_c.pem", "/srv/a-b_c.pem", id="plain"),
        pytest.param("/My Keys/k.pem", "'/My Keys/k.pem'", id="space"),
        pytest.param("a$b", "'a$b'", id="dollar-not-expanded"),
        pytest.param("", "", id="empty"),
    ],
)
def test_env_value(value: str, written: str) -> None:
    assert env_value(value) == written


@pytest.mark.parametrize("value", ["it's", "a\nb"])
def test_env_value_refuses_what_it_cannot_quote(value: str) -> None:
    with pytest.raises(ConfigError):
        env_value(value)
