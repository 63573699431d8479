"""What the engine knows about each test: a :class:`TestContext` kept on the test's pytest item.

The plugin gives every item a fresh context as its setup starts (:func:`begin`) and lets go of
it after its teardown (:func:`end`); code that runs inside the test (the ``submission`` handle,
the checks, ``fail``) finds the running item's context with :func:`current`, and the plugin
reads a finished test's context from its item (:func:`of`).
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from autograder.sandbox.client import SubmissionError

VISIBLE, HIDDEN = "visible", "hidden"
KEPT_VALUES = 16  # the latest calls of a test whose answers the grader keeps (see TestContext.add)
DEFAULT_CALL_SECONDS = 10.0


@dataclass
class Call:
    """One call into the submission, as the grader saw it."""

    kind: str
    name: str
    args: tuple
    kwargs: dict
    seed: int
    value: Any
    args_after: list
    raised: str = ""  # the type of the exception the call raised instead of returning

    def forget(self) -> None:
        """Let go of what the call returned (the grader keeps only answers it may still need)."""
        self.value, self.args_after = None, []


@dataclass
class TestContext:
    """Per-test state: visibility, time budget, the calls made, a sticky failure, recorded metrics and files."""

    test_id: str = ""
    task: str = ""
    visibility: str = VISIBLE
    call_seconds: float = DEFAULT_CALL_SECONDS
    calls: list[Call] = field(default_factory=list)
    fatal: SubmissionError | None = None
    fatal_call: Call | None = None
    metrics: dict[str, float | list[float]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.visibility == HIDDEN

    def next_seed(self) -> int:
        """A seed for the next call that depends only on the test and the call's position."""
        return zlib.crc32(f"{self.test_id}#{len(self.calls)}".encode())

    def add(self, call: Call) -> None:
        """Keep ``call``; only the latest :data:`KEPT_VALUES` keep what they returned (to name the call
        a checked value came from, and to match known mistakes), so a submission that returns huge
        values on every call of a long test cannot make the grader hoard them."""
        self.calls.append(call)
        if len(self.calls) > KEPT_VALUES:
            self.calls[-KEPT_VALUES - 1].forget()

    @property
    def last_call(self) -> Call | None:
        return self.calls[-1] if self.calls else None


STATE = pytest.StashKey[TestContext]()
_running: pytest.Item | None = None  # the item whose test runs now, set by the plugin's hooks


def begin(item: pytest.Item, context: TestContext) -> None:
    """``item``'s test starts with ``context``."""
    global _running
    item.stash[STATE] = context
    _running = item


@contextlib.contextmanager
def replaced(context: TestContext) -> Iterator[None]:
    """The running test works with ``context`` for a while (the reference's calls while examples are drawn)."""
    item = _running
    if item is None:
        yield
        return
    kept = item.stash[STATE]
    item.stash[STATE] = context
    try:
        yield
    finally:
        item.stash[STATE] = kept


def end(item: pytest.Item) -> None:
    """``item``'s test is over (its context stays on the item)."""
    global _running
    if _running is item:
        _running = None


def of(item: pytest.Item) -> TestContext:
    """The context ``item``'s test ran with; an empty one for an item that never started (a rule
    checked after the run)."""
    return item.stash.get(STATE, None) or TestContext()


def current() -> TestContext:
    """The context of the test that is running; outside any test, a fresh one that nothing keeps."""
    return of(_running) if _running is not None else TestContext()
