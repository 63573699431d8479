"""What test authors import: task marks, checks and strategies."""

from autograder.testing.checks import describe, expect_close, expect_equal, expect_floats, expect_tensor
from autograder.testing.failures import CheckFailure
from autograder.testing.plugin import task

__all__ = ["CheckFailure", "describe", "expect_close", "expect_equal", "expect_floats", "expect_tensor", "task"]
