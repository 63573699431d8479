"""Task rules ("must not use X"), checked on the submission's source.

The whole module is read, at any depth (inside ``if``, ``try``, ``with``, loops, ``match``),
as *units*: each function or class definition, and each other module-level statement. A
unit *binds* the module-level names it assigns (also through ``global``, a walrus or an
import), the names whose objects it mutates (``registry.append(f)``, ``table[k] = f``,
``fill(registry)``) and the attribute names it sets (``torch.Tensor.f = ...``,
``setattr(obj, "f", ...)``, ``self.f = ...``, methods and attributes of a class body).

A task's code is the unit that defines it and every unit it reaches: through each free
name it reads and each attribute name it reads, and, for a function that can keep state
(``cache={}``, ``global``), the arguments it is called with. A star import after the
task's definition that may replace it with a library function counts too. In that code a forbidden entry is found
however it is spelled: ``F.softmax`` after ``import torch.nn.functional as F``, ``s`` after
``from torch import softmax as s``, a star import, the method form ``x.softmax(1)`` or
the internal ``torch.ops.aten._softmax``. Forbidden entries are dotted names
(``torch.autograd``: that module, anything in it, an attribute of its last name, and its
:data:`EQUIVALENTS`) or bare names (``backward``: any attribute, imported name or keyword
of that name, leading and trailing underscores aside).

A task may call another task's function (``training_loop`` calls ``grad_fn``): what that
function uses against its own rule is charged to that task alone, and anything else it
uses against the caller's rule is charged to the caller, named with the path to it.

Code whose meaning is only known at run time, anywhere in the module, breaks every rule
(:func:`_dynamic`): ``eval`` and friends, ``getattr`` passed around as a value, dunder
attributes, library internals (``torch._C``, ``torch.ops``), ``sys.modules``, other
interpreters, imports of modules that are not installed (the code could write them as it
runs), code too deeply nested to read, and any name that resolves into the grading engine
(:data:`ENGINE`: ``import autograder``, ``from autograder.testing import ...``, an alias of
either), which ships with every student release and must never serve answers or oracles.
A computed ``getattr(obj, name)`` is allowed only where ``name`` can only be what the tests
pass: a parameter of a module-level function, which is called only directly, with string
constants that name nothing forbidden, or with such parameters of its callers
(``getattr(losses, reduction)()``), and ``obj`` a value the function holds, not a library.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

DYNAMIC_NAMES = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "breakpoint"}
DYNAMIC_MODULES = {
    *("importlib", "builtins", "ctypes", "cffi", "inspect", "gc", "types", "runpy", "code", "codeop"),
    *("pkgutil", "pickle", "marshal", "copyreg", "dill", "cloudpickle", "subprocess", "multiprocessing", "pty"),
    *("torch.jit", "torch.fx", "torch.export", "torch.package", "torch.hub", "torch.library", "torch.ops"),
    *("torch.multiprocessing",),
    *("torch.utils.cpp_extension", "torch.load", "sys.modules", "numpy.load"),
}
OS_PROCESS_CALLS = ("system", "popen", "exec", "spawn", "posix_spawn", "fork")
SAFE_DUNDER_ATTRIBUTES = {"__init__", "__name__", "__doc__", "__qualname__"}
SAFE_DUNDER_NAMES = {"__name__", "__file__", "__doc__"}
LOOKUPS = {"getattr": 1, "setattr": 1, "delattr": 1, "attrgetter": 0, "methodcaller": 0}
# Other ways to the same thing as a dotted entry: dotted ones are modules, bare ones attributes.
EQUIVALENTS = {"torch.autograd": ("torch.func", "functorch", "grad_fn")}
ENGINE = "autograder"  # the grader's own package: every name that resolves into it breaks every rule
BUILTINS = set(dir(builtins))
MODULE_CODE = "module-level code"
MIN_SUBSTRING = 6


@dataclass(frozen=True)
class Violation:
    """``task`` uses ``used`` at ``line``, reached by the steps in ``via`` ("calls helper", "uses `g`")."""

    task: str
    used: str
    line: int
    via: tuple[str, ...] = ()
    dynamic: bool = False

    def message(self, rule: str, where: Callable[[int], str] | None = None) -> str:
        place = where(self.line) if where else f"line {self.line}"
        if self.dynamic:
            return f"{self.task} breaks its rule ({rule}): your module uses {self.used} ({place})"
        if self.via:
            path = ", which ".join(self.via)
            return f"{self.task} must not use `{self.used}` ({rule}): it {path}, which uses it ({place})"
        return f"{self.task} must not use `{self.used}` ({rule}), but it does ({place})"


def find_violations(
    source: str, task: str, forbidden: Sequence[str], rules_of: Mapping[str, Sequence[str]] | None = None
) -> list[Violation]:
    """Where the code of ``task`` uses a forbidden entry, or the module builds code at run time.

    ``rules_of`` maps the other tasks to their forbidden entries, so that a break inside
    another task's function is charged to that task.
    """
    try:
        module = _parse(source)
    except (RecursionError, MemoryError):  # Python itself may still import it
        return [Violation(task, "code nested too deeply to be checked", 1, dynamic=True)]
    if module is None:
        return []
    matcher = _Matcher(forbidden)
    others = {name: _Matcher(entries) for name, entries in (rules_of or {}).items() if name != task and entries}
    dynamic = [Violation(task, used, line, dynamic=True) for used, line in _dynamic(module, matcher)]
    found = [Violation(task, used, line) for used, line in _star_replacements(module, task, matcher)]
    for unit, via, gateway in module.reach(task, others.keys()):
        for names, line, exact in module.uses(unit):
            used = matcher.match(names, exact)
            if used and not (gateway and others[gateway].match(names, exact)):
                found.append(Violation(task, used, line, via))
    return sorted(set(dynamic + found), key=lambda v: (v.line, v.used, v.via))


def reached_definitions(source: str, task: str) -> set[str]:
    """The names of the module's definitions that ``task``'s code reaches, itself included."""
    try:
        module = _parse(source)
    except (RecursionError, MemoryError):
        return set()
    return {unit.label for unit, _, _ in module.reach(task, ())} if module else set()


@functools.lru_cache(maxsize=4)
def _parse(source: str) -> _Module | None:
    """The module read once for all its tasks' rules; None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # the module cannot be imported either: it is graded zero
    return _Module(tree)


