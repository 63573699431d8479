"""When grading, a property test's examples are drawn once per process and replayed for every submission.

Derandomized and without shrinking, Hypothesis draws the same examples whatever the
submission, in the same order, and stops at the first that fails. So the grader lets
Hypothesis draw a test's examples once, on a run of the test against the reference (which
passes every test), and runs each submission on those examples in that order, stopping at the
first failure: the same examples, without the engine's cost for every submission. ``grade``
and a warm worker both replay, so a submission's result does not depend on what was graded
before it. Student mode runs real Hypothesis (and shrinks).

Draws from ``st.data()`` in a test's body are recorded and replayed too, in order; a test whose
draws depend on the submission's answers cannot be replayed, and fails with :class:`ReplayError`.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis.errors import UnsatisfiedAssumption
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from hypothesis.internal.reflection import function_digest
from hypothesis.strategies._internal.core import DataObject

from autograder.sandbox import execution
from autograder.testing import context


class ReplayError(Exception):
    """A test drew from ``st.data()`` differently than when its examples were recorded."""


@dataclass
class Example:
    """One example of a test: what ``@given`` drew, and what its body drew from ``st.data()``, in order."""

    given: dict[str, Any]
    data: list[str]  # the names of the test's ``st.data()`` arguments
    draws: list[tuple[str, Any]]  # (the strategy's repr, the value drawn)


EXAMPLES = "_autograder_examples"  # the attribute of a test function that keeps its examples


def run(test: Callable, fixtures: dict[str, Any], reference: Any, visible: bool) -> None:
    """Run the ``@given`` test ``test`` on its recorded examples (recording them on ``reference`` first).

    The examples are kept on the test function, so a warm worker's session, which runs the same
    functions for every submission, draws them once.
    """
    __tracebackhide__ = True
    if not hasattr(test, EXAMPLES):
        setattr(test, EXAMPLES, _record(test, fixtures | {"submission": reference}))
    execution.seed_everything(0)  # as the test began, whether or not it was recorded just now
    inner = test.hypothesis.inner_test
    for example in getattr(test, EXAMPLES):
        drawn = {name: _fresh(value) for name, value in example.given.items()}
        draws = iter([(strategy, _fresh(value)) for strategy, value in example.draws])
        try:
            inner(**fixtures, **drawn, **dict.fromkeys(example.data, _Replayed(draws)))
        except UnsatisfiedAssumption:
            continue
        except BaseException as error:
            if visible:
                error.add_note(_falsifying(test.__name__, example))
            raise


def _record(test: Callable, fixtures: dict[str, Any]) -> list[Example]:
    """The examples Hypothesis runs ``test`` on, drawn by running it against the reference."""
    examples: list[Example] = []
    inner = test.hypothesis.inner_test

    def recorder(**arguments: Any) -> None:
        given = {name: value for name, value in arguments.items() if name not in fixtures}
        data = [name for name, value in given.items() if isinstance(value, DataObject)]
        example = Example({k: _fresh(v) for k, v in given.items() if k not in data}, data, [])
        inner(**arguments | {name: _Recording(arguments[name], example.draws) for name in data})
        examples.append(example)

    test_context = context.current()
    recording = context.TestContext(
        test_id=test_context.test_id,
        task=test_context.task,
        visibility=test_context.visibility,
        call_seconds=test_context.call_seconds,
    )
    # Derandomized, Hypothesis seeds its draws from the digest of the test it calls: the test's own.
    test._hypothesis_internal_use_seed = int.from_bytes(function_digest(inner), "big")
    test.hypothesis.inner_test = recorder
    try:
        with context.replaced(recording), without_local_constants():  # the reference's calls are not the submission's
            test(**fixtures)
    finally:
        test.hypothesis.inner_test = inner
        test._hypothesis_internal_use_seed = None
    return examples


@contextlib.contextmanager
def without_local_constants() -> Iterator[None]:
    """Hypothesis without the constants it mines from the modules imported so far.

    Now and then Hypothesis draws a number found in a loaded module of the project instead
    of a random one; drawn without them, a test's examples depend on the test alone, not on
    what the process imported before (``grade`` and a warm worker import different modules).
    """
    mined = providers._get_local_constants
    providers._get_local_constants = Constants
    try:
        yield
    finally:
        providers._get_local_constants = mined


class _Recording:
    """``st.data()`` while recording: Hypothesis draws, and each value is kept."""

    def __init__(self, data: DataObject, draws: list[tuple[str, Any]]) -> None:
        self._data, self._draws = data, draws

    def draw(self, strategy: Any, label: Any = None) -> Any:
        value = self._data.draw(strategy, label)
        self._draws.append((repr(strategy), _fresh(value)))
        return value


class _Replayed:
    """``st.data()`` while replaying: the recorded values, in order, for the same strategies."""

    def __init__(self, draws: Any) -> None:
        self._draws = draws

    def draw(self, strategy: Any, label: Any = None) -> Any:
        recorded = next(self._draws, None)
        if recorded is None or recorded[0] != repr(strategy):
            raise ReplayError("this test draws from st.data() depending on the submission's answers")
        return recorded[1]


def _falsifying(name: str, example: Example) -> str:
    """Hypothesis's note on the failing example, in its words."""
    arguments = ", ".join(f"{key}={value!r}" for key, value in example.given.items())
    lines = [f"Falsifying example: {name}({arguments})"]
    lines += [f"Draw {number}: {value!r}" for number, (_, value) in enumerate(example.draws, start=1)]
    return "\n".join(lines)


def _fresh(value: Any) -> Any:
    """A copy of a drawn value that a test may change at will (cheaper than ``deepcopy`` for tensors)."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if type(value) in (list, tuple):
        return type(value)(_fresh(item) for item in value)
    if type(value) is dict:
        return {key: _fresh(item) for key, item in value.items()}
    if value is None or type(value) in (bool, int, float, complex, str, bytes):
        return value
    return copy.deepcopy(value)
