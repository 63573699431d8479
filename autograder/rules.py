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
:data:`EQUIVALENTS`), bare names (``backward``: any attribute, imported name or keyword
of that name, leading and trailing underscores aside) or a :data:`FAMILIES` name
(``@losses``: every library path that computes a loss, wrappers such as
``torch.distributions`` included).

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

The module is read once for all its tasks (:func:`_parse`): what each unit reads, uses and
reaches is worked out once, so checking a task costs the part of the module it reaches. A
module too big to check in bounded time (more than :data:`MAX_UNITS` units, or more than
:data:`MAX_STEPS` steps to follow what they refer to) breaks every rule.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.machinery
import importlib.util
import os
import re
import sys
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

DYNAMIC_NAMES = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "breakpoint"}
# Modules and names that run code they are given (a string, a file written at run time, a pickle) or
# find objects by names computed at run time; a library's private names (a part starting with "_") too.
DYNAMIC_MODULES = {
    *("importlib", "builtins", "ctypes", "cffi", "inspect", "gc", "types", "runpy", "code", "codeop"),
    *("pkgutil", "pickle", "marshal", "copyreg", "dill", "cloudpickle", "subprocess", "multiprocessing", "pty"),
    *("imp", "zipimport", "pydoc", "doctest", "timeit", "profile", "cProfile", "pdb", "bdb", "trace", "site"),
    *("shelve", "logging.config", "unittest.mock", "typing.get_type_hints", "typing.ForwardRef", "string.Formatter"),
    *("sys.path", "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache", "asyncio.subprocess"),
    *("asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell"),
    *("numpy.f2py", "numpy.distutils", "pandas.eval", "pandas.read_pickle", "pandas.io.pickle", "PIL.ImageMath"),
    *("torch.jit", "torch.fx", "torch.export", "torch.package", "torch.hub", "torch.library", "torch.ops"),
    *("torch.multiprocessing",),
    *("torch.utils.cpp_extension", "torch.load", "sys.modules", "numpy.load"),
}
OS_PROCESS_CALLS = ("system", "popen", "exec", "spawn", "posix_spawn", "fork")
# The libraries a submission may use besides STANDARD_MODULES: each computes (its names that run code
# they are given are in DYNAMIC_MODULES). Any other installed package is run-time code to the rules:
# the virtualenv holds Jupyter's and IPython's helpers that import objects by name, template engines, ...
LIBRARIES = ("torch", "numpy", "scipy", "sklearn", "matplotlib", "pandas", "tqdm", "PIL", "seaborn", "IPython.display")
# Modules a library may hand on as one of its attributes (``dataclasses.builtins``, ``os.sys``): reached
# that way, they are what they are reached directly.
GATEWAY_MODULES = frozenset(
    {"builtins", "sys", "os", "posix", "importlib", "subprocess", "pickle", "marshal", "ctypes", "runpy", "imp"}
    | {"pkgutil", "copyreg", "multiprocessing", "zipimport", "shelve", "types", "inspect"}
)
# Attributes of frames, tracebacks and generators: each reaches a namespace (its builtins, its globals).
FRAME_ATTRIBUTES = frozenset(
    {"f_builtins", "f_globals", "f_locals", "f_back", "f_code", "tb_frame", "tb_next", "gi_frame", "cr_frame"}
    | {"ag_frame", "gi_code", "cr_code", "co_consts", "co_names"}
)
# The standard library's modules a submission may import: each computes, and none runs code it is
# given or finds objects by names (those of their names that do are in DYNAMIC_MODULES). Any other
# module of the standard library is run-time code to the rules (``xmlrpc``, ``unittest``, ``pdb``, ...).
STANDARD_MODULES = frozenset(
    {"__future__", "abc", "argparse", "array", "ast", "base64", "binascii", "bisect", "calendar", "cmath"}
    | {"codecs", "collections", "colorsys", "concurrent", "contextlib", "copy", "csv", "dataclasses", "datetime"}
    | {"decimal", "difflib", "enum", "errno", "fractions", "functools", "glob", "gzip", "hashlib", "heapq", "html"}
    | {"io", "itertools", "json", "locale", "logging", "math", "numbers", "operator", "os", "pathlib", "platform"}
    | {"pprint", "queue", "random", "re", "resource", "secrets", "shutil", "signal", "statistics", "string"}
    | {"struct", "sys", "tempfile", "textwrap", "threading", "time", "tracemalloc", "traceback", "typing"}
    | {"unicodedata", "uuid", "warnings", "weakref", "zipfile", "zlib"}
)
SAFE_DUNDER_ATTRIBUTES = {"__init__", "__name__", "__doc__", "__qualname__"}
SAFE_DUNDER_NAMES = {"__name__", "__file__", "__doc__"}
LOOKUPS = {"getattr": 1, "setattr": 1, "delattr": 1, "attrgetter": 0, "methodcaller": 0}
# Other ways to the same thing as a dotted entry: dotted ones are modules, bare ones attributes.
EQUIVALENTS = {"torch.autograd": ("torch.func", "functorch", "grad_fn")}
ENGINE = "autograder"  # the grader's own package: every name that resolves into it breaks every rule
BUILTINS = set(dir(builtins))
MODULE_CODE = "module-level code"
MIN_SUBSTRING = 6
MAX_UNITS = 2_000  # definitions and module-level statements of a module whose rules can be checked
MAX_STEPS = 50_000  # references between them, and steps to trust computed lookups, that may be followed