class _Matcher:
    """Whether a name, as spelled in the module and as resolved, is a forbidden entry."""

    def __init__(self, forbidden: Sequence[str]) -> None:
        self.dotted: list[str] = []
        bare: list[str] = []  # in the manifest's order, so that every grading names the same entry
        for entry in forbidden:
            for form in (entry, *EQUIVALENTS.get(entry, ())):
                if "." in form:
                    self.dotted.append(form)
                    if form == entry:  # an alias of the module reaches it as an attribute: `t.autograd`
                        bare.append(form.rsplit(".", 1)[1])
                else:
                    bare.append(form)
        self.bare = list(dict.fromkeys(bare))

    def match(self, names: Iterable[str], exact: bool = False) -> str | None:
        """The entry ``names`` use, if any; bare entries of 6 letters or more also inside a longer name
        (``logsigmoid``, ``smooth_l1_loss``, ``mse_loss_backward``) unless ``exact``."""
        names = list(names)
        for entry in self.dotted:
            if any(name == entry or name.startswith(entry + ".") for name in names):
                return entry
        lasts = [name.rsplit(".", 1)[-1] for name in names]
        found = next((e for last in lasts for e in self.bare if last.strip("_") == e), None)
        if found is None and not exact:
            found = next((e for last in lasts for e in self.bare if len(e) >= MIN_SUBSTRING and e in last), None)
        if found is None:
            return None
        return next((d for d in self.dotted if d.endswith("." + found)), found)


@dataclass
class _Unit:
    """A definition or module-level statement, with what it binds for the rest of the module."""

    label: str
    nodes: list[ast.AST]
    names: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    local: frozenset[str] = frozenset()  # the local names the nodes see (arguments of a call in a function)


