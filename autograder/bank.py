"""Banks of known mistakes and of correct variants, and the hints they give.

``solutions/<id>/bank/`` holds ``wrong/<name>.py`` (each a realistic mistake),
``right/<name>.py`` (valid ways students write the tasks) and ``bank.toml``, which says
for every wrong entry the tasks it must lose and the hint a student gets when their
output matches it; optionally its ``symptom``, words of the failure message it causes,
which rule it in or out before it is run (worth it for mistakes that take a training run).
An entry file holds only the definitions it changes; the submission it stands for is the
reference with those definitions put in place. A file whose first line is
``# complete module`` is a whole submission by itself.
"""

from __future__ import annotations

import ast
import math
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from autograder import course, rules
from autograder.course import Assignment, CourseError
from autograder.results import TaskResult
from autograder.sandbox import execution, protocol
from autograder.testing import context
from autograder.testing.plugin import Failure

COMPLETE = "# complete module"
MIN_MISTAKES, MIN_VARIANTS = 15, 6  # what validate asks of a bank unless its bank.toml says otherwise


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "wrong" or "right"
    path: Path
    loses: tuple[str, ...] = ()
    hint: str = ""
    symptom: str = ""  # words of the failure message this mistake causes (cheap evidence before running it)

    def source(self, assignment: Assignment) -> str:
        """The complete submission this entry stands for."""
        text = self.path.read_text()
        if text.startswith(COMPLETE):
            return text
        return compose(assignment.reference_file.read_text(), text)

    def write(self, assignment: Assignment, folder: Path) -> Path:
        """Write the complete submission to ``folder/<module>.py``."""
        path = folder / f"{assignment.module}.py"
        path.write_text(self.source(assignment))
        return path


def compose(reference: str, changes: str) -> str:
    """The reference with each top-level definition or assignment of ``changes`` replacing its namesake."""
    change_tree = ast.parse(changes)
    changed = {name: node for node in change_tree.body for name in _defines(node)}
    change_lines, lines = changes.splitlines(), reference.splitlines()
    placed = set()
    for node in sorted(ast.parse(reference).body, key=lambda n: n.lineno, reverse=True):
        new = next((changed[name] for name in _defines(node) if name in changed), None)
        if new is not None and id(new) not in placed:
            placed.add(id(new))
            lines[_first_line(node) - 1 : node.end_lineno] = change_lines[_first_line(new) - 1 : new.end_lineno]
    preamble = [line for line in change_lines if line.startswith(("import ", "from "))]
    extra = [
        "\n".join(change_lines[_first_line(node) - 1 : node.end_lineno])
        for node in change_tree.body
        if _defines(node) and id(node) not in placed
    ]
    return "\n".join(preamble + lines + [""] + extra) + "\n"


def _defines(node: ast.stmt) -> list[str]:
    """The top-level names a statement defines (functions, classes, assigned names)."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [target.id for target in targets if isinstance(target, ast.Name)]
    return []


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])


def metadata(assignment: Assignment) -> dict[str, Any]:
    """The assignment's ``bank.toml`` ({} where there is none); a malformed one is a CourseError naming its line."""
    path = assignment.bank_dir / "bank.toml"
    try:
        return course.read_toml(path)
    except FileNotFoundError:
        return {}


def minimums(assignment: Assignment) -> tuple[int, int]:
    """How many mistakes and correct variants validate asks of the bank (``min_mistakes``, ``min_variants``)."""
    meta = metadata(assignment)
    return int(meta.get("min_mistakes", MIN_MISTAKES)), int(meta.get("min_variants", MIN_VARIANTS))


def entries(assignment: Assignment) -> list[Entry]:
    """Every bank entry of the assignment, wrong ones first, each in name order."""
    if assignment.solution_dir is None:
        return []
    folder = assignment.bank_dir
    meta = metadata(assignment)
    if not meta:
        return []
    found = []
    for path in sorted((folder / "wrong").glob("*.py")):
        info = meta.get("wrong", {}).get(path.stem)
        where = _header_line(folder / "bank.toml", f"wrong.{path.stem}")
        if not isinstance(info, dict):
            raise CourseError(f"{where}: {path.name} has no [wrong.{path.stem}] entry with loses and hint")
        missing = [key for key in ("loses", "hint") if key not in info]
        if missing:
            raise CourseError(f"{where}: [wrong.{path.stem}] has no {' and no '.join(missing)}")
        loses, known = info["loses"], ", ".join(assignment.task_names)
        if not isinstance(loses, list) or not loses or not set(loses) <= set(assignment.task_names):
            raise CourseError(
                f"{where}: [wrong.{path.stem}] loses must list some of its tasks ({known}), got {loses!r}"
            )
        found.append(Entry(path.stem, "wrong", path, tuple(loses), info["hint"], info.get("symptom", "")))
    found += [Entry(path.stem, "right", path) for path in sorted((folder / "right").glob("*.py"))]
    for entry in found:
        check_syntax(entry.path)
    return found


