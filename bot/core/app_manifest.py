"""The GitHub App manifest and the texts of the manifest flow: the manifest, the local start page and the env file.
Pure: text and values in, values out; ``bot/app_register.py`` serves the page, calls GitHub and writes the files.

The flow (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest): a form POSTs
the manifest JSON as the ``manifest`` field to ``/settings/apps/new?state=…`` (or
``/organizations/{org}/settings/apps/new``); GitHub redirects the browser to ``redirect_url`` with ``code`` and the
same ``state``; ``POST /app-manifests/{code}/conversions`` (no authentication; a code works once, for one hour)
answers the App's ``id``, ``slug``, ``pem``, ``webhook_secret``, ``client_id``, ``client_secret`` and ``html_url``.
"""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.errors import ConfigError, GitHubError

WEBHOOK_PATH = "/api/github/webhooks"  # the receiver's path (bot/webhook.py), Probot's default
DEFAULT_GITHUB_URL = "https://github.com"
DEFAULT_API_URL = "https://api.github.com"
PLACEHOLDER = "YOUR-HOST"
KEY_FILE_NAME = "github-app.private-key.pem"
ACCESS_LEVELS = frozenset({"read", "write"})

# The manifest as app.yml holds it; used when app.yml is not beside the package (an installed wheel).
# tests/test_app_manifest.py keeps the two equal.
DEFAULT_MANIFEST: Mapping[str, Any] = {
    "name": "Review Arena",
    "url": f"https://{PLACEHOLDER}",
    "description": "Reviews pull requests with several language models at once and labels every comment with its "
    "model.",
    "public": False,
    "hook_attributes": {"url": f"https://{PLACEHOLDER}{WEBHOOK_PATH}", "active": True},
    "default_permissions": {"pull_requests": "write", "contents": "read", "issues": "write", "metadata": "read"},
    "default_events": ["pull_request", "issue_comment", "pull_request_review_comment", "pull_request_review_thread"],
}

_BASE_URL = re.compile(r"^(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[^\s?#]*)?$")
# GitHub logins: alphanumerics and single inner hyphens, at most 39 characters.
_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_PLAIN_ENV_VALUE = re.compile(r"^[A-Za-z0-9_./:@+-]*$")


@dataclass(frozen=True, slots=True)
class AppRegistration:
    """What the conversion answered: the App's identity and its one-time secrets."""

    app_id: int
    slug: str
    name: str
    html_url: str
    pem: str = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)

    @property
    def install_url(self) -> str:
        return f"{self.html_url.rstrip('/')}/installations/new"


def parse_manifest(text: str, *, source: str) -> dict[str, Any]:
    """Read a manifest YAML (``app.yml``) and check the keys the flow relies on; errors name the key."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a manifest is a mapping of keys (name, url, hook_attributes, ...)")
    for key in ("name", "url"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ConfigError(f"{source}: key '{key}' must be a non-empty string")
    hook = data.get("hook_attributes")
    if not isinstance(hook, dict) or not isinstance(hook.get("url"), str):
        raise ConfigError(f"{source}: key 'hook_attributes.url' must be a string")
    permissions = data.get("default_permissions")
    if not isinstance(permissions, dict) or not all(
        isinstance(k, str) and v in ACCESS_LEVELS for k, v in permissions.items()
    ):
        raise ConfigError(f"{source}: key 'default_permissions' must map permission names to 'read' or 'write'")
    events = data.get("default_events")
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ConfigError(f"{source}: key 'default_events' must be a list of event names")
    return data


def base_url(url: str, *, option: str) -> str:
    """``url`` without a trailing slash, if it is an http(s) URL with no query or fragment."""
    url = url.strip().rstrip("/")
    if not _BASE_URL.match(url) or PLACEHOLDER in url:
        raise ConfigError(f"{option} must be an http(s) URL such as https://review.example.com, not {url!r}")
    return url


def default_api_url(github_url: str) -> str:
    """The REST API root for a GitHub web URL: api.github.com, or ``/api/v3`` on GitHub Enterprise Server."""
    root = base_url(github_url, option="--github-url")
    return DEFAULT_API_URL if root == DEFAULT_GITHUB_URL else f"{root}/api/v3"


def build_manifest(base: Mapping[str, Any], *, host: str, redirect_url: str, name: str | None = None) -> dict[str, Any]:
    """The manifest to POST: webhooks go to ``host`` + :data:`WEBHOOK_PATH`, the browser comes back to
    ``redirect_url``; a homepage still holding the placeholder becomes ``host``."""
    root = base_url(host, option="--host")
    manifest = copy.deepcopy(dict(base))
    manifest["hook_attributes"] = {**manifest.get("hook_attributes", {}), "url": root + WEBHOOK_PATH}
    if PLACEHOLDER in str(manifest.get("url", PLACEHOLDER)):
        manifest["url"] = root
    manifest["redirect_url"] = redirect_url
    if name:
        manifest["name"] = name
    return manifest


def new_app_url(github_url: str, *, org: str | None, state: str) -> str:
    """Where the form POSTs the manifest: the user's or the organization's "new GitHub App" page."""
    root = base_url(github_url, option="--github-url")
    if not _TOKEN.match(state):
        raise ValueError("state must be URL-safe")
    if org is None:
        return f"{root}/settings/apps/new?state={state}"
    if not _ORG.match(org):
        raise ConfigError(f"--org must be an organization login (letters, digits, single hyphens), not {org!r}")
    return f"{root}/organizations/{org}/settings/apps/new?state={state}"


def conversions_path(code: str) -> str:
    """The REST path that turns a manifest ``code`` into the App's credentials."""
    if not _TOKEN.match(code):
        raise ConfigError(f"--code must be the code GitHub put in the redirect URL, not {code!r}")
    return f"/app-manifests/{code}/conversions"


