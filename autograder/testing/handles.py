"""The ``submission`` handle that tests are written against, in its two modes.

Tests call ``submission.loss_fn(y_hat, y)`` or ``submission.probe("train", ...)`` and get
plain data back. In a student's folder the module runs in the same process
(:class:`LocalRunner`, debuggable with pdb); under ``autograder grade`` it runs in a
sandbox process (:class:`SandboxRunner`). Both go through the same encoding, so a test
sees the same values, copies and errors in either mode.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import importlib.util
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, Protocol

import numpy as np
import torch

from autograder.sandbox import execution, protocol
from autograder.sandbox.client import SANDBOX_KINDS, Limits, Sandbox, SubmissionError, read_response
from autograder.testing import checks, context


class Runner(Protocol):
    def call(self, kind: str, name: str, args: list, kwargs: dict, seed: int, timeout: float) -> dict: ...

    def close(self) -> None: ...


class Submission:
    """A student's module as the tests see it."""

    def __init__(self, source: str, runner: Runner, where: Callable[[int], str] | None = None) -> None:
        self.source = source
        self._runner = runner
        self._parameters = parameter_names(source)
        self._definitions = top_level_definitions(source)
        self._lines = source.count("\n") + 1
        self._where = where or (lambda line: f"line {line} of your file")

    def where(self, line: int) -> str:
        """Where ``line`` is, as the student finds it; a line the source does not have says nothing."""
        return self._where(line) if 0 < line <= self._lines else "a line your file does not have"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Function(self, name)

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run the assignment's trusted probe ``name`` on the submission; returns data."""
        __tracebackhide__ = True
        return self.invoke("probe", name, args, kwargs)

    def invoke(self, kind: str, name: str, args: tuple, kwargs: dict) -> Any:
        __tracebackhide__ = True
        test = context.current()
        if test.fatal is not None:
            raise test.fatal
        seed = test.next_seed()
        try:
            result = self._runner.call(kind, name, list(args), dict(kwargs), seed, test.call_seconds)
        except SubmissionError as error:
            reported = error.kind in SANDBOX_KINDS  # else the grader's own verdict, which names what it is about
            if not error.function or (reported and (test.hidden or error.function not in self._definitions)):
                # in hidden tests no name of the submission's choosing (one of thousands could carry the input)
                error.function = name if kind == "function" else test.task
            test.fatal = error  # the test is over: later calls (e.g. Hypothesis's) fail at once
            test.fatal_call = context.Call(kind, name, args, kwargs, seed, None, [], raised=error.type_name)
            raise
        test.add(context.Call(kind, name, args, kwargs, seed, result["value"], result["args"]))
        if kind == "function":
            self._check_unchanged(name, args, kwargs, result)
        return result["value"]

    def _check_unchanged(self, name: str, args: tuple, kwargs: dict, result: dict) -> None:
        names = self._parameters.get(name, [])
        sent = [*zip(names + [f"#{i + 1}" for i in range(len(names), len(args))], args, strict=False), *kwargs.items()]
        after = [*result["args"], *result["kwargs"].values()]
        for (argument, before), now in zip(sent, after, strict=False):
            if changed(before, now):
                raise checks.failure(
                    f"{name} changed its argument `{argument}` in place (or switched on its "
                    "requires_grad): work on new tensors and leave the inputs as they are",
                    "",
                    context.current().last_call,
                )

    def close(self) -> None:
        self._runner.close()


class _Function:
    def __init__(self, submission: Submission, name: str) -> None:
        self._submission, self.__name__ = submission, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        return self._submission.invoke("function", self.__name__, args, kwargs)


def changed(before: Any, after: Any) -> bool:
    """Whether a call changed an argument: values, dtype, shape or ``requires_grad``."""
    if isinstance(before, torch.Tensor):
        return not (
            isinstance(after, torch.Tensor)
            and before.dtype == after.dtype
            and before.shape == after.shape
            and before.requires_grad == after.requires_grad
            and torch.equal(torch.nan_to_num(before.detach()), torch.nan_to_num(after.detach()))
        )
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and np.array_equal(before, after, equal_nan=True))
    if isinstance(before, (list, tuple)):
        return (
            not isinstance(after, (list, tuple))
            or len(before) != len(after)
            or any(changed(b, a) for b, a in zip(before, after, strict=True))
        )
    if isinstance(before, dict):
        return (
            not isinstance(after, dict)
            or before.keys() != after.keys()
            or any(changed(before[k], after[k]) for k in before)
        )
    if before is None or isinstance(before, (bool, int, float, str)):
        return type(before) is not type(after) or (before != after and before == before)  # nan stays nan
    return False


def parameter_names(source: str) -> dict[str, list[str]]:
    """Parameter names of the module's functions and classes (``__init__`` less ``self``)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = [a.arg for a in node.args.posonlyargs + node.args.args]
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    names[node.name] = [a.arg for a in item.args.posonlyargs + item.args.args][1:]
    return names


def top_level_definitions(source: str) -> set[str]:
    """Names of the functions and classes the module defines at its top level."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in tree.body if isinstance(node, kinds)}