class _Module:
    """A parsed submission: its imports, its units and what each binds and reads."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.imports: dict[str, str] = {}
        self.star_modules: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    self.imports[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name == "*":
                        self.star_modules.append(node.module)
                    else:
                        self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.nodes = list(ast.walk(tree))
        self.units: list[_Unit] = []
        self._collect(tree.body)
        self.bound = {name for unit in self.units for name in unit.names}
        for unit in self.units:
            self._bind_mutations(unit)
        self.calls: dict[str, list[tuple[_Unit, ast.Call, frozenset[str]]]] = {}  # callee -> where, call, locals
        for unit in self.units:
            for node, local in _scoped(unit.nodes):
                if isinstance(node, ast.Call) and (node.args or node.keywords):
                    callee = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    self.calls.setdefault(callee, []).append((unit, node, local))
        self.lookup_calls = [node for node in self.nodes if isinstance(node, ast.Call) and self.lookup(node.func)]
        self.run_time_code = _run_time_code(self)

    def _collect(self, statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                globals_ = {name for n in ast.walk(node) if isinstance(n, ast.Global) for name in n.names}
                unit = _Unit(node.name, [node], {node.name, *globals_})
                if isinstance(node, ast.ClassDef):
                    unit.attributes |= _bound_names(node.body)
                self.units.append(unit)
                continue
            headers, bodies = _split(node)
            if headers:
                self.units.append(_Unit(MODULE_CODE, headers, _bound_names(headers)))
            for body in bodies:
                self._collect(body)

    def _bind_mutations(self, unit: _Unit) -> None:
        """Record in ``unit`` the attributes it sets and the outside objects it may change."""
        for node, local in _scoped(unit.nodes):
            targets: list[ast.AST] = []
            if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                targets.append(node)
                if isinstance(node, ast.Attribute):
                    unit.attributes.add(node.attr)
            elif isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute):
                    targets.append(node.func.value)  # a method may change its object
                targets += [arg.value if isinstance(arg, ast.Starred) else arg for arg in node.args]
                targets += [keyword.value for keyword in node.keywords]
                if self.lookup(node.func) in ("setattr", "delattr") and len(node.args) > 1:
                    unit.attributes.update(_strings(node.args[1:2]))
            for target in targets:
                root = _root(target)
                if root is not None and root not in local and root not in self.imports:
                    unit.names.add(root)

    def lookup(self, func: ast.AST) -> str | None:
        """``getattr`` (or another of :data:`LOOKUPS`) when ``func`` names it, however imported."""
        if isinstance(func, ast.Name):
            name = self.imports.get(func.id, func.id).rsplit(".", 1)[-1]
        elif isinstance(func, ast.Attribute):
            name = func.attr
        else:
            return None
        return name if name in LOOKUPS else None

    def dotted(self, node: ast.AST) -> str | None:
        """``F.softmax`` -> ``torch.nn.functional.softmax`` when ``F`` names an import."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.imports:
            return ".".join([self.imports[node.id], *reversed(parts)])
        return None

    def reach(self, task: str, other_tasks: Iterable[str]) -> Iterator[tuple[_Unit, tuple[str, ...], str | None]]:
        """Each unit of ``task``'s code, the path of definitions to it, and the other task on that path."""
        by_name: dict[str, list[_Unit]] = {}
        by_attribute: dict[str, list[_Unit]] = {}
        for unit in self.units:
            for name in unit.names:
                by_name.setdefault(name, []).append(unit)
            for name in unit.attributes:
                by_attribute.setdefault(name, []).append(unit)
        other_tasks = set(other_tasks)
        # a module-level __getattr__ answers for every name the module does not define
        pending = [(unit, (), None) for unit in by_name.get(task, []) + by_name.get("__getattr__", [])]
        seen = {id(unit) for unit, _, _ in pending}
        while pending:
            unit, via, gateway = pending.pop(0)
            yield unit, via, gateway
            names, attributes = self.references(unit)
            following = [u for n in sorted(names) for u in by_name.get(n, [])]
            # an attribute may be a module-level name too, read through an import of the module itself
            following += [u for a in sorted(attributes) for u in by_attribute.get(a, []) + by_name.get(a, [])]
            for nxt in following:
                if id(nxt) not in seen:
                    seen.add(id(nxt))
                    entered = nxt.label if nxt.label in other_tasks else None
                    pending.append((nxt, (*via, _step(nxt)), gateway or entered))
            # what a function that keeps state is called with can stay in it (a library loss in a default dict)
            for caller, call, local in self.calls.get(unit.label, []) if _keeps_state(unit) else []:
                if id(call) not in seen:
                    seen.add(id(call))
                    arguments = _Unit(MODULE_CODE, [*call.args, *call.keywords], local=local)
                    step = f"is called by {caller.label} with an argument"
                    entered = caller.label if caller.label in other_tasks else None
                    pending.append((arguments, (*via, step), gateway or entered))

    def references(self, unit: _Unit) -> tuple[set[str], set[str]]:
        """The free names and the attribute names that ``unit`` reads."""
        names: set[str] = set()
        attributes: set[str] = set()
        for node, local in _scoped(unit.nodes, local=unit.local):
            if isinstance(node, ast.Name) and node.id not in local:
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                attributes.add(node.attr)
            elif isinstance(node, ast.Call) and self.lookup(node.func):
                attributes.update(_strings(node.args))
        return names, attributes

    def uses(self, unit: _Unit) -> Iterator[tuple[list[str], int, bool]]:
        """Every name ``unit`` uses, as spelled and as resolved, its line, and whether only an exact match counts."""
        for node, local in _scoped(unit.nodes, local=unit.local):
            line = getattr(node, "lineno", 0) or getattr(unit.nodes[0], "lineno", 0)
            names: list[str] = []
            exact = False
            if isinstance(node, ast.Attribute):
                names = [self.dotted(node) or "", node.attr]
            elif isinstance(node, ast.Name) and node.id not in local:
                names = self.resolve(node.id)
            elif isinstance(node, ast.keyword) and node.arg:
                names, exact = [node.arg], True  # `softmax_dim=` is no softmax
            elif isinstance(node, ast.Call) and self.lookup(node.func):
                names = _strings(node.args)
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            if any(names):
                yield [n for n in names if n], line, exact

    def resolve(self, name: str) -> list[str]:
        """What a free name can stand for: its import, or a name from a star import."""
        if name in self.imports:
            return [self.imports[name], self.imports[name].rsplit(".", 1)[-1]]
        if name not in self.bound and name not in BUILTINS:
            return [f"{module}.{name}" for module in self.star_modules]
        return []


