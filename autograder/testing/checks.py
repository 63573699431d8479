"""Checks that test authors call, with messages written for students.

Every check knows whether the running test is hidden: hidden tests say *what* is wrong
but keep values and inputs to themselves. A failure carries the call whose output was
wrong; when grading, the bank matches it against known mistakes (see ``bank.Explainer``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from autograder.sandbox.protocol import Opaque
from autograder.testing import context
from autograder.testing.failures import CheckFailure

FLOAT_TYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def describe(value: Any) -> str:
    """A short name for the type of a value, as a student would write it.

    In hidden tests only the kind of value is named: a shape or a dtype the submission chose
    could carry what it saw of a hidden input.
    """
    if context.current().hidden:
        return _kind(value)
    if isinstance(value, torch.Tensor):
        return f"a tensor of dtype {str(value.dtype).removeprefix('torch.')} and shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} (expected a torch tensor)"
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}" if value.type_name else "an object"
    return f"a value of type {type(value).__name__}"


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "a tensor"
    if isinstance(value, np.ndarray):
        return "a NumPy array (expected a torch tensor)"
    if isinstance(value, Opaque):
        return "an object"
    plain = (bool, int, float, str, list, tuple, dict, type(None))
    return f"a value of type {type(value).__name__}" if type(value) in plain else "a value"


def _source_call(value: Any) -> context.Call | None:
    """The call that returned ``value`` (or a part of it), else the test's last call."""
    calls = context.current().calls
    for call in reversed(calls):
        if _contains(call.value, value):
            return call
    return calls[-1] if calls else None


def _owner(value: Any) -> str:
    """The name of the call that returned ``value`` (for messages)."""
    call = _source_call(value)
    return call.name if call else "your function"


def _contains(container: Any, value: Any) -> bool:
    if container is value:
        return True
    if isinstance(container, (list, tuple)):
        return any(item is value for item in container)
    if isinstance(container, dict):
        return any(item is value for item in container.values())
    return False


def _fail(message: str, detail: str = "", actual: Any = None) -> None:
    raise failure(message, detail, _source_call(actual))


def failure(message: str, detail: str, call: context.Call | None) -> CheckFailure:
    """A failure of ``call``'s output: detail only in visible tests.

    The call travels with the failure so that the grader can match it, with the task's other
    failing calls, against the bank's known mistakes once every test has run.
    """
    return CheckFailure(message, "" if context.current().hidden else detail, call=call)


