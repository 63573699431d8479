"""Helpers that public and hidden tests share: failing with a message, and data makers."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import NoReturn

from autograder.course import import_module_file
from autograder.testing import checks, context

SUPPORT_FILE = "support.py"


def fail(message: str, detail: str = "") -> NoReturn:
    """Fail the test about the last call into the submission.

    ``message`` is always shown; ``detail`` (values, inputs) only in visible tests; a known
    mistake's hint is added where the last call's output matches one.
    """
    raise checks.failure(message, detail, context.current().last_call)


def assignment_support(test_file: str) -> ModuleType:
    """The assignment's ``support.py``, for a public test (beside it) or a hidden test
    (``solutions/<id>/``, whose support module is ``assignments/<id>/support.py``).

    Imported by its path, once per process, so the assignment folder (where the stub module
    lives) never goes on ``sys.path``.
    """
    here = Path(test_file).resolve().parent
    for folder in (here, here.parents[1] / "assignments" / here.name):
        path = folder / SUPPORT_FILE
        if path.is_file():
            return import_module_file(path, f"_support_{folder.name}")
    raise FileNotFoundError(f"no {SUPPORT_FILE} for the tests in {here}")
