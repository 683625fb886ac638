"""``bot.core`` is pure: its modules import only I/O-free standard modules, pure parsing libraries and the core.

Checked by reading each module's import statements with ``ast``, not by importing it, so a forbidden import
inside a function body is caught too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "bot" / "core"
MODULES = sorted(CORE.glob("*.py"))

FORBIDDEN = frozenset(
    {
        "os",
        "sys",
        "io",
        "socket",
        "ssl",
        "subprocess",
        "logging",
        "time",
        "random",
        "secrets",
        "uuid",
        "threading",
        "asyncio",
        "http",
        "urllib",
        "requests",
        "httpx",
        "openai",
        "github",
        "redis",
        "celery",
        "sqlalchemy",
        "shutil",
        "tempfile",
        "glob",
    }
)
THIRD_PARTY = frozenset({"unidiff", "yaml", "pydantic", "pydantic_core"})
PROJECT = ("bot.core", "bot.errors")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of every module the file imports, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # ``from . import x`` names modules; ``from .x import y`` names x
                base = "bot.core" if node.level == 1 else "bot"
                if node.module:
                    found.append((node.lineno, f"{base}.{node.module}"))
                else:
                    found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module or ""))
    return found


def violation(name: str) -> str | None:
    top = name.split(".")[0]
    if top in FORBIDDEN:
        return "does I/O or reads the environment, clock or randomness"
    if top == "bot":
        inside = name in PROJECT or name.startswith("bot.core.")
        return None if inside else "leaves the core"
    if top in THIRD_PARTY or top == "__future__":
        return None
    if top in sys.stdlib_module_names:
        return None
    return "is neither the standard library nor an allowed parsing library"


PURE_PATHS = frozenset({"PurePath", "PurePosixPath", "PureWindowsPath"})


def pathlib_names(path: Path) -> list[tuple[int, str]]:
    """Names taken from ``pathlib``; ``import pathlib`` counts as taking ``Path``, which touches the disk."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "pathlib":
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [(node.lineno, "Path") for alias in node.names if alias.name == "pathlib"]
    return names


def test_the_core_has_modules_to_check() -> None:
    assert len(MODULES) >= 15


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_core_module_imports_only_pure_modules(path: Path) -> None:
    bad = [f"line {line}: {name} {why}" for line, name in imported_modules(path) if (why := violation(name))]
    assert bad == []


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_core_module_takes_only_pure_paths_from_pathlib(path: Path) -> None:
    assert [f"line {line}: {name}" for line, name in pathlib_names(path) if name not in PURE_PATHS] == []


@pytest.mark.parametrize(
    ("source", "names"),
    [
        pytest.param("from pathlib import PurePosixPath\n", [(1, "PurePosixPath")], id="pure"),
        pytest.param("from pathlib import Path\n", [(1, "Path")], id="path"),
        pytest.param("import pathlib\n", [(1, "Path")], id="module"),
    ],
)
def test_the_pathlib_rule_itself(tmp_path: Path, source: str, names: list[tuple[int, str]]) -> None:
    module = tmp_path / "m.py"
    module.write_text(source, encoding="utf-8")
    assert pathlib_names(module) == names


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        pytest.param("os", False, id="os"),
        pytest.param("os.path", False, id="os.path"),
        pytest.param("time", False, id="time"),
        pytest.param("logging.handlers", False, id="logging-sub"),
        pytest.param("urllib.parse", False, id="urllib"),
        pytest.param("httpx", False, id="httpx"),
        pytest.param("bot.llm", False, id="adapter"),
        pytest.param("bot.review", False, id="use-case"),
        pytest.param("tomllib", True, id="stdlib"),
        pytest.param("pathlib", True, id="pathlib"),
        pytest.param("unidiff.patch", True, id="unidiff"),
        pytest.param("bot.errors", True, id="errors"),
        pytest.param("bot.core.diff", True, id="core"),
        pytest.param("numpy", False, id="unknown-third-party"),
    ],
)
def test_the_import_rule_itself(name: str, allowed: bool) -> None:
    assert (violation(name) is None) is allowed


def test_relative_imports_are_resolved_against_the_core(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from . import diff\nfrom .. import llm\nimport os as _os\n", encoding="utf-8")
    assert imported_modules(module) == [(1, "bot.core.diff"), (2, "bot.llm"), (3, "os")]
