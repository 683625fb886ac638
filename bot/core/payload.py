"""Reading fields out of GitHub webhook payloads, checked for presence and type. Pure.

A missing or mistyped field the decision needs is a :class:`WebhookError` with status 400, naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from bot.errors import WebhookError


def repository_of(payload: Mapping[str, Any]) -> tuple[str, str]:
    return payload_field(payload, "repository", "owner", "login", kind=str), payload_field(
        payload, "repository", "name", kind=str
    )


def installation_of(payload: Mapping[str, Any]) -> int | None:
    installation = payload.get("installation")
    if installation is None:
        return None
    return payload_field(payload, "installation", "id", kind=int)


_MISSING = object()
T = TypeVar("T")


def payload_field(payload: Mapping[str, Any], *path: str, kind: type[T], default: T | object = _MISSING) -> T:
    """``payload[path[0]][path[1]]...`` checked to be a ``kind``; a missing or mistyped field is a 400."""
    value: object = payload
    for key in path:
        value = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
    if value is _MISSING or value is None:
        if default is not _MISSING:
            return cast(T, default)
        raise WebhookError(f"payload field {'.'.join(path)} is missing", status=400)
    # bool is an int in Python; an id or number must not be a JSON true/false.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WebhookError(f"payload field {'.'.join(path)} must be {kind.__name__}", status=400)
    return value
