"""What the engine knows about the test that is running right now."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from autograder.sandbox.client import SubmissionError

VISIBLE, HIDDEN = "visible", "hidden"
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

    @property
    def last_call(self) -> Call | None:
        return self.calls[-1] if self.calls else None


_current = TestContext()


def current() -> TestContext:
    return _current


def begin(context: TestContext) -> None:
    global _current
    _current = context