def _keeps_state(unit: _Unit) -> bool:
    """Whether a function can keep what it is called with: it sets outside names or attributes, or has a
    default that is not a constant (``cache={}``), so that a later call may use it."""
    function = unit.nodes[0]
    if unit.label == MODULE_CODE or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    defaults = [*function.args.defaults, *(d for d in function.args.kw_defaults if d)]
    return bool(unit.names - {unit.label} or unit.attributes) or any(
        not (_literal(d) or isinstance(d, (ast.Name, ast.Attribute))) for d in defaults
    )


def _literal(node: ast.AST) -> bool:
    """Whether ``node`` is a value written out in full (``-1``, ``(1, 2)``, ``None``), which keeps nothing."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return not isinstance(value, (list, dict, set))


def _star_replacements(module: _Module, task: str, matcher: _Matcher) -> list[tuple[str, int]]:
    """Star imports after the task's definition that may put a forbidden library function in its place."""
    first = min((unit.nodes[0].lineno for unit in module.units if unit.label == task), default=None)
    found = []
    for node in module.nodes:
        if isinstance(node, ast.ImportFrom) and node.module and any(a.name == "*" for a in node.names):
            loaded = sys.modules.get(node.module)  # only a library the grader has imported is looked at
            exported = loaded is None or task in getattr(loaded, "__all__", dir(loaded))
            used = matcher.match([f"{node.module}.{task}"], exact=True)
            if first is not None and node.lineno > first and exported and used:
                found.append((used, node.lineno))
    return found


