"""What test authors import: task marks, checks, metrics and strategies."""

from autograder.testing.checks import (
    describe,
    expect_close,
    expect_equal,
    expect_floats,
    expect_tensor,
    record_metric,
)
from autograder.testing.failures import CheckFailure
from autograder.testing.plugin import task

__all__ = [
    "CheckFailure",
    "describe",
    "expect_close",
    "expect_equal",
    "expect_floats",
    "expect_tensor",
    "record_metric",
    "task",
]
