"""How a test says what is wrong, in words a student can act on."""

from __future__ import annotations


class CheckFailure(AssertionError):
    """A check failed.

    ``message`` is always shown; ``detail`` (values, inputs) only for visible tests, so a
    hidden test can fail without revealing what it expected or what it fed in.
    """

    def __init__(self, message: str, detail: str = "", hint: str = "") -> None:
        super().__init__("\n".join(part for part in (message, detail, hint) if part))
        self.message, self.detail, self.hint = message, detail, hint
