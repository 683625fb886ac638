"""OpenAPI conformance checks: owns loading GitHub's REST description and validating bodies against it.

The subset spec (`openapi/api.github.com.subset-pr-review-bot.json` under the shared reference data) is
OpenAPI 3.0, so its schemas are converted once to JSON Schema (draft 2020-12): `nullable: true` becomes a type
list (or an `anyOf` with null), `example(s)`, `discriminator` and `x-*` keys are dropped, and every
`#/components/...` reference is rewritten to point into one `referencing` resource holding the converted
components. `_NULLABLE_FIXES` lists the few fields GitHub really sends as null where the description says
integer. Operations the bot uses that the subset lacks (`_GRAFTED_PATHS`) are copied, with the components they
reference, from the full description stored next to it. `check_response` / `check_request_body` find the
operation by matching a concrete path such as `/repos/o/r/pulls/5/files` against the spec's templates and
return a list of readable violations (empty when the body conforms). Formats: `date-time` and `uri` are checked;
others are ignored.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import referencing
from referencing.jsonschema import DRAFT202012

SPEC_ENV = "GITHUB_OPENAPI_SUBSET"
_DEFAULT_SPEC = Path("/work/shared/data/openapi/api.github.com.subset-pr-review-bot.json")
_FULL_SPEC_NAME = "octokit-openapi-23.0.2.api.github.com.json.gz"
_GRAFTED_PATHS = ("/repos/{owner}/{repo}/collaborators/{username}/permission",)
_ROOT_URI = "urn:github-openapi-subset"
_DROP_KEYS = {"example", "examples", "discriminator", "xml", "externalDocs", "deprecated"}
_MULTI_SEGMENT_PARAMS = {"path", "ref", "basehead"}
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_MAX_ERRORS = 5
# Places where GitHub's description is stricter than GitHub: outdated review comments come back with
# `line: null` and `position: null`, although the schemas type them as plain integers.
_NULLABLE_FIXES = {
    "pull-request-review-comment": ("line", "position", "start_line"),
    "review-comment": ("line", "position", "start_line"),
}


def spec_path() -> Path:
    """Where the subset spec is read from (env `GITHUB_OPENAPI_SUBSET`, else the shared data folder)."""
    override = os.environ.get(SPEC_ENV)
    if override:
        return Path(override)
    for base in [Path.cwd(), *Path(__file__).resolve().parents]:
        candidate = base / "shared" / "data" / "openapi" / _DEFAULT_SPEC.name
        if candidate.is_file():
            return candidate
    return _DEFAULT_SPEC


def to_json_schema(node: Any) -> Any:
    """Convert one OpenAPI 3.0 schema node (recursively) to JSON Schema 2020-12."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP_KEYS or key.startswith("x-") or key == "nullable":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
            out[key] = _ROOT_URI + value
        elif key in ("properties", "patternProperties", "$defs"):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        else:
            out[key] = to_json_schema(value)
    if node.get("nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"] if "null" not in types else types
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


def _refs(node: Any) -> list[str]:
    """Every `$ref` string inside a spec node."""
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
    return own + [ref for key, value in node.items() if key != "$ref" for ref in _refs(value)]


def graft_paths(spec: dict[str, Any], full_spec: Path, templates: tuple[str, ...] = _GRAFTED_PATHS) -> None:
    """Copy the path items `templates` the spec lacks from `full_spec` (gzipped JSON), with every component they
    reference directly or transitively; nothing happens when the spec has them all or `full_spec` is absent."""
    missing = [t for t in templates if t not in spec["paths"]]
    if not missing or not full_spec.is_file():
        return
    with gzip.open(full_spec, "rt", encoding="utf-8") as handle:
        full = json.load(handle)
    components = spec.setdefault("components", {})
    pending: list[Any] = []
    for template in missing:
        spec["paths"][template] = full["paths"][template]
        pending.append(full["paths"][template])
    while pending:
        for ref in _refs(pending.pop()):
            section, name = ref.split("/")[-2:]
            if name not in components.setdefault(section, {}):
                components[section][name] = full["components"][section][name]
                pending.append(components[section][name])


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = ""
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            pattern += ".+" if part[1:-1] in _MULTI_SEGMENT_PARAMS else "[^/]+"
        else:
            pattern += re.escape(part)
    return re.compile(f"^{pattern}$")


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())

    def date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(_DATE_TIME.match(value))

    def uri(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI.match(value))

    checker.checks("date-time")(date_time)
    checker.checks("uri")(uri)
    return checker