def _step(unit: _Unit) -> str:
    """How a task reaches ``unit``, in words: "calls helper", "uses `g`"."""
    if unit.label != MODULE_CODE:
        return f"calls {unit.label}"
    return f"uses `{', '.join(sorted(unit.names))}`" if unit.names else f"uses {MODULE_CODE}"


def _split(node: ast.stmt) -> tuple[list[ast.AST], list[list[ast.stmt]]]:
    """A statement's own parts (header, or the whole simple statement) and its bodies."""
    if isinstance(node, (ast.If, ast.While)):
        return [node.test], [node.body, node.orelse]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target, node.iter], [node.body, node.orelse]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return list(node.items), [node.body]
    if isinstance(node, (ast.Try, ast.TryStar)):
        handlers = [ast.copy_location(ast.ExceptHandler(h.type, h.name, []), h) for h in node.handlers]
        return handlers, [node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)]
    if isinstance(node, ast.Match):
        return [node.subject, *(part for case in node.cases for part in (case.pattern, case.guard) if part)], [
            case.body for case in node.cases
        ]
    return [node], []


def _bound_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Names that ``nodes`` bind in their own scope (nested definitions by name only)."""
    names = set()
    for node, _ in _scoped(nodes, into_definitions=False):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names if alias.name != "*")
        elif isinstance(node, (ast.MatchAs, ast.MatchStar, ast.ExceptHandler)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


@functools.lru_cache(maxsize=1024)
def _locals(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> frozenset[str]:
    """The parameters and local names of a function (``global`` ones excluded)."""
    arguments = function.args
    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    names = {a.arg for a in parameters if a}
    if not isinstance(function, ast.Lambda):
        names |= _bound_names(function.body)
        names -= {name for n in ast.walk(function) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
    return frozenset(names)


def _scoped(
    nodes: Iterable[ast.AST], into_definitions: bool = True, local: frozenset[str] = frozenset()
) -> Iterator[tuple[ast.AST, frozenset[str]]]:
    """Every node under ``nodes`` with the local names of the function it is in (``local`` at the top)."""
    pending = [(node, local) for node in nodes]
    while pending:
        node, local = pending.pop()
        yield node, local
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if not into_definitions:
                continue
            # decorators, defaults, bases and annotations are evaluated outside the body
            outside = [*node.decorator_list, *getattr(node, "bases", []), *getattr(node, "keywords", [])]
            if not isinstance(node, ast.ClassDef):
                outside += [node.args, *([node.returns] if node.returns else [])]
                inner = local | _locals(node)
                pending += [(child, inner) for child in node.body]
            else:
                pending += [(child, local) for child in node.body]
            pending += [(child, local) for child in outside]
        elif isinstance(node, ast.Lambda):
            pending += [(child, local | _locals(node)) for child in ast.iter_child_nodes(node)]
        else:
            pending += [(child, local) for child in ast.iter_child_nodes(node)]


def _root(node: ast.AST) -> str | None:
    """The name an expression like ``a.b[c].d`` starts from."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _strings(nodes: Iterable[ast.AST]) -> list[str]:
    return [node.value for node in nodes if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _dynamic(module: _Module, matcher: _Matcher) -> list[tuple[str, int]]:
    """Code anywhere in the module whose meaning is only known at run time."""
    lookups = [
        (problem, call.lineno) for call in module.lookup_calls for problem in _lookup_problems(module, call, matcher)
    ]
    return module.run_time_code + lookups


def _run_time_code(module: _Module) -> list[tuple[str, int]]:
    """The uses of run-time code that do not depend on a task's rule (all but computed lookups)."""
    found = []
    called = {id(node.func) for node in module.nodes if isinstance(node, ast.Call)}
    for node in module.nodes:
        line = getattr(node, "lineno", 0)
        reasons: list[str | None] = []
        if isinstance(node, ast.Name):
            if node.id in DYNAMIC_NAMES or (node.id.startswith("__") and node.id not in SAFE_DUNDER_NAMES):
                reasons.append(f"code built at run time (`{node.id}`)")
            elif module.lookup(node) and id(node) not in called:
                reasons.append(f"`{node.id}` passed around as a value, which could look up anything")
            elif node.id in module.imports:
                reasons.append(_dynamic_module(module.imports[node.id]))
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr not in SAFE_DUNDER_ATTRIBUTES:
                reasons.append(f"`{node.attr}`, which reaches objects by computed names")
            else:
                reasons.append(_dynamic_module(module.dotted(node) or ""))
        elif isinstance(node, ast.Import):
            reasons += [_dynamic_module(alias.name) or _made_at_run_time(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or "", *(f"{node.module}.{alias.name}" for alias in node.names)]
            reasons += [_dynamic_module(name) for name in modules]
            reasons.append(_made_at_run_time(node.module or "") if node.level == 0 else "a relative import")
        found += [(reason, line) for reason in reasons if reason]
    return found


def _dynamic_module(dotted: str) -> str | None:
    """Why a dotted name escapes the rules, if it does: it runs given code or is a library's internals."""
    parts = dotted.split(".")
    if parts[0] == ENGINE:
        return f"`{dotted}`, the grader's own code"
    if any(part.startswith("_") and not part.startswith("__") for part in parts[1:]):
        return f"`{dotted}`, a library's internals"
    if parts[0] == "os" and len(parts) > 1 and parts[1].startswith(OS_PROCESS_CALLS):
        return f"`{dotted}`, which runs other programs"
    if any(dotted == m or dotted.startswith(m + ".") for m in DYNAMIC_MODULES):
        return f"`{dotted}`, which runs code it is given or looks things up by computed names"
    return None


@functools.lru_cache(maxsize=256)
def _made_at_run_time(dotted: str) -> str | None:
    """Why an import may load code written at run time: its module is in no library installed here."""
    top = dotted.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return None
    try:
        found = importlib.util.find_spec(top) is not None  # a top-level name: nothing runs to find it
    except (ImportError, ValueError):
        found = False
    return None if found else f"`{top}`, a module not installed, which your code could write as it runs"


def _lookup_problems(module: _Module, call: ast.Call, matcher: _Matcher) -> list[str]:
    """Why a ``getattr``-like call could reach something the rules cannot see, if it could."""
    name = module.lookup(call.func)
    position = LOOKUPS[name]
    if len(call.args) <= position or any(isinstance(arg, ast.Starred) for arg in call.args[: position + 1]):
        return [f"code built at run time (`{name}` without a plain name)"]
    attribute = call.args[position]
    if isinstance(attribute, ast.Constant) and isinstance(attribute.value, str):
        if attribute.value.startswith("__") and attribute.value not in SAFE_DUNDER_ATTRIBUTES:
            return [f"`{attribute.value}`, which reaches objects by computed names"]
        return []
    if name == "getattr" and _trusted_lookup(module, call, matcher):
        return []
    return [f"code built at run time (`{name}` with a computed name)"]


def _trusted_lookup(module: _Module, call: ast.Call, matcher: _Matcher) -> bool:
    """Whether a computed ``getattr(obj, name)`` can only look up names the tests pass, on a value."""
    function = _enclosing_function(module.tree, call)
    if function is None or not isinstance(call.args[1], ast.Name):
        return False
    if not _is_value(module, function, call.args[0]):
        return False
    return _trusted_parameter(module, function, call.args[1].id, matcher, set())


def _is_alias(function: ast.AST, name: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``function`` sets ``name`` to a name from outside it or its attribute (``lib = F``), directly
    or through other locals, rather than to a value it computes."""
    local = _locals(function)
    for node in ast.walk(function):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets, value = getattr(node, "targets", [getattr(node, "target", None)]), node.value
        elif isinstance(node, (ast.For, ast.comprehension)):
            targets, value = [node.target], node.iter
        elif isinstance(node, ast.withitem):
            targets, value = [node.optional_vars], node.context_expr
        else:
            continue
        if value is None or not any(
            isinstance(t, ast.Name) and t.id == name for target in targets if target for t in ast.walk(target)
        ):
            continue
        root = _root(value)
        if root is not None and (root not in local or (root not in seen and _is_alias(function, root, seen | {name}))):
            return True
    return False


def _is_value(module: _Module, function: ast.AST, node: ast.AST) -> bool:
    """Whether ``node`` is a value ``function`` computed or received, not a library or its part:
    a call's result (but ``type(x)``), arithmetic, or a local that is no alias, and their parts."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    if isinstance(node, ast.Call):
        return not (isinstance(node.func, ast.Name) and node.func.id == "type")
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Constant)):
        return True
    return (
        isinstance(node, ast.Name)
        and node.id in _locals(function)
        and node.id not in module.imports
        and not _is_alias(function, node.id)
    )


def _module_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions defined at module level (at any depth of module-level control flow)."""
    found = []
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(node)
        elif not isinstance(node, ast.ClassDef):
            pending += [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]
            pending += [c for h in getattr(node, "handlers", []) for c in h.body]
            pending += [c for case in getattr(node, "cases", []) for c in case.body]
    return found


def _enclosing_function(tree: ast.Module, target: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module-level function whose body holds ``target``, not in a nested definition."""
    for function in _module_functions(tree):
        for node, _ in _scoped(function.body, into_definitions=False):
            if node is target:
                return function
    return None


def _trusted_parameter(module: _Module, function: ast.AST, parameter: str, matcher: _Matcher, seen: set) -> bool:
    """Whether ``parameter`` of ``function`` only ever holds what the tests pass or a harmless constant."""
    if (function.name, parameter) in seen:
        return True
    seen.add((function.name, parameter))
    arguments = function.args
    positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    if function.decorator_list or parameter not in positional + [a.arg for a in arguments.kwonlyargs]:
        return False
    if function.name.startswith("__"):
        return False  # Python calls it itself (a module's __getattr__), with any name
    own = {id(a) for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    shadowed = any(isinstance(n, ast.arg) and n.arg == parameter and id(n) not in own for n in ast.walk(function))
    if shadowed or parameter in _bound_names(function.body):
        return False  # reassigned in the function, or another name of the same spelling inside it
    defaults = dict(zip(reversed(positional), reversed(arguments.defaults), strict=False))
    defaults.update((a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d)
    values = [(defaults[parameter], None)] if parameter in defaults else []
    calls = {id(n.func): n for n in ast.walk(module.tree) if isinstance(n, ast.Call)}
    for node in ast.walk(module.tree):
        if not (isinstance(node, ast.Name) and node.id == function.name and isinstance(node.ctx, ast.Load)):
            continue
        call = calls.get(id(node))
        unpacked = call is not None and (
            any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)
        )
        if call is None or unpacked:
            return False  # passed around, or called with unpacked arguments
        index = positional.index(parameter) if parameter in positional else len(call.args)
        passed = call.args[index : index + 1] + [k.value for k in call.keywords if k.arg == parameter]
        values += [(value, call) for value in passed]
    return all(_harmless_name(module, value, call, matcher, seen) for value, call in values)


def _harmless_name(module: _Module, value: ast.AST, call: ast.Call | None, matcher: _Matcher, seen: set) -> bool:
    """Whether an attribute name passed in is a constant naming nothing forbidden, or a trusted parameter."""
    if isinstance(value, ast.Constant):
        text = value.value
        return text is None or (isinstance(text, str) and not text.startswith("_") and not matcher.match([text]))
    if isinstance(value, ast.Name) and call is not None:
        caller = _enclosing_function(module.tree, call)
        return caller is not None and _trusted_parameter(module, caller, value.id, matcher, seen)
    return False
