"""A training test's loss curve beside the reference's, recorded in its result.

The class report draws every submission's curve of a test against the reference's; a student's
feedback page draws its own, for visible tests only (a hidden test's curves stay in the
instructor's views, as its values do).
"""

from __future__ import annotations

from autograder.results import LOSS, REFERENCE_LOSS
from autograder.testing.checks import record_metric

MAX_POINTS = 10_000  # a submission decides how long its losses are: results keep this many


def record_losses(losses: object, reference: object) -> None:
    """Record ``losses`` (what the submission's run gave, e.g. its per-epoch losses) and the
    ``reference``'s losses of the same run as the metrics ``loss`` and ``reference_loss``.

    Call it once the test has the two curves and before it compares them, so that a wrong run's
    curve is kept too. ``losses`` is recorded only when it is a list of numbers (deciding what
    else it is, is the test's checks' business); the reference's only beside it.
    """
    curve = _numbers(losses)
    if curve is None:
        return
    record_metric(LOSS, curve)
    want = _numbers(reference)
    if want is not None:
        record_metric(REFERENCE_LOSS, want)


def _numbers(value: object) -> list[float] | None:
    if not isinstance(value, list | tuple) or not value:
        return None
    if not all(isinstance(item, int | float) and not isinstance(item, bool) for item in value):
        return None
    try:
        return [float(item) for item in value[:MAX_POINTS]]
    except OverflowError:  # an int too big for a float
        return None
