"""Single source: what students get is generated from the reference solution and the manifest.

Inside a reference, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are the
answer; in the stub they become ``raise NotImplementedError`` at the same indentation. Each
task's rule is written once, in the manifest (``rule``, ``forbid``): :func:`reference_text`
renders it into the task's docstring (and so into the stub and the notebook), and
:func:`readme_text` into the README's rules section. The values public tests compare with come
from the reference too (:func:`expected_text`), so no public file holds an implementation that
computes them.
"""

from __future__ import annotations

import ast
import json
import textwrap

from autograder.course import Assignment, CourseError, Task, import_module_file
from autograder.rules import FAMILIES, LIBRARIES, MAX_UNITS

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
RULE_START = "Rule:"  # the docstring paragraph that carries a task's rule
RULES_HEADING = "## Rules"
SECTIONS = {"Args:", "Arguments:", "Returns:", "Raises:", "Yields:", "Example:", "Examples:", "Note:"}
WIDTH = 92  # of the rendered paragraphs
RULES_CHECKED = (
    "Rules are checked on your source, in the task's function and in any helper of your module "
    "it calls. A forbidden name counts however you reach it (`F.softmax`, `x.softmax(1)`, "
    "`from torch import softmax as s`); a function of your own by that name does not. A task "
    "that breaks its rule gets no points. Code built at run time (`eval`, `exec`, `getattr` "
    "with a computed name, ...), importing the grader (`autograder`) and a module too big to check "
    f"(more than {MAX_UNITS:,} definitions and statements) break every rule. So does importing a "
    "module that can run code it is given: use the standard library's modules that compute (`math`, "
    f"`random`, `typing`, ...) and {', '.join(f'`{name}`' for name in LIBRARIES)}."
)


CONFTEST = '''\
"""Runs the public tests against your module, with one line per task at the end."""

from pathlib import Path

from autograder.testing.student import StudentPlugin


def pytest_configure(config):
    config.pluginmanager.register(StudentPlugin(Path(__file__).parent), "autograder-student")
'''


class MarkerError(ValueError):
    """Solution markers that do not pair up, at ``line``."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line, self.problem = line, problem


def make_stub(reference: str) -> str:
    """The student stub for a reference solution's source."""
    lines, inside = [], False
    for number, line in enumerate(reference.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise MarkerError(number, f"{BEGIN} inside another solution block")
            inside, opened = True, number
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}raise NotImplementedError\n")
        elif marker == END:
            if not inside:
                raise MarkerError(number, f"{END} without {BEGIN}")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise MarkerError(opened, f"{BEGIN} is never closed")
    return "".join(lines)


def stub_for(assignment: Assignment) -> str:
    """The stub generated from the reference (its rules rendered); a reference that does not
    parse or pair its markers is a CourseError."""
    try:
        return make_stub(reference_text(assignment))
    except MarkerError as error:
        raise CourseError(f"{assignment.reference_file}:{error.line}: {error.problem}") from None


