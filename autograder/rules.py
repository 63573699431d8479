"""Task rules ("must not use X"), checked on the submission's source.

A task's code is its function or class plus every module-level helper it refers to, and
every module-level statement that patches an attribute (``torch.Tensor.f = ...``). In that
code a forbidden entry is found however it is spelled: ``F.softmax`` after
``import torch.nn.functional as F``, ``s`` after ``from torch import softmax as s``, or
the method form ``x.softmax(1)``. Code built at run time (``eval``, ``getattr`` with a
computed name, ...) anywhere in the module breaks every rule, since it could hide anything.

Forbidden entries are either dotted names (``torch.autograd``: that module or anything in
it) or bare names (``backward``: any attribute, imported name or keyword of that name).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

DYNAMIC_NAMES = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "breakpoint"}
DYNAMIC_MODULES = {"importlib", "builtins", "ctypes", "inspect"}
DYNAMIC_ATTRIBUTES = {"__dict__", "__getattribute__", "__builtins__", "__globals__", "__code__"}
DYNAMIC_LOOKUPS = {"getattr": 1, "setattr": 1, "delattr": 1, "attrgetter": 0, "methodcaller": 0}


@dataclass(frozen=True)
class Violation:
    task: str
    used: str
    line: int

    def message(self, rule: str) -> str:
        if self.used.startswith("code built at run time"):
            return f"{self.task} breaks its rule ({rule}): your module uses {self.used} (line {self.line})"
        return f"{self.task} must not use `{self.used}` ({rule}), but it does (line {self.line})"


def find_violations(source: str, task: str, forbidden: list[str]) -> list[Violation]:
    """Where the code of ``task`` uses a forbidden entry or builds code at run time."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    imports = _imports(tree)
    dynamic = [Violation(task, f"code built at run time (`{used}`)", line) for used, line in _dynamic(tree, imports)]
    found = [
        Violation(task, used, line) for node in _task_code(tree, task) for used, line in _uses(node, imports, forbidden)
    ]
    return sorted(set(dynamic + found), key=lambda v: (v.line, v.used))


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted name it stands for, from every import in the module."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.AST, imports: dict[str, str]) -> str | None:
    """``F.softmax`` -> ``torch.nn.functional.softmax`` when ``F`` names an import."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in imports:
        return ".".join([imports[node.id], *reversed(parts)])
    return None


def _task_code(tree: ast.Module, task: str) -> list[ast.AST]:
    """The task's definition, the helpers it reaches, and module-level attribute patches."""
    definitions: dict[str, ast.AST] = {}
    patches: list[ast.AST] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names = [n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
                definitions.update(dict.fromkeys(names, node))
                if not isinstance(target, (ast.Name, ast.Tuple, ast.List, ast.Starred)):
                    patches.append(node)
        elif isinstance(node, ast.Expr) and any(
            isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "setattr"
            for call in ast.walk(node)
        ):
            patches.append(node)
    reached, pending = [], [task]
    seen = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in definitions:
            continue
        seen.add(name)
        reached.append(definitions[name])
        pending += [n.id for n in ast.walk(definitions[name]) if isinstance(n, ast.Name)]
    return reached + patches if task in seen else []


def _uses(node: ast.AST, imports: dict[str, str], forbidden: list[str]) -> list[tuple[str, int]]:
    """Forbidden entries used in ``node``; a dotted match is named before a bare one."""
    bare = {entry for entry in forbidden if "." not in entry}
    dotted = [entry for entry in forbidden if "." in entry]
    found = []
    for child in ast.walk(node):
        names: list[str] = []
        if isinstance(child, ast.Attribute):
            names = [name for name in [_dotted(child, imports)] if name] + [child.attr]
        elif isinstance(child, ast.Name) and child.id in imports:
            names = [imports[child.id], imports[child.id].split(".")[-1]]
        elif isinstance(child, ast.keyword) and child.arg:
            names = [child.arg]
        elif isinstance(child, ast.Call) and _lookup_name(child.func, imports) in DYNAMIC_LOOKUPS:
            names = [arg.value for arg in child.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        line = getattr(child, "lineno", getattr(node, "lineno", 0))
        matches = [e for e in dotted for n in names if n == e or n.startswith(e + ".")] + [
            n for n in names if n in bare
        ]
        if matches:
            found.append((matches[0], line))
    return found


def _dynamic(tree: ast.Module, imports: dict[str, str]) -> list[tuple[str, int]]:
    """Uses of run-time code construction or lookup by computed name, anywhere in the module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES:
            found.append((node.id, node.lineno))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [(m, node.lineno) for m in modules if m.split(".")[0] in DYNAMIC_MODULES]
        elif isinstance(node, ast.Attribute) and (
            node.attr in DYNAMIC_ATTRIBUTES or _dotted(node, imports) == "sys.modules"
        ):
            found.append((node.attr, node.lineno))
        elif isinstance(node, ast.Call) and _lookup_name(node.func, imports) in DYNAMIC_LOOKUPS:
            position = DYNAMIC_LOOKUPS[_lookup_name(node.func, imports)]
            if len(node.args) <= position or not isinstance(node.args[position], ast.Constant):
                found.append((_lookup_name(node.func, imports), node.lineno))
    return found


def _lookup_name(func: ast.AST, imports: dict[str, str]) -> str | None:
    if isinstance(func, ast.Name):
        return imports.get(func.id, func.id).split(".")[-1]
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
