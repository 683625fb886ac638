"""The configuration schema at both levels, and the messages a bad file gets: key and line, never a traceback."""

from __future__ import annotations

import textwrap

import pytest
from pydantic import ValidationError

from bot.core.config import (
    ReviewConfig,
    Settings,
    merge_repo,
    parse_yaml,
    repo_config_from,
    settings_from,
)
from bot.errors import ConfigError

SERVER = """\
contenders:
  - name: deepseek
    label: DeepSeek V4 Pro
    dialect: deepseek
    model: deepseek-v4-pro
    api_key_env: DEEPSEEK_API_KEY
    thinking: true
    pricing: {input: 0.435, cached_input: 0.003625, output: 0.87}
  - name: openai
    label: OpenAI
    dialect: openai
    model: gpt-5.6
    base_url: https://api.openai.com/v1
    api_key_env: OPENAI_API_KEY
    reasoning_effort: medium
review:
  max_findings: 8
  exclude: ["docs/**"]
"""


def load_settings(text: str) -> Settings:
    return settings_from(parse_yaml(text, source="server.yml"), source="server.yml", text=text)


def load_repo_settings(text: str, settings: Settings | None = None) -> Settings:
    repo = repo_config_from(parse_yaml(text, source="repo.yml"), source="repo.yml", text=text)
    return merge_repo(settings or load_settings(SERVER), repo, source="repo.yml")


def error_of(load: object, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(text)  # type: ignore[operator]
    return str(info.value)


# --- the server file -------------------------------------------------------------------------------------------


def test_valid_server_file_loads() -> None:
    s = load_settings(SERVER)
    assert [c.name for c in s.contenders] == ["deepseek", "openai"]
    assert s.contenders[0].pricing.output == 0.87
    assert s.contenders[1].base_url == "https://api.openai.com/v1"
    assert (s.review.max_findings, s.review.exclude, s.review.max_chunks) == (8, ("docs/**",), 8)


def test_empty_file_is_the_defaults() -> None:
    assert load_settings("") == Settings()


def test_enabled_picks_the_active_contenders() -> None:
    s = load_settings(SERVER + "enabled: [openai]\n")
    assert [c.name for c in s.active()] == ["openai"]
    assert [c.name for c in load_settings(SERVER).active()] == ["deepseek", "openai"]


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        pytest.param(SERVER + "colour: red\n", "colour", 19, id="top-level"),
        pytest.param(
            SERVER.replace("    thinking: true\n", "    thinking: true\n    colour: red\n"),
            "contenders.0.colour",
            8,
            id="in-a-contender",
        ),
        pytest.param(SERVER + "  colour: red\n", "review.colour", 19, id="in-review"),
        pytest.param(
            SERVER.replace("output: 0.87}", "output: 0.87, reasoning: 1}"),
            "contenders.0.pricing.reasoning",
            8,
            id="in-pricing",
        ),
    ],
)
def test_unknown_key_is_named_with_its_line(text: str, key: str, line: int) -> None:
    message = error_of(load_settings, text)
    assert f"server.yml: key '{key}' (line {line}): Extra inputs are not permitted" in message


@pytest.mark.parametrize(
    ("old", "new", "key", "line"),
    [
        pytest.param("name: openai", "name: OpenAI!", "contenders.1.name", 9, id="bad-name"),
        pytest.param("dialect: openai", "dialect: anthropic", "contenders.1.dialect", 11, id="unknown-dialect"),
        pytest.param("max_findings: 8", "max_findings: lots", "review.max_findings", 17, id="not-a-number"),
        pytest.param("max_findings: 8", "max_findings: 500", "review.max_findings", 17, id="out-of-range"),
        pytest.param("output: 0.87}", "output: -1}", "contenders.0.pricing.output", 8, id="negative-price"),
        pytest.param(
            "api_key_env: OPENAI_API_KEY",
            "api_key_env: sk-live-123",
            "contenders.1.api_key_env",
            14,
            id="key-value-not-name",
        ),
    ],
)
def test_bad_value_is_named_with_its_line(old: str, new: str, key: str, line: int) -> None:
    assert old in SERVER
    assert f"key '{key}' (line {line})" in error_of(load_settings, SERVER.replace(old, new))


def test_missing_required_key_is_named() -> None:
    assert "key 'contenders.1.model'" in error_of(load_settings, SERVER.replace("    model: gpt-5.6\n", ""))


def test_every_problem_is_reported_once_per_line() -> None:
    text = SERVER.replace("max_findings: 8", "max_findings: lots") + "colour: red\n"
    lines = error_of(load_settings, text).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("server.yml: key '") for line in lines)


def test_repeated_contender_names_are_refused() -> None:
    assert "contender names repeat" in error_of(load_settings, SERVER.replace("name: openai", "name: deepseek"))