@dataclass(frozen=True)
class Family:
    """Entries a manifest forbids by one name (``@losses``), and how the rule students read names them."""

    words: str  # Markdown, code in single backticks
    names: tuple[str, ...]  # bare entries
    modules: tuple[str, ...] = ()  # whole namespaces: the module, anything in it, an attribute of its name


_TORCH_LOSSES = (
    *("binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss", "cross_entropy"),
    *("ctc_loss", "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss"),
    *("linear_cross_entropy", "margin_ranking_loss", "mse_loss", "multi_margin_loss", "multilabel_margin_loss"),
    *("multilabel_soft_margin_loss", "nll_loss", "poisson_nll_loss", "smooth_l1_loss", "soft_margin_loss"),
    *("triplet_margin_loss", "triplet_margin_with_distance_loss"),
    *("BCELoss", "BCEWithLogitsLoss", "CTCLoss", "CosineEmbeddingLoss", "CrossEntropyLoss", "GaussianNLLLoss"),
    *("HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss", "LinearCrossEntropyLoss", "MSELoss"),
    *("MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "NLLLoss"),
    *("NLLLoss2d", "PoissonNLLLoss", "SmoothL1Loss", "SoftMarginLoss", "TripletMarginLoss"),
    *("TripletMarginWithDistanceLoss", "AdaptiveLogSoftmaxWithLoss"),
)
# Families of library functions, each with every library path known to compute them: a rule
# against "a library softmax" must also hold against a distribution or a loss that computes one.
FAMILIES = {
    "@losses": Family(
        "any library loss or likelihood (every loss function and loss class of `torch.nn`, such as `F.mse_loss`, "
        "`F.huber_loss`, `F.kl_div` and `nn.CrossEntropyLoss`, and anything from `torch.distributions`, SciPy "
        "(`scipy`) or scikit-learn (`sklearn`))",
        _TORCH_LOSSES,
        ("torch.distributions", "scipy", "sklearn"),
    ),
    "@sigmoid": Family(
        "any library sigmoid or log-sigmoid, or a function or layer that computes one (`sigmoid`, `Sigmoid`, "
        "`logsigmoid`, `expit`, `softplus`, `silu`, `glu`, and the gates of `LSTM`, `GRU` and their cells)",
        (
            *("sigmoid", "Sigmoid", "expit", "softplus", "Softplus", "silu", "SiLU", "glu", "GLU", "lstm", "LSTM"),
            *("lstm_cell", "LSTMCell", "quantized_lstm", "gru", "GRU", "gru_cell", "GRUCell", "quantized_gru"),
        ),
    ),
    "@softmax": Family(
        "any library softmax, log-softmax or softmin, or a function or layer that computes one (`softmax`, "
        "`Softmax`, `log_softmax`, `softmin`, `gumbel_softmax`, attention such as `scaled_dot_product_attention` "
        "and `MultiheadAttention`, and `Transformer` layers)",
        ("softmax", "Softmax", "softmin", "Softmin", "attention", "Attention", "Transformer"),
    ),
}


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
    if module.too_big:
        return [Violation(task, f"code too big to be checked ({module.too_big})", 1, dynamic=True)]
    matcher = _matcher(tuple(forbidden))
    others = {name: _matcher(tuple(entries)) for name, entries in (rules_of or {}).items() if name != task and entries}
    dynamic = [Violation(task, used, line, dynamic=True) for used, line in _dynamic(module, matcher)]
    found = [Violation(task, used, line) for used, line in _star_replacements(module, task, matcher)]
    for reached in module.reach(task, frozenset(others)):
        for names, line, exact in module.uses(reached.unit):
            used = matcher.match(names, exact)
            if used and not (reached.gateway and others[reached.gateway].match(names, exact)):
                found.append(Violation(task, used, line, reached.via))
    return sorted(set(dynamic + found), key=lambda v: (v.line, v.used, v.via))


def reached_definitions(source: str, task: str) -> set[str]:
    """The names of the module's definitions that ``task``'s code reaches, itself included."""
    try:
        module = _parse(source)
    except (RecursionError, MemoryError):
        return set()
    if module is None or module.too_big:
        return set()
    return {reached.unit.label for reached in module.reach(task, frozenset())}


@functools.lru_cache(maxsize=4)
def _parse(source: str) -> _Module | None:
    """The module read once for all its tasks' rules; None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # the module cannot be imported either: it is graded zero
    return _Module(tree)


@functools.lru_cache(maxsize=64)
def _matcher(forbidden: tuple[str, ...]) -> _Matcher:
    return _Matcher(forbidden)


class _Matcher:
    """Whether a name, as spelled in the module and as resolved, is a forbidden entry."""

    def __init__(self, forbidden: Sequence[str]) -> None:
        self.dotted: list[str] = []
        bare: list[str] = []  # in the manifest's order, so that every grading names the same entry
        for entry in forbidden:
            family = FAMILIES.get(entry)
            forms = (entry, *EQUIVALENTS.get(entry, ()))
            modules = family.modules if family else tuple(form for form in forms if "." in form)
            self.dotted += modules
            # an alias of a forbidden module reaches it as an attribute (`t.autograd`), not so an equivalent's
            bare += [module.rsplit(".", 1)[-1] for module in modules if family or module == entry]
            bare += family.names if family else [form for form in forms if "." not in form]
        self.bare = list(dict.fromkeys(bare))
        self.exact = set(self.bare)
        inside = [re.escape(entry) for entry in self.bare if len(entry) >= MIN_SUBSTRING]
        self.inside = re.compile("|".join(inside)) if inside else None

    def match(self, names: Iterable[str], exact: bool = False) -> str | None:
        """The entry ``names`` use, if any; bare entries of 6 letters or more also inside a longer name
        (``logsigmoid``, ``smooth_l1_loss``, ``mse_loss_backward``) unless ``exact``."""
        names = list(names)
        for entry in self.dotted:
            if any(name == entry or name.startswith(entry + ".") for name in names):
                return entry
        lasts = [name.rsplit(".", 1)[-1] for name in names]
        found = next((last.strip("_") for last in lasts if last.strip("_") in self.exact), None)
        if found is None and not exact and self.inside:
            last = next((last for last in lasts if self.inside.search(last)), None)
            found = next(e for e in self.bare if len(e) >= MIN_SUBSTRING and e in last) if last else None
        if found is None:
            return None
        return next((d for d in self.dotted if d.endswith("." + found)), found)


@dataclass(eq=False)
class _Unit:
    """A definition or module-level statement, with what it binds for the rest of the module."""

    label: str
    nodes: list[ast.AST]
    names: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    local: frozenset[str] = frozenset()  # the local names the nodes see (arguments of a call in a function)


@dataclass(frozen=True, eq=False)
class _Reached:
    """A unit of a task's code, the step that reached it from ``before`` and the other task on the way."""

    unit: _Unit
    step: str = ""
    before: _Reached | None = None
    gateway: str | None = None

    @functools.cached_property
    def via(self) -> tuple[str, ...]:
        """The steps from the task to this unit ("calls middle", "calls unpack")."""
        steps, reached = [], self
        while reached.before is not None:
            steps.append(reached.step)
            reached = reached.before
        return tuple(reversed(steps))


class _TooBig(Exception):
    """The module is too big for its rules to be checked in bounded time (why, in words)."""


class _Module:
    """A parsed submission: its imports, its units, what each binds, reads and reaches.

    Everything a task's check needs that does not depend on its rule is worked out here, once.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.nodes = list(ast.walk(tree))
        self.imports: dict[str, str] = {}
        self.star_imports: list[ast.ImportFrom] = []
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    self.imports[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name == "*":
                        self.star_imports.append(node)
                    else:
                        self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.star_modules = [node.module for node in self.star_imports]
        self.units: list[_Unit] = []
        self._collect(tree.body, any(isinstance(node, ast.Global) for node in self.nodes))
        self.too_big = ""  # why the module cannot be checked, if it cannot
        self._steps = 0
        self._reach: dict[tuple[str, frozenset[str]], list[_Reached]] = {}
        try:
            if len(self.units) > MAX_UNITS:
                raise _TooBig(f"more than {MAX_UNITS:,} definitions and module-level statements")
            self._analyse()
        except _TooBig as reason:
            self.too_big = str(reason)

    def _analyse(self) -> None:
        """Read every unit once; link each to the units it leads to; judge every lookup."""
        self.bound = {name for unit in self.units for name in unit.names}
        self.calls: dict[str, list[tuple[_Unit, ast.Call, frozenset[str]]]] = {}  # callee -> where, call, locals
        self.call_of: dict[int, ast.Call] = {}  # the call of each called expression
        self.loads: dict[str, list[ast.Name]] = {}  # every read of each name
        self.reads: dict[int, tuple[set[str], set[str], list[tuple[tuple[str, ...], int, bool]]]] = {}
        for unit in self.units:
            self._read(unit, bind=True)
        self.by_name: dict[str, list[_Unit]] = {}
        by_attribute: dict[str, list[_Unit]] = {}
        for unit in self.units:
            for name in unit.names:
                self.by_name.setdefault(name, []).append(unit)
            for name in unit.attributes:
                by_attribute.setdefault(name, []).append(unit)
        self.edges: dict[int, list[tuple[_Unit, str, str]]] = {}  # unit -> (unit it leads to, step, owner)
        steps = {id(unit): _step(unit) for unit in self.units}
        pending = list(self.units)
        while pending:
            unit = pending.pop()
            names, attributes, _ = self.reads[id(unit)]
            # an attribute may be a module-level name too, read through an import of the module itself
            targets = [self.by_name.get(n, []) for n in sorted(names)]
            targets += [by_attribute.get(a, []) + self.by_name.get(a, []) for a in sorted(attributes)]
            edges = self.edges[id(unit)] = []
            for units in targets:
                self._spend(len(units))
                edges += [(u, steps[id(u)], u.label) for u in units]
            # what a function that keeps state is called with can stay in it (a library loss in a default dict)
            for caller, call, local in self.calls.get(unit.label, []) if _keeps_state(unit) else []:
                self._spend(1)
                arguments = _Unit(MODULE_CODE, [*call.args, *call.keywords], local=local)
                self._read(arguments, bind=False)
                edges.append((arguments, f"is called by {caller.label} with an argument", caller.label))
                pending.append(arguments)
        self.lookups = [
            (call.lineno, *self._lookup_problem(call))
            for call in self.nodes
            if isinstance(call, ast.Call) and self.lookup(call.func)
        ]
        self.run_time_code = _run_time_code(self)

    def _spend(self, steps: int) -> None:
        """Count steps of the analysis; past :data:`MAX_STEPS` the module is too big to check."""
        self._steps += steps
        if self._steps > MAX_STEPS:
            raise _TooBig(f"more than {MAX_STEPS:,} references between its definitions to follow")

    def _collect(self, statements: list[ast.stmt], has_globals: bool) -> None:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                walked = ast.walk(node) if has_globals else ()
                globals_ = {name for n in walked if isinstance(n, ast.Global) for name in n.names}
                unit = _Unit(node.name, [node], {node.name, *globals_})
                if isinstance(node, ast.ClassDef):
                    unit.attributes |= _bound_names(node.body)
                self.units.append(unit)
                continue
            headers, bodies = _split(node)
            if headers:
                self.units.append(_Unit(MODULE_CODE, headers, _bound_names(headers)))
            for body in bodies:
                self._collect(body, has_globals)

    def _read(self, unit: _Unit, bind: bool) -> None:
        """Walk ``unit`` once: the free names and attribute names it reads, the names it uses, and, with
        ``bind``, what it binds by mutation and which calls and reads of names it holds."""
        names: set[str] = set()
        attributes: set[str] = set()
        uses = []
        for node, local in _scoped(unit.nodes, local=unit.local):
            if bind:
                self._bind(unit, node, local)
            if isinstance(node, ast.Name) and node.id not in local:
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                attributes.add(node.attr)
            elif isinstance(node, ast.Call) and self.lookup(node.func):
                attributes.update(_strings(node.args))
            use = self._use(unit, node, local)
            if use:
                uses.append(use)
        self.reads[id(unit)] = names, attributes, uses

    def _bind(self, unit: _Unit, node: ast.AST, local: frozenset[str]) -> None:
        """Record in ``unit`` the attributes ``node`` sets and the outside objects it may change; index calls."""
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            targets.append(node)
            if isinstance(node, ast.Attribute):
                unit.attributes.add(node.attr)
        elif isinstance(node, ast.Call):
            self.call_of[id(node.func)] = node
            if node.args or node.keywords:
                callee = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                self.calls.setdefault(callee, []).append((unit, node, local))
            if isinstance(node.func, ast.Attribute):
                targets.append(node.func.value)  # a method may change its object
            targets += [arg.value if isinstance(arg, ast.Starred) else arg for arg in node.args]
            targets += [keyword.value for keyword in node.keywords]
            if self.lookup(node.func) in ("setattr", "delattr") and len(node.args) > 1:
                unit.attributes.update(_strings(node.args[1:2]))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            self.loads.setdefault(node.id, []).append(node)
        for target in targets:
            root = _root(target)
            if root is not None and root not in local and root not in self.imports:
                unit.names.add(root)

    def _use(self, unit: _Unit, node: ast.AST, local: frozenset[str]) -> tuple[tuple[str, ...], int, bool] | None:
        """The names ``node`` uses, as spelled and as resolved, its line, and whether only an exact match counts."""
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
        if not any(names):
            return None
        line = getattr(node, "lineno", 0) or getattr(unit.nodes[0], "lineno", 0)
        return tuple(n for n in names if n), line, exact

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

    def reach(self, task: str, other_tasks: frozenset[str]) -> list[_Reached]:
        """Each unit of ``task``'s code, breadth first, with the path to it and the other task on that path."""
        key = (task, other_tasks)
        if key not in self._reach:
            # a module-level __getattr__ answers for every name the module does not define
            starts = dict.fromkeys(self.by_name.get(task, []) + self.by_name.get("__getattr__", []))
            pending = deque(_Reached(unit) for unit in starts)
            seen = {id(unit) for unit in starts}
            found = []
            while pending:
                reached = pending.popleft()
                found.append(reached)
                for unit, step, owner in self.edges[id(reached.unit)]:
                    if id(unit) not in seen:
                        seen.add(id(unit))
                        gateway = reached.gateway or (owner if owner in other_tasks else None)
                        pending.append(_Reached(unit, step, reached, gateway))
            self._reach[key] = found
        return self._reach[key]

    def uses(self, unit: _Unit) -> list[tuple[tuple[str, ...], int, bool]]:
        """Every name ``unit`` uses, as spelled and as resolved, its line, and whether only an exact match counts."""
        return self.reads[id(unit)][2]

    @functools.cached_property
    def enclosing(self) -> dict[int, ast.FunctionDef | ast.AsyncFunctionDef]:
        """The module-level function whose body holds each node, outside nested definitions."""
        found = {}
        for function in _module_functions(self.tree):
            for node, _ in _scoped(function.body, into_definitions=False):
                found[id(node)] = function
        return found

    def resolve(self, name: str) -> list[str]:
        """What a free name can stand for: its import, or a name from a star import."""
        if name in self.imports:
            return [self.imports[name], self.imports[name].rsplit(".", 1)[-1]]
        if name not in self.bound and name not in BUILTINS:
            return [f"{module}.{name}" for module in self.star_modules]
        return []

    def _lookup_problem(self, call: ast.Call) -> tuple[str | None, frozenset[str] | None]:
        """Why a ``getattr``-like call could reach something the rules cannot see, if it could, and, for a
        trusted lookup, the names it may look up (a problem only if a task's rule forbids one of them)."""
        name = self.lookup(call.func)
        position = LOOKUPS[name]
        if len(call.args) <= position or any(isinstance(arg, ast.Starred) for arg in call.args[: position + 1]):
            return f"code built at run time (`{name}` without a plain name)", None
        attribute = call.args[position]
        if isinstance(attribute, ast.Constant) and isinstance(attribute.value, str):
            if attribute.value.startswith("__") and attribute.value not in SAFE_DUNDER_ATTRIBUTES:
                return f"`{attribute.value}`, which reaches objects by computed names", None
            return None, None
        return f"code built at run time (`{name}` with a computed name)", self._trusted_names(call, name)

    def _trusted_names(self, call: ast.Call, name: str) -> frozenset[str] | None:
        """The names a computed ``getattr(obj, name)`` can look up, when ``name`` can only hold what the
        tests pass or constants and ``obj`` is a value, not a library; None when it could be anything."""
        function = self.enclosing.get(id(call))
        if name != "getattr" or function is None or not isinstance(call.args[1], ast.Name):
            return None
        if not self._is_value(function, call.args[0]):
            return None
        return self._parameter_names(function, call.args[1].id)

    def _is_value(self, function: ast.FunctionDef | ast.AsyncFunctionDef, node: ast.AST) -> bool:
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
            and node.id not in self.imports
            and not self._is_alias(function, node.id)
        )

    def _is_alias(self, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
        """Whether ``function`` sets ``name`` to a name from outside it or its attribute (``lib = F``), directly
        or through other locals, rather than to a value it computes."""
        local, assigned = _locals(function), _assigned_roots(function)
        pending, seen = [name], {name}
        while pending:
            roots = assigned.get(pending.pop(), [])
            self._spend(len(roots))
            for root in roots:
                if root not in local:
                    return True
                if root not in seen:
                    seen.add(root)
                    pending.append(root)
        return False

    def _parameter_names(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str
    ) -> frozenset[str] | None:
        """The names ``parameter`` of ``function`` can hold: string constants it is given, directly or through
        parameters of its callers; None when it could hold anything (a computed value, an unpacked call,
        a function passed around)."""
        names: set[str | None] = set()
        pending, seen = [(function, parameter)], {(id(function), parameter)}
        while pending:
            values = self._passed(*pending.pop())
            if values is None:
                return None
            for value, call in values:
                if isinstance(value, ast.Constant) and (value.value is None or _plain_name(value.value)):
                    names.add(value.value)
                    continue
                caller = self.enclosing.get(id(call)) if isinstance(value, ast.Name) and call else None
                if caller is None:
                    return None
                if (id(caller), value.id) not in seen:
                    seen.add((id(caller), value.id))
                    pending.append((caller, value.id))
        return frozenset(names - {None})

    def _passed(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str
    ) -> list[tuple[ast.AST, ast.Call | None]] | None:
        """The expressions ``parameter`` of ``function`` is given (its default, and in each call the
        argument at its place), with the call; None when it could be given anything."""
        arguments = function.args
        positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
        if function.decorator_list or parameter not in positional + [a.arg for a in arguments.kwonlyargs]:
            return None
        if function.name.startswith("__"):
            return None  # Python calls it itself (a module's __getattr__), with any name
        if parameter in _inner_arguments(function) or parameter in _body_names(function):
            return None  # reassigned in the function, or another name of the same spelling inside it
        defaults = dict(zip(reversed(positional), reversed(arguments.defaults), strict=False))
        defaults.update((a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d)
        values: list[tuple[ast.AST, ast.Call | None]] = [(defaults[parameter], None)] if parameter in defaults else []
        loads = self.loads.get(function.name, [])
        self._spend(len(loads))
        for node in loads:
            call = self.call_of.get(id(node))
            if (
                call is None
                or any(isinstance(a, ast.Starred) for a in call.args)
                or any(k.arg is None for k in call.keywords)
            ):
                return None  # passed around, or called with unpacked arguments
            index = positional.index(parameter) if parameter in positional else len(call.args)
            passed = call.args[index : index + 1] + [k.value for k in call.keywords if k.arg == parameter]
            values += [(value, call) for value in passed]
        return values


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
    for node in module.star_imports:
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


def _per_node(function: Callable[[ast.AST], object]) -> Callable:
    """``function`` of one syntax node, computed once for as long as the node lives."""
    memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @functools.wraps(function)
    def once(node: ast.AST) -> object:
        if node not in memo:
            memo[node] = function(node)
        return memo[node]

    return once


@_per_node
def _locals(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> frozenset[str]:
    """The parameters and local names of a function (``global`` ones excluded)."""
    arguments = function.args
    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    names = {a.arg for a in parameters if a}
    if not isinstance(function, ast.Lambda):
        names |= _body_names(function)
        names -= {name for n in ast.walk(function) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
    return frozenset(names)


@_per_node
def _body_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The names a function's body binds."""
    return frozenset(_bound_names(function.body))


@_per_node
def _inner_arguments(function: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The parameter names inside ``function`` that are not its own (of lambdas, nested definitions, ``*args``)."""
    arguments = function.args
    own = {id(a) for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    return frozenset(n.arg for n in ast.walk(function) if isinstance(n, ast.arg) and id(n) not in own)


@_per_node
def _assigned_roots(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[str]]:
    """For each name ``function`` assigns, the names the assigned expressions start from (``lib = F.x``: ``F``)."""
    roots: dict[str, list[str]] = {}
    for node in ast.walk(function):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets, value = getattr(node, "targets", [getattr(node, "target", None)]), node.value
        elif isinstance(node, (ast.For, ast.comprehension)):
            targets, value = [node.target], node.iter
        elif isinstance(node, ast.withitem):
            targets, value = [node.optional_vars], node.context_expr
        else:
            continue
        root = _root(value) if value is not None else None
        if root is None:
            continue
        for target in targets:
            for name in ast.walk(target) if target else ():
                if isinstance(name, ast.Name):
                    roots.setdefault(name.id, []).append(root)
    return roots


def _scoped(
    nodes: Iterable[ast.AST], into_definitions: bool = True, local: frozenset[str] = frozenset()
) -> Iterator[tuple[ast.AST, frozenset[str]]]:
    """Every node under ``nodes`` with the local names of the function it is in (``local`` at the top)."""
    scopes = [(list(nodes), local)]  # what is left to walk of each scope entered, with its local names
    while scopes:
        stack, local = scopes.pop()
        while stack:
            node = stack.pop()
            yield node, local
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if not into_definitions:
                    continue
                # decorators, defaults, bases and annotations are evaluated outside the body
                stack += [*node.decorator_list, *getattr(node, "bases", []), *getattr(node, "keywords", [])]
                if isinstance(node, ast.ClassDef):
                    stack += node.body
                else:
                    stack += [node.args, *([node.returns] if node.returns else [])]
                    scopes.append((list(node.body), local | _locals(node)))
            elif isinstance(node, ast.Lambda):
                scopes.append((list(ast.iter_child_nodes(node)), local | _locals(node)))
            else:
                stack.extend(ast.iter_child_nodes(node))


def _root(node: ast.AST) -> str | None:
    """The name an expression like ``a.b[c].d`` starts from."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _strings(nodes: Iterable[ast.AST]) -> list[str]:
    return [node.value for node in nodes if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _plain_name(value: object) -> bool:
    """Whether a constant can only name a plain attribute: a string that does not start with ``_``."""
    return isinstance(value, str) and not value.startswith("_")


def _dynamic(module: _Module, matcher: _Matcher) -> list[tuple[str, int]]:
    """Code anywhere in the module whose meaning is only known at run time (to a task of ``matcher``'s rule)."""
    lookups = [
        (problem, line)
        for line, problem, names in module.lookups
        if problem and (names is None or any(matcher.match([name]) for name in names))
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
            if (
                node.attr.startswith("__") and node.attr not in SAFE_DUNDER_ATTRIBUTES
            ) or node.attr in FRAME_ATTRIBUTES:
                reasons.append(f"`{node.attr}`, which reaches objects by computed names")
            else:
                reasons.append(_dynamic_module(module.dotted(node) or ""))
        elif isinstance(node, ast.Import):
            reasons += [_dynamic_module(alias.name) or _made_at_run_time(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or "", *(f"{node.module}.{alias.name}" for alias in node.names)]
            reasons += [_dynamic_module(name) for name in modules]
            if node.level:
                reasons.append("a relative import")
            else:
                reasons += [_made_at_run_time(name) for name in modules[1:]]
        found += [(reason, line) for reason in reasons if reason]
    return found


def _dynamic_module(dotted: str) -> str | None:
    """Why a dotted name escapes the rules, if it does: it runs given code or is a library's internals."""
    if not dotted:
        return None
    parts = dotted.split(".")
    if parts[0] == ENGINE:
        return f"`{dotted}`, the grader's own code"
    if any(part.startswith("_") and not part.startswith("__") for part in parts):
        return f"`{dotted}`, a library's internals"
    if parts[0] == "os" and len(parts) > 1 and parts[1].startswith(OS_PROCESS_CALLS):
        return f"`{dotted}`, which runs other programs"
    if any(dotted == m or dotted.startswith(m + ".") for m in DYNAMIC_MODULES):
        return f"`{dotted}`, which runs code it is given or looks things up by computed names"
    for start in range(1, len(parts)):
        if parts[start] in GATEWAY_MODULES and not _is_submodule(".".join(parts[: start + 1])):
            return _dynamic_module(".".join(parts[start:])) or f"`{dotted}`, a module reached through another"
    if parts[0] not in sys.stdlib_module_names and not _allowed_library(dotted) and _installed(parts[0]):
        return f"`{dotted}`, from a library the rules do not read, which could run code or find objects by name"
    return None


@functools.lru_cache(maxsize=256)
def _installed(top: str) -> bool:
    try:
        return importlib.util.find_spec(top) is not None  # a top-level name: nothing runs to find it
    except (ImportError, ValueError):
        return False


def _allowed_library(dotted: str) -> bool:
    return any(dotted == library or dotted.startswith(library + ".") for library in LIBRARIES)


@functools.lru_cache(maxsize=256)
def _is_submodule(dotted: str) -> bool:
    """Whether ``dotted`` names a module of its package on disk (``torch.types``), as opposed to an
    attribute its parent hands on (``dataclasses.builtins``); found from files, nothing imported."""
    top, *rest = dotted.split(".")
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: nothing runs to find it
    except (ImportError, ValueError):
        return False
    folders = list(spec.submodule_search_locations or []) if spec else []
    for index, part in enumerate(rest):
        packages = [os.path.join(folder, part) for folder in folders if os.path.isdir(os.path.join(folder, part))]
        if index == len(rest) - 1:
            suffixes = importlib.machinery.all_suffixes()
            files = [os.path.join(folder, part + suffix) for folder in folders for suffix in suffixes]
            return bool(packages) or any(os.path.isfile(file) for file in files)
        folders = packages
    return False


@functools.lru_cache(maxsize=256)
def _made_at_run_time(dotted: str) -> str | None:
    """Why an import may run code the rules cannot read: its module is in no library installed here,
    or is a module of the standard library outside :data:`STANDARD_MODULES`, or of a library
    outside :data:`LIBRARIES`."""
    top = dotted.split(".")[0]
    if top in STANDARD_MODULES:
        return None
    if top in sys.stdlib_module_names:
        return f"`{top}`, a module of the standard library that could run code or look things up by name"
    if not _installed(top):
        return f"`{top}`, a module not installed, which your code could write as it runs"
    return _dynamic_module(dotted)


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
