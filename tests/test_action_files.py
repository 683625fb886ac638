"""Specification of the GitHub Action's files: ``action.yml``, the example workflows in ``examples/workflows/`` and
the project's own ``.github/workflows/``. They validate against GitHub's JSON Schemas (as vendored by
check-jsonschema), and they keep the safety rules the README promises: actions pinned by commit, inputs reaching
scripts only through ``env:``, least-privilege tokens, and no pull request code run where secrets are present.
(GitHub Actions itself does not run in the tests; the action's run step is run by bash with a stand-in command.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
EXAMPLES = ROOT / "examples" / "workflows"
OWN_WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOWS = sorted([*EXAMPLES.glob("*.yml"), *OWN_WORKFLOWS.glob("*.yml")])
PLACEHOLDER = "your-org/review-arena@v1"
# The environment `review-arena action` reads its inputs from (bot/cli_action.py).
COMMAND_ENV = {
    "REVIEW_ARENA_MODE",
    "REVIEW_ARENA_CONFIG",
    "REVIEW_ARENA_CONTENDERS",
    "REVIEW_ARENA_MAX_COMMENTS",
    "REVIEW_ARENA_FAIL_ON_ERROR",
    "REVIEW_ARENA_RESULT",
}
OPTIONAL_ENV = ("REVIEW_ARENA_CONFIG", "REVIEW_ARENA_CONTENDERS", "REVIEW_ARENA_MAX_COMMENTS")
# Triggers that run a workflow from the base branch with the repository's secrets, whatever the pull request holds.
PRIVILEGED_TRIGGERS = {"pull_request_target", "issue_comment"}
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


class GitHubYamlLoader(yaml.SafeLoader):
    """YAML as GitHub reads it: only true/false are booleans, so ``on:`` stays a key (PyYAML's YAML 1.1 reads True)."""


GitHubYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
GitHubYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=GitHubYamlLoader)
    return data


