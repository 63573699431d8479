"""Calling a submission's function and describing what happened, as data.

The same code runs inside the sandbox (grader mode) and in the student's own process
(student mode), so both modes see a submission exactly alike.
"""

from __future__ import annotations

import random
import traceback
from types import ModuleType
from typing import Any

import numpy as np
import torch

from autograder.sandbox import protocol

MAX_ERROR_CHARS = 2000


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so that a call is reproducible."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def describe_error(error: BaseException, submission_file: str) -> dict[str, Any]:
    """What a student needs to know about an exception their code raised."""
    if isinstance(error, SystemExit):
        kind = "exit"
    elif isinstance(error, NotImplementedError):
        kind = "not_implemented"
    else:
        kind = "exception"
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == submission_file:
            line = frame.lineno
    if isinstance(error, SyntaxError) and error.filename == submission_file:
        line = error.lineno
    try:
        message = str(error)
    except Exception:  # a hostile __str__ must not break the report
        message = "<unprintable message>"
    return {
        "kind": kind,
        "type": type(error).__name__,
        "message": message[:MAX_ERROR_CHARS],
        "line": line,
    }


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
    target = getattr(probes if kind == "probe" else module, name, None)
    if not callable(target):
        what = "probe" if kind == "probe" else "function or class"
        return {"ok": False, "error": {"kind": "missing", "type": what, "message": name}}, []
    seed_everything(seed)
    leading = [module] if kind == "probe" else []
    try:
        value = target(*leading, *args, **kwargs)
        tree, arrays = protocol.encode({"value": value, "args": args, "kwargs": kwargs})
    except (Exception, SystemExit) as error:
        return {"ok": False, "error": describe_error(error, getattr(module, "__file__", None) or "")}, []
    return {"ok": True, "result": tree}, arrays