class LocalRunner:
    """Runs the module in this process (student mode), each call within its time limit.

    An error the module raises reaches pytest as a :class:`SubmissionError` that carries the
    original traceback, so ``pytest --pdb`` and ``--tb=short`` land in the student's code.
    """

    def __init__(self, module: ModuleType | None, probes: ModuleType | None, import_error: dict | None = None) -> None:
        self.module, self.probes, self.import_error = module, probes, import_error

    @classmethod
    def from_file(cls, module_file: Path, probes_file: Path | None) -> LocalRunner:
        """Import the student's file (within the grader's import time limit); an import that
        fails is kept to be reported by every call."""
        probes = _import_file(probes_file, "probes") if probes_file else None
        sys.path.insert(0, str(module_file.parent))
        execution.seed_everything(0)
        try:
            with time_limit(Limits().import_seconds):
                return cls(_import_file(module_file, module_file.stem), probes)
        except (Exception, SystemExit, CallTimeout) as error:
            info = execution.describe_error(error, str(module_file))
            if isinstance(error, CallTimeout):
                info |= {"type": "TimeoutError", "message": f"it did not finish within {error}"}
            return cls(None, probes, info)

    def call(self, kind: str, name: str, args: list, kwargs: dict, seed: int, timeout: float) -> dict:
        __tracebackhide__ = True
        if self.import_error is not None:
            raise SubmissionError.from_info(name, self.import_error, kind="import")
        copies = protocol.roundtrip({"args": args, "kwargs": kwargs})
        try:
            with time_limit(timeout):
                message, arrays = execution.run(
                    self.module, self.probes, kind, name, copies["args"], copies["kwargs"], seed
                )
        except (Exception, SystemExit, CallTimeout) as error:
            info = execution.describe_error(error, execution.submission_file(self.module))
            timed_out = "timeout" if isinstance(error, CallTimeout) else None
            raise SubmissionError.from_info(name, info, timed_out).with_traceback(error.__traceback__) from None
        return read_response(name, message, arrays, len(args), set(kwargs))

    def close(self) -> None:
        pass


class CallTimeout(BaseException):
    """A call ran past its time limit. Not an ``Exception``, so ``except Exception`` does not stop it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the main thread with :class:`CallTimeout` after ``seconds``, again every second after.

    The repeats end a loop that swallowed the first interruption. Off the main thread
    (where signals cannot be handled) the call runs without a limit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise CallTimeout(f"{seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        except CallTimeout:  # it fired just as the call returned
            signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _import_file(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class SandboxRunner:
    """Runs the module in a sandbox process, starting a fresh one after a crash in a call.

    An import that fails, hangs or ends the process is decided once: every later call fails
    at once with the same verdict. The time the submission spends in the sandbox is charged
    to its budget (``Limits.budget_seconds``); once spent, every later call fails at once.
    A call that does not finish is decided for its function: a function that timed out once
    has ``Limits.retry_seconds`` for each later call, and once the submission's timed-out calls
    have taken ``Limits.timeout_budget_seconds`` (its first time-out counts in full, however long
    its test allows), a further time-out ends the grading's calls: an endless loop in every test
    costs the grader a bounded time, not each test's limit over again.
    """

    def __init__(
        self,
        module_file: Path,
        probes_file: Path | None,
        limits: Limits,
        preload: tuple[str, ...] = (),
        hidden: tuple[Path, ...] = (),
    ) -> None:
        self._files, self._limits, self._preload, self._hidden = (module_file, probes_file), limits, preload, hidden
        self._sandbox: Sandbox | None = None
        self._verdict: SubmissionError | None = None
        self._spent = self._lost = 0.0
        self._timed_out: set[str] = set()

    def call(self, kind: str, name: str, args: list, kwargs: dict, seed: int, timeout: float) -> dict:
        left = self._limits.budget_seconds - self._spent
        if self._verdict is None and left <= 0:
            self._verdict = self._out_of_time(f"its time budget ({self._limits.budget_seconds:g} s)")
        if self._verdict is not None:
            verdict = self._verdict
            raise SubmissionError(verdict.kind, verdict.name, message=verdict.message, function=verdict.name)
        limit = min(timeout, left)
        shortened = name in self._timed_out and self._limits.retry_seconds < limit
        if shortened:
            limit = self._limits.retry_seconds
        started = time.monotonic()
        try:
            return self._call(kind, name, args, kwargs, seed, limit, left)
        except SubmissionError as error:
            if error.kind != "timeout":
                raise
            self._lost += time.monotonic() - started
            if left < timeout:
                self._verdict = self._out_of_time(f"its time budget ({self._limits.budget_seconds:g} s)")
            elif self._timed_out and self._lost >= self._limits.timeout_budget_seconds:
                spent = f"{self._limits.timeout_budget_seconds:g} s in calls that did not finish"
                self._verdict = self._out_of_time(spent)
            if self._verdict is not None:
                raise self._verdict from None
            if shortened:
                error.message += ", as it had timed out in an earlier test"
            self._timed_out.add(name)
            raise
        finally:
            self._spent += time.monotonic() - started

    @staticmethod
    def _out_of_time(what: str) -> SubmissionError:
        budget = f"{what}: the remaining tests were not run"
        return SubmissionError("timeout", "your submission", message=budget, function="your submission")

    def start(self, left: float | None = None) -> None:
        """Start a sandbox (a call does at need); an import that hangs or ends the process is final."""
        self.close()
        left = self._limits.budget_seconds - self._spent if left is None else left
        limits = dataclasses.replace(self._limits, import_seconds=min(self._limits.import_seconds, left))
        try:
            self._sandbox = Sandbox(*self._files, limits, self._preload, self._hidden)
        except SubmissionError as error:
            self._verdict = SubmissionError(
                error.kind, "importing your module", message=error.message, function="importing your module"
            )
            raise self._verdict from None

    def _call(self, kind: str, name: str, args: list, kwargs: dict, seed: int, timeout: float, left: float) -> dict:
        if self._sandbox is None or not (self._sandbox.alive or self._sandbox.import_error):
            self.start(left)
        return self._sandbox.call(kind, name, args, kwargs, seed, timeout)

    def output(self) -> str:
        return self._sandbox.output() if self._sandbox else ""

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
