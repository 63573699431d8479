"""Calling a submission's function and describing what happened, as data.

The same code runs inside the sandbox (grader mode) and in the student's own process
(student mode), so both modes see a submission exactly alike.
"""

from __future__ import annotations

import builtins
import functools
import random
import sys
import traceback
from types import ModuleType
from typing import Any

import numpy as np
import torch

from autograder.sandbox import protocol

MAX_ERROR_CHARS = 2000


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so that a call is reproducible.

    Without an accelerator only torch's CPU generator is seeded: ``torch.manual_seed`` would
    also queue a lazy seed for every device backend, which costs a tenth of a millisecond a call.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if _accelerated():
        torch.manual_seed(seed)
    else:
        torch.default_generator.manual_seed(seed)


@functools.cache
def _accelerated() -> bool:
    """Whether torch sees a GPU; asked at the first seeding (in a sandbox, after the zygote's fork)."""
    return torch.cuda.is_available() or torch.backends.mps.is_available()


def describe_error(error: BaseException, submission_file: str) -> dict[str, Any]:
    """What a student needs to know about an exception their code raised.

    ``function`` is the top-level function or class of the innermost frame in the
    submission's file (the one the student wrote), ``line`` that frame's line.
    """
    if isinstance(error, SystemExit):
        kind = "exit"
    elif isinstance(error, NotImplementedError):
        kind = "not_implemented"
    else:
        kind = "exception"
    function, line = "", None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == submission_file:
            function, line = frame.f_code.co_qualname.split(".")[0], lineno
    if isinstance(error, SyntaxError) and error.filename == submission_file:
        line = error.lineno
    try:
        message = str(error)
    except Exception:  # a hostile __str__ must not break the report
        message = "<unprintable message>"
    return {
        "kind": kind,
        "type": exception_type_name(type(error)),
        "message": message[:MAX_ERROR_CHARS],
        "line": line,
        "function": "" if function.startswith("<") else function,
    }


def exception_type_name(cls: type) -> str:
    """A built-in exception's name (``ValueError``), any other's qualified name."""
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def library_exception_name(type_name: str) -> str | None:
    """The grader's own name for ``type_name`` when it is a built-in, torch or numpy exception class.

    The grader asks this of a name a sandbox reported: a class the submission defined (or
    planted in torch's namespace inside its sandbox) does not resolve here, and the name
    shown is the class's own, never the path the submission spelled.
    """
    parts = type_name.split(".")
    if len(parts) == 1:
        found = vars(builtins).get(type_name)
    elif parts[0] in ("torch", "numpy"):
        cut = max((i for i in range(1, len(parts)) if ".".join(parts[:i]) in sys.modules), default=0)
        found = sys.modules.get(".".join(parts[:cut]))
        for part in parts[cut:]:
            found = vars(found).get(part) if found is not None and hasattr(found, "__dict__") else None
    else:
        found = None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        return None
    return found.__qualname__ if found.__module__ == "builtins" else f"{found.__module__}.{found.__qualname__}"


def run(
    module: ModuleType,
    probes: ModuleType | None,
    kind: str,
    name: str,
    args: list,
    kwargs: dict,
    seed: int,
) -> tuple[dict, list[np.ndarray]]:
    """Run one function or probe of the submission; what it raises propagates."""
    __tracebackhide__ = True  # pytest's tracebacks go from the test straight to the student's code
    target = getattr(probes if kind == "probe" else module, name, None)
    if not callable(target):
        what = "probe" if kind == "probe" else "function or class"
        return {"ok": False, "error": {"kind": "missing", "type": what, "message": name}}, []
    seed_everything(seed)
    leading = [module] if kind == "probe" else []
    value = target(*leading, *args, **kwargs)
    tree, arrays = protocol.encode({"value": value, "args": args, "kwargs": kwargs})
    return {"ok": True, "result": tree}, arrays


def call(
    module: ModuleType,
    probes: ModuleType | None,
    kind: str,
    name: str,
    args: list,
    kwargs: dict,
    seed: int,
) -> tuple[dict, list[np.ndarray]]:
    """Run one function or probe of the submission; return a response message and arrays."""
    try:
        return run(module, probes, kind, name, args, kwargs, seed)
    except (Exception, SystemExit) as error:
        return {"ok": False, "error": describe_error(error, submission_file(module))}, []


def submission_file(module: ModuleType) -> str:
    return getattr(module, "__file__", None) or ""