def record_metric(name: str, value: float | list[float] | tuple[float, ...] | torch.Tensor) -> None:
    """Record a number (or a series, such as a loss curve) in the running test's result.

    A number that is not finite (a run that diverged) is kept as None: results stay valid JSON,
    and two gradings of one submission record equal metrics (NaN equals nothing, not even NaN).
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().to(torch.float64).flatten().tolist() if value.ndim else float(value)
    if isinstance(value, (list, tuple)):
        numbers = [_finite(item) for item in value if isinstance(item, (int, float)) and not isinstance(item, bool)]
        if len(numbers) != len(value):
            raise TypeError(f"metric {name!r} must be a number or a list of numbers")
        context.current().metrics[name] = numbers
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        context.current().metrics[name] = _finite(value)
    else:
        raise TypeError(f"metric {name!r} must be a number or a list of numbers, not {type(value).__name__}")


def _finite(number: float) -> float | None:
    try:
        number = float(number)
    except OverflowError:  # an int no float can hold
        return None
    return number if math.isfinite(number) else None


def expect_tensor(value: Any, *, shape: tuple | None = None, floating: bool = True, what: str = "") -> torch.Tensor:
    """``value`` must be a torch tensor (of ``shape``, of a floating dtype)."""
    what = what or _owner(value)
    if not isinstance(value, torch.Tensor):
        _fail(f"{what} should return a torch.Tensor, but returned {describe(value)}", actual=value)
    if shape is not None and tuple(value.shape) != tuple(shape):
        _fail(
            f"{what} returned a tensor of the wrong shape",
            f"got shape {tuple(value.shape)}, expected {tuple(shape)}"
            + (" (did (N, 1) meet (N,) and broadcast?)" if _broadcast_slip(value.shape, shape) else ""),
            value,
        )
    if floating and value.dtype not in FLOAT_TYPES:
        dtype = "" if context.current().hidden else f" of dtype {value.dtype}"
        _fail(f"{what} returned a tensor{dtype}; expected floating-point values", actual=value)
    return value


def _broadcast_slip(got: tuple, expected: tuple) -> bool:
    return len(got) == 2 and len(expected) in (1, 2) and got[0] == got[1] == expected[0]


def expect_close(actual: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-6, what: str = "") -> None:
    """``actual`` must equal ``expected`` within tolerance.

    A tensor ``expected`` needs a tensor of the same shape (any floating dtype, so a
    correct float64 answer passes); a Python number ``expected`` needs a Python number.
    """
    what = what or _owner(actual)
    if isinstance(expected, torch.Tensor):
        expect_tensor(actual, shape=tuple(expected.shape), floating=expected.is_floating_point(), what=what)
        got = actual.detach().to(torch.float64)
        want = expected.detach().to(torch.float64)
    else:
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            _fail(f"{what} should give a Python number, but gave {describe(actual)}", actual=actual)
        got = torch.tensor(float(actual), dtype=torch.float64)
        want = torch.tensor(float(expected), dtype=torch.float64)
    if not torch.isfinite(got[torch.isfinite(want)]).all():
        _fail(
            f"{what} returned nan or inf where the answer is finite (an overflow, or the log of zero?)",
            f"got {_show(got)}",
            actual,
        )
    close = torch.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        hint = _generic_hint(got, want, rtol, atol)
        detail = f"got {_show(got)}\nexpected {_show(want)}"
        _fail(f"{what} returned wrong values" + (f": {hint}" if hint else ""), detail, actual)


def expect_equal(actual: Any, expected: Any, *, what: str = "") -> None:
    """Exact equality, for integers, labels and counts (tensors compared elementwise)."""
    what = what or _owner(actual)
    if isinstance(expected, torch.Tensor):
        expect_tensor(actual, shape=tuple(expected.shape), floating=False, what=what)
        if actual.dtype != expected.dtype:
            dtype = "" if context.current().hidden else f" of dtype {actual.dtype}"
            _fail(f"{what} returned a tensor{dtype}; expected {expected.dtype}", actual=actual)
        same = torch.equal(actual, expected)
    else:
        same = type(actual) is type(expected) and actual == expected
    if not same:
        _fail(f"{what} returned a wrong value", f"got {_show(actual)}\nexpected {_show(expected)}", actual)


def expect_floats(values: Any, count: int, *, what: str = "") -> list[float]:
    """A list (or tuple) of ``count`` Python floats, such as a loss history."""
    what = what or _owner(values)
    if not isinstance(values, (list, tuple)):
        _fail(f"{what} should give a list of floats, but gave {describe(values)}", actual=values)
    if len(values) != count:
        if context.current().hidden:  # the count is the hidden run's number of epochs
            _fail(f"{what} gave the wrong number of values; expected one per epoch", actual=values)
        _fail(f"{what} gave {len(values)} values; expected {count} (one per epoch)", actual=values)
    for value in values:
        if isinstance(value, torch.Tensor):
            _fail(f"{what} gave tensors in its list: append `loss.item()`, a Python float", actual=values)
        if not isinstance(value, float) or isinstance(value, bool):
            _fail(f"{what} should give Python floats, but one entry is {describe(value)}", actual=values)
    return list(values)


def _generic_hint(got: torch.Tensor, want: torch.Tensor, rtol: float, atol: float) -> str:
    """What a wrong answer's relation to the right one suggests, without giving values."""
    if got.shape != want.shape or not torch.isfinite(got).all() or not torch.isfinite(want).all():
        return ""
    if want.abs().max() > atol and torch.allclose(got, -want, rtol=rtol, atol=atol):
        return "they have the wrong sign"
    mask = want.abs() > 1e-6
    if mask.any():
        ratio = got[mask] / want[mask]
        same = torch.allclose(ratio, ratio[0].expand_as(ratio), rtol=1e-4) and (got[~mask].abs() < 1e-6).all()
        # Any two single numbers differ by some factor: for one number, only a whole one says something.
        if same and (mask.sum() > 1 or _whole_factor(float(ratio[0]))):
            return "they are all off by the same factor (a missing or extra constant, or a sum instead of a mean?)"
    if got.numel() > 1 and torch.allclose(
        got.flatten().sort().values, want.flatten().sort().values, rtol=rtol, atol=atol
    ):
        return "the right numbers in the wrong places (swapped entries, or the wrong dimension?)"
    return ""


def _whole_factor(ratio: float) -> bool:
    """Whether ``ratio`` or its inverse is a whole number of at least 2 (as a sum against a mean gives)."""
    return any(abs(r) >= 2 - 1e-6 and abs(r - round(r)) < 1e-4 * abs(r) for r in ((ratio, 1 / ratio) if ratio else ()))


def _show(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        with np.printoptions(precision=6, threshold=12, edgeitems=3, suppress=True):
            return np.array2string(value.detach().to(torch.float64).numpy(), separator=", ")
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.6g}"
    return repr(value)
