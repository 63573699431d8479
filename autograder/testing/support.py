"""Helpers that public and hidden tests share: failing with a message, and data makers."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import torch

from autograder.course import Assignment, import_module_file
from autograder.testing import checks, context

SUPPORT_FILE = "support.py"
_running: Assignment | None = None


def fail(message: str, detail: str = "") -> NoReturn:
    """Fail the test about the last call into the submission.

    ``message`` is always shown; ``detail`` (values, inputs) only in visible tests; a known
    mistake's hint is added where the last call's output matches one.
    """
    raise checks.failure(message, detail, context.current().last_call)


def assignment_support() -> ModuleType:
    """The ``support.py`` of the assignment whose tests are running (public and hidden tests
    alike, in every mode), imported by its path once per process: the assignment folder,
    where the stub module lives, never goes on ``sys.path``."""
    running = _running_assignment()
    return import_module_file(running.public_dir / SUPPORT_FILE, f"_support_{running.id}")


def expected_values() -> dict[str, Any]:
    """The reference's results for the public tests of the running assignment, as ``autograder
    sync`` wrote them to its ``expected.json`` (tensors as lists): public files hold values,
    never the code that computes them."""
    return _read_json(_running_assignment().expected_file)


def _running_assignment() -> Assignment:
    if _running is None:
        raise RuntimeError("this is for the tests of an assignment, run by the autograder plugin")
    return _running


@functools.cache
def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def use_assignment(assignment: Assignment) -> None:
    """Make ``assignment`` the one whose tests are running (called as pytest starts)."""
    global _running
    _running = assignment


def expect_steps(steps: list[dict], trained: list[torch.Tensor], optimizer: type, lr: float, what: str) -> None:
    """A training run's recorded steps must be real: the parameters before each step (and the
    ``trained`` ones after the last) must be ``optimizer``'s update from the step before with
    the gradients recorded there. (Whether those are the true gradients is the caller's check.)"""
    if not steps:
        fail(f"{what} made no optimizer steps")
    parameters = [p.detach().clone() for p in steps[0]["parameters"]]
    chosen = optimizer(parameters, lr=lr)
    afters = [*(step["parameters"] for step in steps[1:]), trained]
    for step, after in zip(steps, afters, strict=True):
        if len(after) != len(parameters) or any(a.shape != p.shape for a, p in zip(after, parameters, strict=False)):
            fail(f"{what} changed the network's parameters during training")
        for parameter, grad in zip(parameters, step["grads"], strict=True):
            parameter.grad = None if grad is None else grad.detach().clone()
        chosen.step()
        if not all(torch.allclose(p, a, rtol=1e-4, atol=1e-6) for p, a in zip(parameters, after, strict=True)):
            fail(f"{what}: the parameters after a step are not the optimizer's update with the gradients before it")
        with torch.no_grad():
            for parameter, value in zip(parameters, after, strict=True):
                parameter.copy_(value)


def linear_weights(shapes: list[tuple[int, int]]) -> list[list[torch.Tensor]]:
    """Random ``[weight, bias]`` for linear layers of ``(out_features, in_features)`` shapes,
    drawn here, for a probe to load into a submission's network (see ``probing.describe``)."""
    return [[torch.randn(out, size_in) * 0.6, torch.randn(out) * 0.3] for out, size_in in shapes]


def expect_module(description: dict, what: str) -> None:
    """A probe's ``probing.build`` description must be of an ``nn.Module`` that built and ran."""
    if description["error"]:
        fail(f"{what} could not be built and run", description["error"])
    if not description["is_module"]:
        fail(f"{what} must be an nn.Module: subclass nn.Module and call super().__init__() first")
