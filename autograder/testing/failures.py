"""How a test says what is wrong, in words a student can act on."""

from __future__ import annotations

from typing import Any


class CheckFailure(AssertionError):
    """A check failed.

    ``message`` is always shown; ``detail`` (values, inputs) only for visible tests, so a
    hidden test can fail without revealing what it expected or what it fed in. ``call`` is
    the call into the submission whose output was wrong (the grader matches it against the
    bank's known mistakes), if the check knows it.
    """

    def __init__(self, message: str, detail: str = "", hint: str = "", call: Any = None) -> None:
        super().__init__("\n".join(part for part in (message, detail, hint) if part))
        self.message, self.detail, self.hint, self.call = message, detail, hint, call
