"""``autograder new``: a fresh assignment that ``sync`` and ``validate`` accept at once.

The scaffold holds one small example task (``double``) in every file an assignment needs:
the manifest, the reference with its solution markers, a public and a hidden test, a bank
with one known mistake and one correct variant, and a README. The instructor then replaces
the example with the assignment's own tasks, file by file (see ``docs/authoring.md``).
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path

from autograder.course import MANIFEST, CourseError

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

MANIFEST_TEXT = """\
# The tasks of this assignment, in order, and their rules. Rules are checked on your source:
# a task that uses something its rule forbids (directly or in a helper it calls) gets 0.
title = {title_toml}
module = "{module}"

[[tasks]]
name = "double"
# A task's rule is written here only: `autograder sync` renders it into the task's docstring
# (so the stub and the notebook) and the README's rules section. For example:
# rule = "no torch.mul: multiply with the * operator"
# forbid = ["mul"]
"""

README_TEXT = """\
# Assignment {id} — {title}

Write each task in `{module}.py` (or in the notebook `{module}.ipynb`), then run `pytest`
in this folder: it runs the public tests and prints one line per task. Hidden tests are
run when you hand in.

## Tasks

1. `double(x)`: a new tensor holding every element of `x` times two.

## Rules

`autograder sync` writes this section from `assignment.toml`.
"""

REFERENCE_TEXT = '''\
"""Assignment {id} — {title}.

Write each task where it says ``raise NotImplementedError``, then run ``pytest`` in this folder.
"""

import torch


def double(x: torch.Tensor) -> torch.Tensor:
    """Return a new tensor holding every element of ``x`` times two; ``x`` stays unchanged.

    Args:
        x: a float tensor of any shape.
    """
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION
'''

PUBLIC_TEST_TEXT = '''\
"""Public tests of assignment {id}. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task.
"""

import torch

from autograder.testing import expect_close, task


@task("double", points=1)
def test_double_doubles_a_vector(submission):
    """double(x) is 2 * x, element by element."""
    x = torch.tensor([1.0, -2.0, 0.5])
    expect_close(submission.double(x), 2 * x)
'''

HIDDEN_TEST_TEXT = '''\
"""Hidden tests of assignment {id}: the submission against the reference solution."""

from hypothesis import given

from autograder.testing import expect_close, task
from autograder.testing.strategies import shapes, tensors


@task("double", points=1)
@given(x=tensors(shapes(max_dims=3)))
def test_double_matches_reference(submission, reference, x):
    """double agrees with the reference for any shape."""
    expect_close(submission.double(x), reference.double(x))
'''

BANK_TEXT = """\
# Known mistakes of {id}: the tasks each must lose, and the hint a student gets when their
# output matches it. Entries in right/ are correct variants (full marks).
demo = "double_adds_two"

# While the bank is young, validate asks for this many entries of each kind; delete these two
# lines once it holds the course's default of 15 mistakes and 6 variants.
min_mistakes = 1
min_variants = 1

[wrong.double_adds_two]
loses = ["double"]
hint = "double adds 2 to every element: it should multiply each element by 2"
"""

WRONG_TEXT = '''\
def double(x):
    """Adds instead of multiplying."""
    return x + 2
'''

RIGHT_TEXT = '''\
def double(x):
    """Adds x to itself: the same values as 2 * x."""
    return x + x
'''


def default_module(assignment_id: str) -> str:
    """The module name an id suggests: ``06_attention`` -> ``attention``."""
    return re.sub(r"^[0-9_-]+", "", assignment_id).replace("-", "_").lower() or "solution"


def new(root: Path, assignment_id: str, module: str | None = None, title: str | None = None) -> list[Path]:
    """Write the scaffold of assignment ``assignment_id`` into the course at ``root``; returns the files."""
    if not ID_PATTERN.fullmatch(assignment_id):
        raise CourseError(
            f"{assignment_id!r} is not an assignment id: use letters, digits, _ and - (e.g. 06_attention)"
        )
    module = module or default_module(assignment_id)
    if not module.isidentifier() or keyword.iskeyword(module):
        raise CourseError(f"{module!r} is not a Python module name: pass --module NAME")
    public, solutions = root / "assignments" / assignment_id, root / "solutions" / assignment_id
    for folder in (public, solutions):
        if folder.exists():
            raise CourseError(f"{folder} already exists: choose another id, or remove it first")
    title = title or assignment_id.replace("_", " ")
    if not title.isprintable() or '"""' in title:
        raise CourseError(f"{title!r} cannot be a title: one printable line without triple quotes")
    fields = {
        "id": assignment_id,
        "module": module,
        "title": title,
        "title_toml": json.dumps(title, ensure_ascii=False),
    }
    files = {
        public / MANIFEST: MANIFEST_TEXT,
        public / "README.md": README_TEXT,
        public / f"test_{module}.py": PUBLIC_TEST_TEXT,
        solutions / f"{module}.py": REFERENCE_TEXT,
        solutions / "test_hidden.py": HIDDEN_TEST_TEXT,
        solutions / "bank" / "bank.toml": BANK_TEXT,
        solutions / "bank" / "wrong" / "double_adds_two.py": WRONG_TEXT,
        solutions / "bank" / "right" / "double_by_addition.py": RIGHT_TEXT,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(**fields))
    return list(files)
