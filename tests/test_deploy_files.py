"""The deployment files read as a deployment: ``docker-compose.yml`` runs the six services wired to each other, and
the ``Dockerfile`` builds a non-root image with a health check. (Docker itself does not run in the tests.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"web", "worker", "beat", "redis", "postgres", "flower"}
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """Instructions of the Dockerfile, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [line.strip() for line in joined.splitlines() if line.strip()]


def instructions(dockerfile: list[str], name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in dockerfile if line.split(None, 1)[0].upper() == name]


def command(service: dict[str, Any]) -> str:
    value = service.get("command", "")
    return " ".join(value) if isinstance(value, list) else str(value)


def test_the_six_services_exist(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == SERVICES


def test_web_serves_on_8000_and_waits_for_redis_and_postgres(compose: dict[str, Any]) -> None:
    web = compose["services"]["web"]
    assert command(web) == "review-arena serve --host 0.0.0.0 --port 8000"
    assert any(str(port).split(":")[-1] == "8000" for port in web["ports"])
    assert {"redis", "postgres"} <= set(web["depends_on"])


@pytest.mark.parametrize(("name", "expected"), [("worker", "review-arena worker"), ("beat", "review-arena beat")])
def test_worker_and_beat_run_from_the_same_image(compose: dict[str, Any], name: str, expected: str) -> None:
    service = compose["services"][name]
    assert command(service) == expected
    assert service["image"] == compose["services"]["web"]["image"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_the_env_file_and_the_compose_broker_and_database(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["env_file"] == ".env"
    env = service["environment"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["GITHUB_PRIVATE_KEY_PATH"] == "/run/secrets/github_app_key"
    assert service["secrets"] == ["github_app_key"]


def test_the_private_key_is_the_file_app_register_writes(compose: dict[str, Any]) -> None:
    from bot.core.app_manifest import KEY_FILE_NAME

    assert compose["secrets"]["github_app_key"]["file"] == f"./{KEY_FILE_NAME}"


def test_backing_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["redis"]["image"] == "redis:7"
    assert services["postgres"]["image"] == "postgres:16"
    volume = services["postgres"]["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data" and volume[0] in compose["volumes"]
    flower = services["flower"]
    assert flower["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert all(str(port).startswith("127.0.0.1:") for port in flower["ports"])  # Flower has no login


def test_dockerfile_builds_from_python_311_slim_and_installs_the_project(dockerfile: list[str]) -> None:
    assert instructions(dockerfile, "FROM") == ["python:3.11-slim"]
    assert any(run.startswith("pip install .") for run in instructions(dockerfile, "RUN"))
    copied = " ".join(instructions(dockerfile, "COPY"))
    for needed in ("pyproject.toml", "README.md", "prompts", "bot", "workers"):
        assert needed in copied


def test_dockerfile_runs_as_a_non_root_user(dockerfile: list[str]) -> None:
    users = instructions(dockerfile, "USER")
    assert users and users[-1] not in {"root", "0", "0:0"}


def test_dockerfile_checks_health_on_healthz_and_serves_by_default(dockerfile: list[str]) -> None:
    [healthcheck] = instructions(dockerfile, "HEALTHCHECK")
    assert "/healthz" in healthcheck and ":8000" in healthcheck
    assert instructions(dockerfile, "EXPOSE") == ["8000"]
    [cmd] = instructions(dockerfile, "CMD")
    assert cmd.startswith('["review-arena", "serve"')