class OpenApiChecker:
    """Validates request and response bodies of concrete API calls against the subset spec."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or spec_path()
        with path.open(encoding="utf-8") as handle:
            spec = json.load(handle)
        graft_paths(spec, path.with_name(_FULL_SPEC_NAME))
        self.paths: dict[str, dict[str, Any]] = spec["paths"]
        for name, fields in _NULLABLE_FIXES.items():
            properties = spec.get("components", {}).get("schemas", {}).get(name, {}).get("properties", {})
            for field_name in fields:
                if field_name in properties:
                    properties[field_name]["nullable"] = True
        root = {"components": to_json_schema(spec.get("components", {}))}
        resource = referencing.Resource.from_contents(root, default_specification=DRAFT202012)
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resource(_ROOT_URI, resource)
        self.components: dict[str, Any] = spec.get("components", {})
        # Most specific templates (most literal characters) first, so /commits/{ref}/check-runs beats /commits/{ref}.
        ordered = sorted(self.paths, key=lambda t: -len(re.sub(r"\{[^}]+\}", "", t)))
        self._templates: list[tuple[str, re.Pattern[str]]] = [(t, _template_regex(t)) for t in ordered]
        self._format_checker = _format_checker()
        self._validators: dict[tuple[str, str, str], Callable[[Any], list[str]]] = {}

    def find_template(self, path: str) -> str | None:
        """The spec's path template matching a concrete path (query string ignored), or None."""
        path = path.split("?", 1)[0]
        for template, regex in self._templates:
            if regex.match(path):
                return template
        return None

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            section, name = node["$ref"].split("/")[-2:]
            node = self.components[section][name]
        return node

    def _operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        template = self.find_template(path)
        if template is None:
            return None
        operation = self.paths[template].get(method.lower())
        return (template, operation) if isinstance(operation, dict) else None

    def _validator(self, key: tuple[str, str, str], schema: dict[str, Any]) -> Callable[[Any], list[str]]:
        cached = self._validators.get(key)
        if cached is not None:
            return cached
        converted = to_json_schema(schema)
        validator = jsonschema.Draft202012Validator(
            converted, registry=self.registry, format_checker=self._format_checker
        )

        def validate(body: Any) -> list[str]:
            errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
            return [f"{e.json_path}: {_short(e.message)}" for e in errors[:_MAX_ERRORS]]

        self._validators[key] = validate
        return validate

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Violations of a JSON response body (statuses the operation does not list: errors vs basic-error)."""
        where = f"{method.upper()} {path.split('?', 1)[0]} -> {status}"
        found = self._operation(method, path)
        if found is None:
            return [f"{where}: no operation in the spec"]
        template, operation = found
        responses = operation.get("responses", {})
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            if status >= 400:
                schema: dict[str, Any] = {"$ref": "#/components/schemas/basic-error"}
                return [f"{where}: {m}" for m in self._validator(("error", "", ""), schema)(body)]
            return [f"{where}: status not documented for this operation"]
        content = self._deref(response).get("content", {})
        media = content.get("application/json")
        if media is None or "schema" not in media:
            if body in (None, b"", ""):
                return []
            return [f"{where}: the spec documents no JSON body for this status"]
        key = (method.lower(), template, str(status))
        return [f"{where}: {m}" for m in self._validator(key, media["schema"])(body)]

    def check_request_body(self, method: str, path: str, body: Any) -> list[str]:
        """Violations of a JSON request body (operations without a requestBody accept anything)."""
        where = f"{method.upper()} {path.split('?', 1)[0]} request"
        found = self._operation(method, path)
        if found is None:
            return [f"{where}: no operation in the spec"]
        template, operation = found
        request = operation.get("requestBody")
        if request is None:
            return []
        media = self._deref(request).get("content", {}).get("application/json")
        if media is None or "schema" not in media:
            return []
        key = (method.lower(), template, "request")
        return [f"{where}: {m}" for m in self._validator(key, media["schema"])(body)]


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


@functools.lru_cache(maxsize=1)
def default_checker() -> OpenApiChecker:
    """The process-wide checker (the spec is 2.5 MB; load and convert it once)."""
    return OpenApiChecker()


def check_response(method: str, path: str, status: int, body: Any) -> list[str]:
    """Module-level shortcut for `default_checker().check_response`."""
    return default_checker().check_response(method, path, status, body)


def check_request_body(method: str, path: str, body: Any) -> list[str]:
    """Module-level shortcut for `default_checker().check_request_body`."""
    return default_checker().check_request_body(method, path, body)
