"""What test authors import: task marks, checks, ``fail``, metrics, oracles computed once and strategies.

The names are imported on first use, so that ``autograder.testing.probing`` (which probes
import in the sandbox) loads torch and nothing of pytest.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "CheckFailure": "autograder.testing.failures",
    "describe": "autograder.testing.checks",
    "expect_close": "autograder.testing.checks",
    "expect_equal": "autograder.testing.checks",
    "expect_floats": "autograder.testing.checks",
    "expect_tensor": "autograder.testing.checks",
    "fail": "autograder.testing.support",
    "record_losses": "autograder.testing.curves",
    "record_metric": "autograder.testing.checks",
    "remembered": "autograder.testing.oracles",
    "task": "autograder.testing.plugin",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