def rule_sentence(task: Task, quote: str) -> str:
    """A task's rule as students read it: the manifest's words, then the names it forbids, each
    between ``quote``, and the words of each family it forbids."""
    names = [f"{quote}{name}{quote}" for name in task.forbid if name not in FAMILIES]
    parts = [names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"] if names else []
    parts += [FAMILIES[name].words.replace("`", quote) for name in task.forbid if name in FAMILIES]
    return f"{task.rule}. Not allowed: {'; '.join(parts)}."


def reference_text(assignment: Assignment) -> str:
    """The reference as ``sync`` keeps it: every task's docstring holds its rule from the manifest
    (a ``Rule:`` paragraph, before the ``Args:``/``Returns:`` sections), and no other rule."""
    path = assignment.reference_file
    try:
        source = path.read_text()
        tree = ast.parse(source, str(path))
    except FileNotFoundError:
        raise CourseError(f"{path}: the reference solution is missing") from None
    except SyntaxError as error:
        raise CourseError(f"{path}:{error.lineno}: {error.msg}") from None
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    definitions = {node.name: node for node in tree.body if isinstance(node, kinds)}
    missing = [task.name for task in assignment.tasks if task.name not in definitions]
    if missing:
        raise CourseError(f"{path}: the manifest's task {missing[0]} is not defined here")
    lines = source.splitlines(keepends=True)
    for task in sorted(assignment.tasks, key=lambda task: -definitions[task.name].lineno):  # bottom up
        node = definitions[task.name]
        docstring = node.body[0] if _is_docstring(node.body[0]) else None
        if docstring is None:
            if task.forbid:
                raise CourseError(f"{path}:{node.lineno}: {task.name} needs a docstring to carry its rule")
            continue
        first, last = docstring.lineno - 1, docstring.end_lineno
        lines[first:last] = _with_rule("".join(lines[first:last]), task)
    return "".join(lines)


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _with_rule(literal: str, task: Task) -> list[str]:
    """The source lines of a docstring ``literal`` whose ``Rule:`` paragraph is the task's
    (none for a task without a rule); a docstring that has and needs none stays as it is."""
    quote = '"""' if '"""' in literal else "'''"
    opened, closed = literal.index(quote) + 3, literal.rindex(quote)
    head, tail = literal[:opened], literal[closed:]
    indent = head[: len(head) - len(head.lstrip())]
    first, *rest = literal[opened:closed].split("\n")
    lines = [first, *(line if line.strip() else "" for line in rest)]
    start = next((i for i, line in enumerate(lines) if i and line.strip().startswith(RULE_START)), None)
    if start is None and not task.forbid:
        return [literal]
    if start is not None:
        end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
        del lines[start:end]
    else:
        start = next((i for i, line in enumerate(lines) if i and line.strip() in SECTIONS), len(lines))
    if task.forbid:
        text = f"{RULE_START} {rule_sentence(task, '``')}"
        paragraph = textwrap.wrap(text, WIDTH - len(indent), break_on_hyphens=False)
        lines[start:start] = ["", *(indent + line for line in paragraph), ""]
    lines = [line for i, line in enumerate(lines) if i == 0 or line or lines[i - 1]]  # one blank line at most
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    if len(lines) == 1:
        return [head + lines[0] + tail]
    return [head + "\n".join(lines) + "\n" + indent + tail]


def readme_text(assignment: Assignment) -> str:
    """The README with its ``## Rules`` section (added at the end if missing) rendered from the manifest."""
    path = assignment.public_dir / "README.md"
    try:
        lines = path.read_text().splitlines(keepends=True)
    except FileNotFoundError:
        raise CourseError(f"{path}: the assignment's README is missing") from None
    start = next((i for i, line in enumerate(lines) if line.strip() == RULES_HEADING), None)
    if start is None:
        return "".join(lines).rstrip("\n") + "\n\n" + rules_section(assignment)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("# ", "## "))), len(lines))
    return (
        "".join(lines[:start]) + rules_section(assignment) + ("\n" if end < len(lines) else "") + "".join(lines[end:])
    )


def rules_section(assignment: Assignment) -> str:
    """The README's rules: one item per task that has a rule, the manifest's ``rules_note``, how they are checked."""
    ruled = [task for task in assignment.tasks if task.forbid]
    items = [f"- `{task.name}`: {rule_sentence(task, '`')}" for task in ruled]
    if ruled:
        prose = [assignment.rules_note, RULES_CHECKED]
    else:
        prose = [f"No task of this assignment has a rule (a name it must not use). {assignment.rules_note}"]
    paragraphs = ["\n".join(_fill(item, subsequent_indent="  ") for item in items), *map(_fill, prose)]
    return f"{RULES_HEADING}\n\n" + "\n\n".join(p for p in paragraphs if p) + "\n"


def _fill(text: str, subsequent_indent: str = "") -> str:
    return textwrap.fill(text.strip(), WIDTH, subsequent_indent=subsequent_indent, break_on_hyphens=False)


def expected_text(assignment: Assignment) -> str | None:
    """``expected.json``: what ``expected(reference, support)`` of ``solutions/<id>/expected.py``
    returns, as JSON (tensors as lists); None when the assignment has no such recipe."""
    recipe_file = assignment.expected_recipe
    if recipe_file is None:
        return None
    recipe = import_module_file(recipe_file, f"_expected_{assignment.id}")
    reference = import_module_file(assignment.reference_file, f"_reference_{assignment.id}")
    support = import_module_file(assignment.public_dir / "support.py", f"_support_{assignment.id}")
    values = recipe.expected(reference, support)
    rows = [f"  {json.dumps(name)}: {json.dumps(_plain(value))}" for name, value in values.items()]
    return "{\n" + ",\n".join(rows) + "\n}\n"


def _plain(value: object) -> object:
    """Tensors and tuples as lists; floats to 10 significant digits, so that every machine writes
    the same file (the reference computes them in float64)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return float(f"{value:.10g}") if isinstance(value, float) else value