def steps_of(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every step of an action (its composite steps) or of a workflow (every job's steps)."""
    if "runs" in document:
        yield from document["runs"].get("steps", [])
    for job in document.get("jobs", {}).values():
        yield from job.get("steps", [])


def strings_of(value: Any) -> Iterator[str]:
    """Every string value in a parsed document, keys included; comments are not part of it."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings_of(key)
            yield from strings_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item)


def triggers(workflow: Mapping[str, Any]) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return load(ACTION)


@pytest.fixture(scope="module")
def run_step(action: dict[str, Any]) -> dict[str, Any]:
    (step,) = [step for step in action["runs"]["steps"] if step.get("id") == "run"]
    return step


def example(name: str) -> dict[str, Any]:
    return load(EXAMPLES / name)


def ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(ROOT)) for path in paths]


# ---- GitHub's schemas ---------------------------------------------------------------------------------------


def test_the_workflows_to_check_are_all_there() -> None:
    names = set(ids(WORKFLOWS))
    assert {
        "examples/workflows/review.yml",
        "examples/workflows/review-pull-request-target.yml",
        "examples/workflows/review-command.yml",
        "examples/workflows/stats.yml",
        ".github/workflows/ci.yml",
    } <= names


def test_action_metadata_validates_against_githubs_schema() -> None:
    result = check_jsonschema("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids(WORKFLOWS))
def test_workflow_validates_against_githubs_schema(path: Path) -> None:
    result = check_jsonschema("vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_composite_run_step_without_a_shell(tmp_path: Path) -> None:
    broken = tmp_path / "action.yml"
    broken.write_text(ACTION.read_text(encoding="utf-8").replace("      shell: bash\n", ""), encoding="utf-8")
    assert check_jsonschema("vendor.github-actions", broken).returncode != 0


# ---- action.yml: interface ----------------------------------------------------------------------------------


def test_action_is_composite_and_branded(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    assert action["name"] and action["description"] and action["author"]
    assert set(action["branding"]) == {"icon", "color"}


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("mode", "review"),
        ("config", ""),
        ("contenders", ""),
        ("max-comments", ""),
        ("fail-on-error", "false"),
        ("python-version", "3.12"),
    ],
    ids=lambda value: value or "empty",
)
def test_input_and_its_default(action: dict[str, Any], name: str, default: str) -> None:
    assert action["inputs"][name]["default"] == default
    assert action["inputs"][name]["description"]


def test_api_keys_are_not_inputs(action: dict[str, Any]) -> None:
    assert set(action["inputs"]) == {"mode", "config", "contenders", "max-comments", "fail-on-error", "python-version"}


def test_each_command_input_reaches_the_command_as_its_environment_variable(
    action: dict[str, Any], run_step: dict[str, Any]
) -> None:
    env = run_step["env"]
    for name in set(action["inputs"]) - {"python-version"}:
        variable = "REVIEW_ARENA_" + name.upper().replace("-", "_")
        assert EXPRESSION.fullmatch(env[variable]).group(1).strip() == f"inputs.{name}"  # type: ignore[union-attr]
    assert {key for key in env if key.startswith("REVIEW_ARENA_")} == COMMAND_ENV


def test_the_action_sets_exactly_the_variables_the_command_reads(run_step: dict[str, Any]) -> None:
    source = (ROOT / "bot" / "cli_action.py").read_text(encoding="utf-8")
    read = set(re.findall(r"[\"'](REVIEW_ARENA_[A-Z_]+)[\"']", source))
    assert read == COMMAND_ENV
    assert {key for key in run_step["env"] if key.startswith("REVIEW_ARENA_")} == read


def test_outputs_are_the_run_steps_outputs(action: dict[str, Any], run_step: dict[str, Any]) -> None:
    assert set(action["outputs"]) == {"comments", "cost", "result"}
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.{run_step['id']}.outputs.{name} }}}}"
        assert output["description"]


def test_the_run_step_runs_the_command_from_the_actions_own_virtualenv(run_step: dict[str, Any]) -> None:
    assert run_step["run"].rstrip().endswith('"$ARENA_VENV/bin/review-arena" action')
    assert run_step["env"]["ARENA_VENV"] == "${{ runner.temp }}/review-arena-venv"


# ---- action.yml: how it installs ----------------------------------------------------------------------------


def test_setup_python_leaves_the_jobs_python_alone(action: dict[str, Any]) -> None:
    (setup,) = [step for step in steps_of(action) if step.get("uses", "").startswith("actions/setup-python@")]
    assert str(setup["with"]["update-environment"]).lower() == "false"
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"


def test_the_virtualenv_is_made_with_that_python_and_installs_the_action_itself(action: dict[str, Any]) -> None:
    (setup,) = [step for step in steps_of(action) if step.get("uses", "").startswith("actions/setup-python@")]
    (install,) = [step for step in steps_of(action) if step.get("id") == "install"]
    assert install["env"]["ARENA_PYTHON"] == f"${{{{ steps.{setup['id']}.outputs.python-path }}}}"
    assert install["env"]["ARENA_VENV"] == "${{ runner.temp }}/review-arena-venv"
    assert '"$ARENA_PYTHON" -m venv "$ARENA_VENV"' in install["run"]
    assert 'pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in install["run"]


def test_every_run_step_of_the_action_says_bash_and_parses(action: dict[str, Any]) -> None:
    scripts = [step for step in steps_of(action) if "run" in step]
    assert len(scripts) == 2
    for step in scripts:
        assert step["shell"] == "bash"
        parsed = subprocess.run(["bash", "-n"], input=step["run"], capture_output=True, text=True, check=False)
        assert parsed.returncode == 0, parsed.stderr


def run_the_run_step(run_step: dict[str, Any], tmp_path: Path, inputs: Mapping[str, str]) -> dict[str, str]:
    """Run the step's script with bash as the runner would, ``review-arena`` replaced by a script that records the
    environment it was given; return that environment."""
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    seen = tmp_path / "seen.env"
    fake = venv_bin / "review-arena"
    fake.write_text(f'#!/usr/bin/env bash\n[ "$1" = action ] && env -0 > "{seen}"\n', encoding="utf-8")
    fake.chmod(0o755)
    values = {f"inputs.{name}": value for name, value in inputs.items()}
    values |= {"runner.temp": str(tmp_path), "env.GITHUB_TOKEN || github.token": "job-token"}
    env = {key: EXPRESSION.sub(lambda m: values[m.group(1).strip()], value) for key, value in run_step["env"].items()}
    env["ARENA_VENV"] = str(tmp_path / "venv")
    env["PATH"] = os.environ["PATH"]
    subprocess.run(["bash", "-e", "-c", run_step["run"]], env=env, check=True, timeout=30)
    pairs = (item.split("=", 1) for item in seen.read_text(encoding="utf-8").split("\0") if item)
    return dict(pairs)


def test_given_inputs_reach_the_command_as_given(run_step: dict[str, Any], tmp_path: Path) -> None:
    inputs = {"mode": "stats", "config": "arena.yml", "contenders": "deepseek", "max-comments": "5"}
    seen = run_the_run_step(run_step, tmp_path, inputs | {"fail-on-error": "true"})
    assert seen["REVIEW_ARENA_MODE"] == "stats"
    assert seen["REVIEW_ARENA_CONFIG"] == "arena.yml"
    assert seen["REVIEW_ARENA_CONTENDERS"] == "deepseek"
    assert seen["REVIEW_ARENA_MAX_COMMENTS"] == "5"
    assert seen["REVIEW_ARENA_FAIL_ON_ERROR"] == "true"
    assert seen["REVIEW_ARENA_RESULT"] == f"{tmp_path}/review-arena-result.json"
    assert seen["GITHUB_TOKEN"] == "job-token"


def test_empty_optional_inputs_reach_the_command_unset(run_step: dict[str, Any], tmp_path: Path) -> None:
    inputs = {"mode": "review", "config": "", "contenders": "", "max-comments": "", "fail-on-error": "false"}
    seen = run_the_run_step(run_step, tmp_path, inputs)
    assert not set(OPTIONAL_ENV) & set(seen)
    assert seen["REVIEW_ARENA_MODE"] == "review"


def test_an_input_with_shell_syntax_stays_data(run_step: dict[str, Any], tmp_path: Path) -> None:
    hostile = '"; touch pwned; echo "$(touch pwned2)`touch pwned3`'
    inputs = {"mode": "review", "config": "", "contenders": hostile, "max-comments": "", "fail-on-error": "false"}
    seen = run_the_run_step(run_step, tmp_path, inputs)
    assert seen["REVIEW_ARENA_CONTENDERS"] == hostile
    assert not list(Path.cwd().glob("pwned*")) and not list(tmp_path.glob("pwned*"))


# ---- every file: the safety rules ---------------------------------------------------------------------------


PINNED = [ACTION, *OWN_WORKFLOWS.glob("*.yml")]


@pytest.mark.parametrize("path", PINNED, ids=ids(PINNED))
def test_every_action_used_is_pinned_to_a_commit_with_its_version_named(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    uses = [step["uses"] for step in steps_of(load(path)) if "uses" in step]
    assert uses
    for ref in uses:
        assert SHA_PIN.match(ref), f"{ref} is not pinned to a full commit SHA"
        assert re.search(rf"uses: {re.escape(ref)} # v\d+\.\d+\.\d+\n", text), f"{ref} has no `# vX.Y.Z` comment"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yml")), ids=ids(sorted(EXAMPLES.glob("*.yml"))))
def test_examples_use_the_placeholder_action_and_pin_everything_else(path: Path) -> None:
    uses = [step["uses"] for step in steps_of(load(path)) if "uses" in step]
    assert PLACEHOLDER in uses
    assert all(ref == PLACEHOLDER or SHA_PIN.match(ref) for ref in uses)


def test_one_action_is_pinned_to_one_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in [ACTION, *WORKFLOWS]:
        for step in steps_of(load(path)):
            name, _, ref = step.get("uses", "@").partition("@")
            if SHA_PIN.match(step.get("uses", "")):
                pins.setdefault(name, set()).add(ref)
    assert pins and all(len(refs) == 1 for refs in pins.values()), pins


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=ids([ACTION, *WORKFLOWS]))
def test_no_expression_is_spliced_into_a_script(path: Path) -> None:
    for step in steps_of(load(path)):
        if "run" in step:
            assert "${{" not in step["run"], f"step {step.get('name') or step.get('id')} splices an expression"


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids(WORKFLOWS))
def test_every_workflow_states_least_privilege_permissions(path: Path) -> None:
    workflow = load(path)
    jobs = workflow["jobs"].values()
    assert "permissions" in workflow or all("permissions" in job for job in jobs)
    for permissions in [workflow.get("permissions"), *(job.get("permissions") for job in jobs)]:
        if permissions is None:
            continue
        assert isinstance(permissions, dict), f"{permissions!r} grants a blanket scope"
        assert permissions.get("contents", "read") == "read"


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids(WORKFLOWS))
def test_privileged_workflows_never_check_out_or_name_the_pull_requests_head(path: Path) -> None:
    workflow = load(path)
    if not triggers(workflow) & PRIVILEGED_TRIGGERS:
        return
    for step in steps_of(workflow):
        assert not step.get("uses", "").startswith("actions/checkout@")
    assert not any("github.event.pull_request.head" in text for text in strings_of(workflow))


# ---- the examples -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "trigger", "permissions"),
    [
        ("review.yml", {"pull_request"}, {"contents": "read", "pull-requests": "write"}),
        (
            "review-pull-request-target.yml",
            {"pull_request_target"},
            {"contents": "read", "pull-requests": "write"},
        ),
        (
            "review-command.yml",
            {"issue_comment"},
            {"contents": "read", "pull-requests": "write", "issues": "write"},
        ),
        ("stats.yml", {"schedule", "workflow_dispatch"}, {"contents": "read", "pull-requests": "read"}),
    ],
    ids=["review", "pull_request_target", "command", "stats"],
)
def test_example_triggers_and_permissions(name: str, trigger: set[str], permissions: dict[str, str]) -> None:
    workflow = example(name)
    assert triggers(workflow) == trigger
    assert workflow["permissions"] == permissions


def test_the_pull_request_target_example_has_no_checkout_at_all() -> None:
    text = (EXAMPLES / "review-pull-request-target.yml").read_text(encoding="utf-8")
    assert not any(
        "actions/checkout" in step.get("uses", "") for step in steps_of(example("review-pull-request-target.yml"))
    )
    assert not re.search(r"ref:\s*\$\{\{\s*github\.event\.pull_request\.head", text)


def test_the_pull_request_target_example_reviews_only_trusted_authors_by_itself() -> None:
    workflow = example("review-pull-request-target.yml")
    (job,) = workflow["jobs"].values()
    assert job["if"] == (
        'contains(fromJSON(\'["OWNER", "MEMBER", "COLLABORATOR"]\'), github.event.pull_request.author_association)'
    )


@pytest.mark.parametrize(
    ("name", "event"), [("review.yml", "pull_request"), ("review-pull-request-target.yml", "pull_request_target")]
)
def test_review_examples_trigger_on_the_actions_the_command_reviews(name: str, event: str) -> None:
    """Any other action (labeled, edited, …) would start a job only for the command to skip it."""
    from bot.core.webhooks import REVIEW_ACTIONS

    assert set(example(name)["on"][event]["types"]) == REVIEW_ACTIONS


def test_the_command_example_answers_only_trusted_commenters_on_pull_requests() -> None:
    (job,) = example("review-command.yml")["jobs"].values()
    assert "github.event.issue.pull_request" in job["if"]
    assert "startsWith(github.event.comment.body, '/arena review')" in job["if"]
    assert "github.event.comment.author_association" in job["if"]


@pytest.mark.parametrize("name", ["review.yml", "review-pull-request-target.yml", "review-command.yml"])
def test_review_examples_pass_the_model_keys_from_secrets(name: str) -> None:
    (step,) = [step for step in steps_of(example(name)) if step.get("uses") == PLACEHOLDER]
    assert step["env"] == {
        "DEEPSEEK_API_KEY": "${{ secrets.DEEPSEEK_API_KEY }}",
        "OPENAI_API_KEY": "${{ secrets.OPENAI_API_KEY }}",
    }


def test_the_stats_example_runs_daily_in_stats_mode_with_no_secret() -> None:
    workflow = example("stats.yml")
    assert len(workflow["on"]["schedule"][0]["cron"].split()) == 5
    (step,) = [step for step in steps_of(workflow) if step.get("uses") == PLACEHOLDER]
    assert step["with"]["mode"] == "stats"
    assert not any("secrets." in text for text in strings_of(workflow))


# ---- the project's own CI -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load(OWN_WORKFLOWS / "ci.yml")


def test_ci_runs_on_push_and_pull_request(ci: dict[str, Any]) -> None:
    assert triggers(ci) == {"push", "pull_request"}
    assert ci["permissions"] == {"contents": "read"}


def test_ci_runs_the_same_command_as_every_other_ci(ci: dict[str, Any]) -> None:
    (job,) = ci["jobs"].values()
    assert [step["run"] for step in job["steps"] if "run" in step][-1] == "bash .ci/run"


def test_ci_services_are_redis_and_postgres_on_the_tests_ports(ci: dict[str, Any]) -> None:
    (job,) = ci["jobs"].values()
    redis, postgres = job["services"]["redis"], job["services"]["postgres"]
    assert redis["image"] == "redis:7" and redis["ports"] == ["6379:6379"]
    assert postgres["image"] == "postgres:15" and postgres["ports"] == ["5432:5432"]
    assert postgres["env"] == {"POSTGRES_HOST_AUTH_METHOD": "trust", "POSTGRES_DB": "test"}
    assert "--health-cmd" in redis["options"] and "--health-cmd" in postgres["options"]


def test_ci_installs_what_the_browser_test_and_ci_run_need(ci: dict[str, Any]) -> None:
    (job,) = ci["jobs"].values()
    scripts = "\n".join(step["run"] for step in job["steps"] if "run" in step)
    for package in ("chromium", "chromium-driver", "redis-tools", "postgresql-client"):
        assert re.search(rf"\b{package}\b", scripts)


def test_the_readmes_smallest_workflow_validates(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use as a GitHub Action\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    workflow = tmp_path / "smallest.yml"
    workflow.write_text(block, encoding="utf-8")
    result = check_jsonschema("vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    assert load(workflow)["permissions"] == {"contents": "read", "pull-requests": "write"}
