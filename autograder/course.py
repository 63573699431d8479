"""The course on disk: assignments, their tasks and rules, and where every file lives.

A course root holds ``assignments/<id>/`` (what students get: ``assignment.toml``, the
stub module, public tests, README, optional ``support.py``, ``probes.py`` and
``expected.json``) and ``solutions/<id>/`` (the reference solution, hidden tests, the banks
of known mistakes and correct variants, optional ``expected.py``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

from autograder.rules import FAMILIES

COURSE_VARIABLE = "AUTOGRADER_COURSE"
MANIFEST = "assignment.toml"
EXPECTED = "expected.json"  # the reference's results for the public tests, written by `autograder sync`
EXPECTED_RECIPE = "expected.py"  # in solutions/<id>/: what sync computes with the reference


class CourseError(Exception):
    """The course or an assignment cannot be found or read."""


@dataclass(frozen=True)
class Task:
    """One function or class a student implements."""

    name: str
    forbid: tuple[str, ...] = ()
    rule: str = ""


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    module: str
    tasks: tuple[Task, ...]
    public_dir: Path
    solution_dir: Path | None = field(default=None)
    sandbox_preload: tuple[str, ...] = ()
    rules_note: str = ""  # what the README's rules section adds (e.g. what students may use freely)

    @property
    def stub_file(self) -> Path:
        return self.public_dir / f"{self.module}.py"

    @property
    def manifest_file(self) -> Path:
        return self.public_dir / MANIFEST

    @property
    def expected_file(self) -> Path:
        return self.public_dir / EXPECTED

    @property
    def expected_recipe(self) -> Path | None:
        """``solutions/<id>/expected.py``, when the public tests compare with the reference's results."""
        path = self._solutions() / EXPECTED_RECIPE
        return path if path.exists() else None

    @property
    def probes_file(self) -> Path | None:
        path = self.public_dir / "probes.py"
        return path if path.exists() else None

    @property
    def reference_file(self) -> Path:
        return self._solutions() / f"{self.module}.py"

    @property
    def public_tests(self) -> list[Path]:
        return sorted(self.public_dir.glob("test_*.py"))

    @property
    def hidden_tests(self) -> list[Path]:
        """Hidden tests; none where the instructor files are not at hand (a student's repository)."""
        return sorted(self.solution_dir.glob("test_*.py")) if self.solution_dir else []

    @property
    def bank_dir(self) -> Path:
        return self._solutions() / "bank"

    def task(self, name: str) -> Task:
        for task in self.tasks:
            if task.name == name:
                return task
        raise CourseError(f"{self.id} has no task {name!r} (its tasks: {', '.join(self.task_names)})")

    @property
    def task_names(self) -> list[str]:
        return [task.name for task in self.tasks]

    def _solutions(self) -> Path:
        if self.solution_dir is None:
            raise CourseError(f"the instructor files of {self.id} (solutions/{self.id}) are not here")
        return self.solution_dir


def read_assignment(public_dir: Path, solution_dir: Path | None = None) -> Assignment:
    """Read ``assignment.toml`` in ``public_dir``; a malformed one is a CourseError naming its file and line."""
    manifest = public_dir / MANIFEST
    try:
        text = manifest.read_text()
    except FileNotFoundError:
        raise CourseError(f"{public_dir} is not an assignment folder (no {MANIFEST})") from None
    data = read_toml(manifest, text)
    for key in ("title", "module"):
        if not isinstance(data.get(key), str):
            raise CourseError(f'{manifest}:{_line_of(text, key)}: {key} must be a string, e.g. {key} = "..."')
    entries = data.get("tasks")
    if not isinstance(entries, list) or not entries:
        raise CourseError(f"{manifest}:{_line_of(text, '[[tasks]]')}: no [[tasks]] with a name")
    for number, entry in enumerate(entries):
        problem = _task_problem(entry)
        if problem:
            raise CourseError(f"{manifest}:{_line_of(text, '[[tasks]]', number)}: task {number + 1} {problem}")
    preload = data.get("sandbox_preload", [])
    if not (isinstance(preload, list) and all(isinstance(name, str) and _is_module(name) for name in preload)):
        raise CourseError(f"{manifest}:{_line_of(text, 'sandbox_preload')}: sandbox_preload must list module names")
    if not isinstance(data.get("rules_note", ""), str):
        raise CourseError(f"{manifest}:{_line_of(text, 'rules_note')}: rules_note must be a string")
    tasks = tuple(Task(entry["name"], tuple(entry.get("forbid", ())), entry.get("rule", "")) for entry in entries)
    return Assignment(
        public_dir.name,
        data["title"],
        data["module"],
        tasks,
        public_dir,
        solution_dir,
        tuple(preload),
        data.get("rules_note", ""),
    )