def render_start_page(*, action_url: str, manifest: Mapping[str, Any]) -> str:
    """The local page that POSTs the manifest to GitHub as soon as it loads (a button if scripts are off)."""
    manifest_json = json.dumps(manifest, indent=2)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register Review Arena</title></head>
<body>
<h1>Register the Review Arena GitHub App</h1>
<form id="register" method="post" action="{html.escape(action_url)}">
<input type="hidden" name="manifest" value="{html.escape(json.dumps(manifest))}">
<p>Sending you to GitHub… <button type="submit">Continue to GitHub</button></p>
</form>
<details><summary>The manifest</summary><pre>{html.escape(manifest_json)}</pre></details>
<script>document.getElementById("register").submit();</script>
</body></html>
"""


def render_result_page(*, title: str, lines: list[str]) -> str:
    """A small page for the end of the flow; ``lines`` are escaped."""
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>
<body><h1>{html.escape(title)}</h1>
{body}
</body></html>
"""


def parse_conversion(data: object) -> AppRegistration:
    """Read the ``POST /app-manifests/{code}/conversions`` answer."""
    if not isinstance(data, dict):
        raise GitHubError("the manifest conversion answered something other than a JSON object")
    app_id, pem, html_url = data.get("id"), data.get("pem"), data.get("html_url")
    if not isinstance(app_id, int) or isinstance(app_id, bool) or not isinstance(pem, str) or not pem.strip():
        raise GitHubError("the manifest conversion answer lacks the App's 'id' or 'pem'")
    if not isinstance(html_url, str) or not html_url.startswith(("https://", "http://")):
        raise GitHubError("the manifest conversion answer lacks the App's 'html_url'")
    secret = data.get("webhook_secret")
    return AppRegistration(
        app_id=app_id,
        slug=_text(data.get("slug")),
        name=_text(data.get("name")),
        html_url=html_url.rstrip("/"),
        pem=pem,
        webhook_secret=secret if isinstance(secret, str) and secret else None,
        client_id=_text(data.get("client_id")) or None,
        client_secret=_text(data.get("client_secret")) or None,
    )


def render_env(registration: AppRegistration, *, key_path: str, api_url: str) -> str:
    """The env file: the App's id, key path and webhook secret (plus ``GITHUB_API_URL`` off github.com), and
    commented hints for the rest of the deployment's variables."""
    lines = [
        f"# Review Arena GitHub App {registration.name or registration.slug} (id {registration.app_id})",
        f"# {registration.html_url}",
        f"# Install it on repositories: {registration.install_url}",
        f"GITHUB_APP_ID={registration.app_id}",
        f"GITHUB_PRIVATE_KEY_PATH={env_value(key_path)}",
    ]
    if registration.webhook_secret is None:
        lines.append("# GitHub returned no webhook secret: set one in the App's settings and here.")
    lines.append(f"GITHUB_WEBHOOK_SECRET={env_value(registration.webhook_secret or '')}")
    if api_url.rstrip("/") != DEFAULT_API_URL:
        lines.append(f"GITHUB_API_URL={env_value(api_url.rstrip('/'))}")
    lines += [
        "",
        "# Model keys, one per contender's api_key_env:",
        "# DEEPSEEK_API_KEY=",
        "# OPENAI_API_KEY=",
        "# Broker and database (docker-compose.yml sets both; `review-arena up` embeds a broker without REDIS_URL):",
        "# REDIS_URL=redis://127.0.0.1:6379/0",
        "# DATABASE_URL=postgresql+psycopg://review_arena:review_arena@127.0.0.1:5432/review_arena",
        "# REVIEW_ARENA_CONFIG=/etc/review-arena/config.yml",
    ]
    return "\n".join(lines) + "\n"


def env_value(value: str) -> str:
    """``value`` as docker compose and POSIX shells read it: bare when plain, else single-quoted (no expansion)."""
    if _PLAIN_ENV_VALUE.match(value):
        return value
    if "'" in value or "\n" in value or "\r" in value:
        raise ConfigError(f"cannot write {value!r} to an env file (a quote or a line break)")
    return f"'{value}'"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