def test_enabled_must_name_known_contenders() -> None:
    assert "unknown contenders ['qwen']" in error_of(load_settings, SERVER + "enabled: [qwen]\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("contenders: [\n  {name: a},\n", 3, id="unclosed-bracket"),
        pytest.param("review:\n  nits: true\n bad: indent\n", 3, id="bad-indent"),
        pytest.param("a: 1\n  b: 2\n", 2, id="mapping-in-scalar"),
        pytest.param("review: {nits: true\n", 2, id="unclosed-brace"),
    ],
)
def test_invalid_yaml_names_the_line(text: str, line: int) -> None:
    message = error_of(lambda t: parse_yaml(t, source="server.yml"), text)
    assert message.startswith(f"server.yml line {line}: not valid YAML")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    assert "the top level must be a mapping" in error_of(lambda t: parse_yaml(t, source="x.yml"), text)


def test_settings_are_frozen() -> None:
    s = load_settings(SERVER)
    with pytest.raises(ValidationError):
        s.review.max_findings = 3  # type: ignore[misc]


def test_json_schema_forbids_unknown_keys_for_editors() -> None:
    schema = Settings.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["ContenderConfig"]["additionalProperties"] is False


# --- the repository file ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("base_url: https://evil.example/v1\n", "base_url", id="base_url"),
        pytest.param("api_key_env: GITHUB_TOKEN\n", "api_key_env", id="api_key_env"),
        pytest.param("pricing: {input: 0}\n", "pricing", id="pricing"),
        pytest.param("contenders:\n  - name: mine\n", "contenders", id="contenders"),
        pytest.param("review:\n  pricing: {input: 0}\n", "review.pricing", id="pricing-in-review"),
        pytest.param("review:\n  base_url: https://evil.example\n", "review.base_url", id="base_url-in-review"),
    ],
)
def test_repo_file_cannot_set_endpoints_keys_or_prices(text: str, key: str) -> None:
    message = error_of(load_repo_settings, text)
    assert f"repo.yml: key '{key}'" in message
    assert "Extra inputs are not permitted" in message


def test_repo_file_names_the_line_of_a_bad_review_key() -> None:
    text = "enabled: [openai]\nreview:\n  nits: true\n  colour: red\n"
    assert "repo.yml: key 'review.colour' (line 4)" in error_of(load_repo_settings, text)


def test_repo_file_with_a_non_text_key_is_a_config_error() -> None:
    assert "repo.yml: key 'review" in error_of(load_repo_settings, "review:\n  1: 2\n")


def test_repo_file_chooses_contenders() -> None:
    assert [c.name for c in load_repo_settings("enabled: [deepseek]\n").active()] == ["deepseek"]


def test_repo_file_without_choice_keeps_the_server_choice() -> None:
    server = load_settings(SERVER + "enabled: [openai]\n")
    assert [c.name for c in load_repo_settings("drafts: true\n", server).active()] == ["openai"]


def test_repo_file_naming_an_unknown_contender_is_refused() -> None:
    message = error_of(load_repo_settings, "enabled: [deepseek, claude]\n")
    assert message == "repo.yml: key 'enabled' names unknown contenders ['claude']; known: ['deepseek', 'openai']"


def test_repo_review_overrides_only_the_keys_it_sets() -> None:
    s = load_repo_settings("review:\n  nits: true\n  include: ['src/**']\n")
    assert (s.review.nits, s.review.include) == (True, ("src/**",))
    assert (s.review.max_findings, s.review.exclude) == (8, ("docs/**",))


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        pytest.param("review:\n  max_chunks: 2.0\n", "max_chunks", 2, id="float-for-int"),
        pytest.param("review:\n  snap_distance: '4'\n", "snap_distance", 4, id="string-for-int"),
        pytest.param("review:\n  exclude: ['a', 'b']\n", "exclude", ("a", "b"), id="list-for-tuple"),
    ],
)
def test_repo_review_values_arrive_in_their_declared_types(text: str, field: str, value: object) -> None:
    got = getattr(load_repo_settings(text).review, field)
    assert (got, type(got)) == (value, type(value))


def test_merged_review_is_still_a_valid_review_config() -> None:
    s = load_repo_settings("review:\n  max_chunks: 3\n  nits: yes\n")
    assert ReviewConfig.model_validate(s.review.model_dump()) == s.review


def test_drafts_default_off() -> None:
    repo = repo_config_from({}, source="repo.yml")
    assert (repo.enabled, repo.review, repo.drafts) == ((), {}, False)


def test_messages_carry_no_traceback_or_pydantic_links() -> None:
    text = textwrap.dedent(
        """\
        review:
          max_findings: 0
          snap_distance: far
        """
    )
    message = error_of(load_repo_settings, text)
    assert "Traceback" not in message
    assert "errors.pydantic.dev" not in message
