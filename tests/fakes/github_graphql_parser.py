"""GraphQL query parsing for the fake GitHub: owns turning a query document into selection trees.

Handles what clients send in practice: operations (`query`/`mutation`, optionally named) with variable
definitions and defaults, aliases, arguments (variables, literals, lists, input objects), directives, named
fragments and inline fragments. Commas and comments are ignored, as in the GraphQL grammar.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r'(?P<skip>[\s,\ufeff]+|#[^\n]*)|(?P<block>"""(?:[^"\\]|\\.|"(?!""))*""")|(?P<string>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[_A-Za-z][_0-9A-Za-z]*)|(?P<punct>\.\.\.|[!$():=@\[\]{}|&])"
)


class GraphQLError(Exception):
    """A request-level error (bad syntax or unknown fields): the answer has `errors` and no `data`."""


@dataclass
class Field:
    name: str
    alias: str
    args: dict[str, Any]
    selections: list[Any] | None
    directives: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Fragment:
    type_condition: str | None
    selections: list[Any]
    spread: str | None = None  # named fragment spread (selections resolved at execution)
    directives: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Var:
    name: str


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                raise GraphQLError(f"Parse error on {text[pos : pos + 10]!r}")
            pos = match.end()
            kind = match.lastgroup or ""
            if kind != "skip":
                self.tokens.append((kind, match.group()))
        self.pos = 0

    def peek(self, value: str | None = None) -> bool:
        return self.pos < len(self.tokens) and (value is None or self.tokens[self.pos][1] == value)

    def take(self, value: str | None = None) -> str:
        if not self.peek(value):
            got = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "end of query"
            raise GraphQLError(f'Parse error on "{got}"' + (f" (expected {value!r})" if value else ""))
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def document(self) -> tuple[list[tuple[str, dict[str, Any], list[Any]]], dict[str, Fragment]]:
        operations: list[tuple[str, dict[str, Any], list[Any]]] = []
        fragments: dict[str, Fragment] = {}
        while self.peek():
            if self.peek("fragment"):
                self.take()
                name = self.take()
                self.take("on")
                condition = self.take()
                self.directives()
                fragments[name] = Fragment(condition, self.selection_set())
            elif self.peek("{"):
                operations.append(("query", {}, self.selection_set()))
            else:
                kind = self.take()
                if kind not in ("query", "mutation"):
                    raise GraphQLError(f'Parse error on "{kind}"')
                if self.tokens[self.pos][0] == "name":
                    self.take()
                defaults = self.variable_definitions()
                self.directives()
                operations.append((kind, defaults, self.selection_set()))
        return operations, fragments

    def variable_definitions(self) -> dict[str, Any]:
        defaults: dict[str, Any] = {}
        if not self.peek("("):
            return defaults
        self.take("(")
        while not self.peek(")"):
            self.take("$")
            name = self.take()
            self.take(":")
            self.type_ref()
            if self.peek("="):
                self.take()
                defaults[name] = self.value()
            self.directives()
        self.take(")")
        return defaults

    def type_ref(self) -> None:
        if self.peek("["):
            self.take()
            self.type_ref()
            self.take("]")
        else:
            self.take()
        if self.peek("!"):
            self.take()

    def directives(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        while self.peek("@"):
            self.take()
            found.append((self.take(), self.arguments()))
        return found

    def selection_set(self) -> list[Any]:
        self.take("{")
        selections: list[Any] = []
        while not self.peek("}"):
            if self.peek("..."):
                self.take()
                if self.peek("on"):
                    self.take()
                    condition = self.take()
                    directives = self.directives()
                    selections.append(Fragment(condition, self.selection_set(), None, directives))
                elif self.peek("{") or self.peek("@"):
                    directives = self.directives()
                    selections.append(Fragment(None, self.selection_set(), None, directives))
                else:
                    name = self.take()
                    selections.append(Fragment(None, [], name, self.directives()))
                continue
            alias = name = self.take()
            if self.peek(":"):
                self.take()
                name = self.take()
            args = self.arguments()
            directives = self.directives()
            subs = self.selection_set() if self.peek("{") else None
            selections.append(Field(name, alias, args, subs, directives))
        self.take("}")
        return selections

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.peek("("):
            self.take()
            while not self.peek(")"):
                name = self.take()
                self.take(":")
                args[name] = self.value()
            self.take(")")
        return args

    def value(self) -> Any:
        kind, text = self.tokens[self.pos] if self.pos < len(self.tokens) else ("", "")
        if text == "$":
            self.take()
            return Var(self.take())
        if text == "[":
            self.take()
            items = []
            while not self.peek("]"):
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            self.take()
            obj = {}
            while not self.peek("}"):
                key = self.take()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        self.take()
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "string":
            return json.loads(text)
        if kind == "block":
            return text[3:-3]
        return {"true": True, "false": False, "null": None}.get(text, text)