def _task_problem(entry: object) -> str | None:
    """What is wrong with one ``[[tasks]]`` table, if anything."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].isidentifier():
        return 'has no name (name = "the function or class students write")'
    forbid = entry.get("forbid", [])
    if not (isinstance(forbid, list) and all(isinstance(name, str) for name in forbid)):
        return 'forbid must be a list of names, e.g. forbid = ["torch.autograd"]'
    unknown = [name for name in forbid if name.startswith("@") and name not in FAMILIES]
    if unknown:
        return f"forbids {unknown[0]!r}, which is no family (families: {', '.join(FAMILIES)})"
    if not isinstance(entry.get("rule", ""), str):
        return "rule must be a string"
    if bool(forbid) != bool(entry.get("rule")):
        return "needs both a rule (the words students read) and forbid (the names it checks), or neither"
    return None


def _is_module(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


def _line_of(text: str, start: str, nth: int = 0) -> int:
    """The number of the ``nth`` line of ``text`` that starts with ``start`` (1 when there is none)."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(start)]
    return found[nth] if len(found) > nth else 1


def read_toml(path: Path, text: str | None = None) -> dict:
    """A TOML file of the course; a syntax error is a CourseError that names the file and line."""
    try:
        return tomllib.loads(path.read_text() if text is None else text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"at line (\d+)", str(error))
        where = f"{path}:{line.group(1)}" if line else str(path)
        raise CourseError(f"{where}: not valid TOML ({str(error).split(' (at line')[0]})") from None


def course_root(start: Path | None = None) -> Path:
    """The folder holding ``assignments/``: $AUTOGRADER_COURSE, else the nearest above
    ``start`` (default: the working directory), else the one this package came with."""
    if os.environ.get(COURSE_VARIABLE):
        return Path(os.environ[COURSE_VARIABLE]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents, Path(__file__).resolve().parents[1]]:
        if (folder / "assignments").is_dir():
            return folder
    raise CourseError("no course found: run inside a course folder or set " + COURSE_VARIABLE)


def load(name: str, root: Path | None = None) -> Assignment:
    """An assignment by id (``01_gradient_descent``) or by the path of its folder."""
    path = Path(name)
    if path.is_dir() and (path / MANIFEST).exists():
        public_dir = path.resolve()
        root = public_dir.parents[1] if public_dir.parent.name == "assignments" else None
    else:
        root = root or course_root()
        public_dir = root / "assignments" / name
        if not public_dir.is_dir():
            known = ", ".join(a.id for a in all_assignments(root)) or "none"
            raise CourseError(f"unknown assignment {name!r} (known: {known})")
    solution_dir = root / "solutions" / public_dir.name if root else None
    return read_assignment(public_dir, solution_dir if solution_dir and solution_dir.is_dir() else None)


def all_assignments(root: Path | None = None) -> list[Assignment]:
    root = root or course_root()
    return [
        load(folder.name, root) for folder in sorted((root / "assignments").iterdir()) if (folder / MANIFEST).exists()
    ]


@cache
def import_module_file(path: Path, name: str) -> ModuleType:
    """A trusted instructor module (reference, probes, bank entry), imported once per process."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
