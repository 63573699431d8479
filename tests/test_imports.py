"""The engine's modules import one another without circles (imports inside functions count)."""

from __future__ import annotations

import ast
from pathlib import Path

import autograder

PACKAGE = Path(autograder.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def engine_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The engine modules that ``path`` imports anywhere in its source, at top level or inside functions.

    A package's ``__init__`` that a submodule's import runs first is left out: Python runs it
    before the submodule whatever the order, so it closes no circle of its own.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from package import module`` imports that module; ``from module import name``, the module.
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found.update(name for name in names if name in known)
            if any(name not in known for name in names):
                found.add(node.module)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    modules = engine_modules()
    return {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports in ``graph`` (as the modules along it), or None."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        for imported in sorted(graph[name]):
            circle = visit(imported, [*path, name])
            if circle:
                return circle
        done.add(name)
        return None

    return next((circle for name in sorted(graph) if (circle := visit(name, []))), None)


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "autograder.testing.student" in graph["autograder.notebook"], "check() imports it inside a function"
    assert "autograder.sandbox.zygote" in graph, "modules of subpackages are in the graph"


def test_the_circle_finder_finds_a_circle():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_no_engine_module_imports_itself_through_others():
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle)