def check_syntax(path: Path) -> None:
    """Raise a CourseError naming ``path`` and the line when the instructor's Python file does not parse."""
    try:
        ast.parse(path.read_text(), str(path))
    except SyntaxError as error:
        raise CourseError(f"{path}:{error.lineno}: {error.msg}") from None


def _header_line(path: Path, table: str) -> str:
    """``path:line`` of the ``[table]`` header in a TOML file, else just ``path``."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip() == f"[{table}]":
            return f"{path}:{number}"
    return str(path)


def demo_entry(assignment: Assignment) -> Entry | None:
    """The mistake ``autograder demo`` shows (``demo = NAME`` in bank.toml)."""
    name = metadata(assignment).get("demo")
    return next((entry for entry in entries(assignment) if entry.name == name), None)


@cache
def _module(assignment: Assignment, entry: Entry) -> ModuleType:
    module = ModuleType(f"_bank_{assignment.id}_{entry.name}")
    module.__file__ = str(entry.path)
    exec(compile(entry.source(assignment), str(entry.path), "exec"), module.__dict__)  # trusted instructor code
    return module


MIN_AGREEING_CALLS = 2  # different failing calls a mistake must reproduce before it is named
MAX_CALLS_PER_TASK = 3  # the failing calls of a task that a candidate mistake is checked on
MAX_FUNCTION_RUNS = 60  # runs of bank entries on function calls, per grading
MAX_PROBE_RUNS = 16  # runs on probe calls (which may train a model), per grading
CACHE_BYTES = 64 * 2**20  # outputs of bank entries kept for later gradings in the same process
RICH_ANSWER_BYTES = 64 * 2**10  # an answer this large, reproduced, names a mistake on its own


class Explainer:
    """Names the known mistake that a task's failing calls reproduce, worked out in the grader.

    Run once, after every test: for each failing task, its failing calls with different
    inputs (cheap function calls before probes) are replayed on the bank's mistakes that
    break this task and only tasks that failed too. A mistake is named only when the task
    has at least :data:`MIN_AGREEING_CALLS` of them and the mistake reproduces all of those
    checked (the same values, or the same exception type): one matching small call may be a
    coincidence; the check stops at a reproduced answer of :data:`RICH_ANSWER_BYTES`. A
    mistake whose declared symptom is not in the failure messages is not run at all, nor one
    that breaks its task's rule (see :func:`caught_by_rule`). Each
    candidate stops at its first mismatch, each grading has a fixed budget of runs, and the
    outcome depends only on the submission's calls, never on timing or on what was cached.
    """

    def __init__(self, assignment: Assignment, probes: ModuleType | None) -> None:
        self.assignment, self.probes = assignment, probes
        self.wrong = [entry for entry in entries(assignment) if entry.kind == "wrong"]

    def explain(self, tasks: dict[str, TaskResult], failures: list[Failure]) -> None:
        """Set ``mistake`` and ``hint`` on the failing tests whose calls a known mistake reproduces."""
        failed = {name for name, task in tasks.items() if not task.passed}
        budget = {"function": MAX_FUNCTION_RUNS, "probe": MAX_PROBE_RUNS}
        for task in tasks:
            evidence = _evidence([failure for failure in failures if failure.task == task])
            if len(evidence) < MIN_AGREEING_CALLS:
                continue
            messages = " ".join(failure.result.message for failure in evidence)
            for entry in self._candidates(task, failed, messages):
                verdict = self._reproduces(entry, [failure.call for failure in evidence], budget)
                if verdict is None:
                    return  # the budget is spent
                if verdict:
                    for failure in evidence:
                        failure.result.mistake, failure.result.hint = entry.name, entry.hint
                    break

    def _candidates(self, task: str, failed: set[str], messages: str) -> list[Entry]:
        """Mistakes that break ``task`` and nothing that passed, and whose symptom (if declared) showed.

        The task's own mistakes come before upstream ones, and among them those whose symptom
        showed, the most specific (the longest) first: the surest evidence is tried first.
        """
        fitting = [
            entry
            for entry in self.wrong
            if task in entry.loses
            and set(entry.loses) <= failed
            and entry.symptom in messages
            and not caught_by_rule(self.assignment, entry)
        ]
        return sorted(fitting, key=lambda entry: (entry.loses[0] != task, -len(entry.symptom)))

    def _reproduces(self, entry: Entry, calls: list[context.Call], budget: dict[str, int]) -> bool | None:
        """Whether ``entry`` gives what the submission gave on every call; None when the budget runs out.

        An answer of :data:`RICH_ANSWER_BYTES` or more (a trained network's weights, its batches)
        that the entry reproduces decides alone: no coincidence matches so many numbers, and the
        other calls would each cost another training."""
        for call in calls:
            kind = "probe" if call.kind == "probe" else "function"
            if budget[kind] == 0:
                return None
            budget[kind] -= 1
            if not _same_outcome(call, self._output(entry, call)):
                return False
            if not call.raised and protocol.size_of([call.value, call.args_after]) >= RICH_ANSWER_BYTES:
                return True
        return True

    def _output(self, entry: Entry, call: context.Call) -> Outcome:
        """What ``entry`` returns for ``call`` and leaves of its arguments, or the exception type it raises.

        Remembered (up to :data:`CACHE_BYTES` of outputs, least recently used dropped first)
        for the life of the process: a batch or a validation meets the same hidden inputs
        again and again, and a probe may train.
        """
        key = (self.assignment.id, entry.name, call.kind, call.name, call.seed, _digest(call.args, call.kwargs))
        if key in _outputs:
            _outputs.move_to_end(key)
            return _outputs[key]
        try:
            module = _module(self.assignment, entry)
            copies = protocol.roundtrip({"args": list(call.args), "kwargs": call.kwargs})
            execution.seed_everything(call.seed)
            target = getattr(self.probes if call.kind == "probe" else module, call.name)
            leading = [module] if call.kind == "probe" else []
            value = target(*leading, *copies["args"], **copies["kwargs"])
            outcome = Outcome(protocol.roundtrip(value), copies["args"])
        except Exception as error:  # trusted instructor code: the mistake raises on this input
            outcome = Outcome(None, [], type(error).__name__)
        _remember(key, outcome)
        return outcome


@cache
def caught_by_rule(assignment: Assignment, entry: Entry) -> bool:
    """Whether ``entry`` breaks the rule of its first task: the rule itself reports that mistake,
    and its values are a right answer's (a torch function, autograd), so they explain no failing call;
    running it could cost more than the whole grading (``torch.optim`` imports ``torch._dynamo``)."""
    task = next(task for task in assignment.tasks if task.name == entry.loses[0])
    rules_of = {other.name: other.forbid for other in assignment.tasks}
    return bool(task.forbid) and bool(rules.find_violations(entry.source(assignment), task.name, task.forbid, rules_of))


@dataclass(frozen=True)
class Outcome:
    """What a bank entry did on a call: its value and arguments after, or the exception it raised."""

    value: Any
    args_after: list
    raised: str = ""


def _same_outcome(call: context.Call, outcome: Outcome) -> bool:
    if call.raised or outcome.raised:
        return call.raised == outcome.raised
    try:
        return same_values(call.value, outcome.value) and same_values(call.args_after, outcome.args_after)
    except (ArithmeticError, TypeError, ValueError, RuntimeError):  # values the submission chose (10**400, ...)
        return False


def _evidence(failures: list[Failure]) -> list[Failure]:
    """Up to :data:`MAX_CALLS_PER_TASK` failures on different inputs, function calls before probes."""
    distinct: dict[str, Failure] = {}
    for failure in failures:
        call = failure.call
        distinct.setdefault(f"{call.kind}:{call.name}:{_digest(call.args, call.kwargs)}", failure)
    ordered = sorted(distinct.values(), key=lambda failure: failure.call.kind == "probe")
    return ordered[:MAX_CALLS_PER_TASK]


_outputs: OrderedDict[tuple, Outcome] = OrderedDict()
_sizes: dict[tuple, int] = {}


def _remember(key: tuple, outcome: Outcome) -> None:
    _outputs[key], _sizes[key] = outcome, protocol.size_of([outcome.value, outcome.args_after])
    while sum(_sizes.values()) > CACHE_BYTES and len(_outputs) > 1:
        oldest, _ = _outputs.popitem(last=False)
        del _sizes[oldest]


def _digest(args: tuple, kwargs: dict) -> str:
    return protocol.digest({"args": list(args), "kwargs": kwargs})


def same_values(a: Any, b: Any) -> bool:
    """Whether two results agree: same types, shapes and kinds of dtype; floats within float32 rounding."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape):
            return False
        if a.requires_grad != b.requires_grad:
            return False
        if a.is_floating_point() and b.is_floating_point():
            return torch.allclose(a.double(), b.double(), rtol=1e-4, atol=1e-6, equal_nan=True)
        return a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype.kind == b.dtype.kind
            and bool(np.allclose(a, b, rtol=1e-4, atol=1e-6, equal_nan=True))
        )
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, (int, float))
            and isinstance(b, (int, float))
            and math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6)
        ) or (a != a and b != b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b
