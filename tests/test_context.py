"""Per-test state lives on each pytest item: every test sees only its own calls and metrics."""

import shutil

import pytest
from conftest import A01, REFERENCE_01, ROOT

from autograder.grading import run_tests
from autograder.testing import context
from autograder.testing.student import StudentPlugin

TESTS = '''
import torch

from autograder.testing import record_metric, task


@task("grad_fn", points=1)
def test_grad_fn_once(submission):
    """grad_fn is called once."""
    x = torch.ones(3)
    submission.grad_fn(x, x, x, 1.0, 0.0)


@task("model", points=1)
def test_model_twice(submission):
    """model is called twice and records a metric."""
    submission.model(torch.ones(2), 1.0, 0.0)
    submission.model(torch.ones(2), 2.0, 0.0)
    record_metric("calls", 2.0)
'''


class Spy:
    """Reads each test's context from its item once the test has run."""

    def __init__(self) -> None:
        self.seen: dict[str, context.TestContext] = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        yield
        if call.when == "call":
            self.seen[item.name] = context.of(item)


def test_each_test_keeps_its_own_state_and_a_rule_checked_after_the_run_inherits_none(tmp_path, monkeypatch):
    folder = tmp_path / A01
    folder.mkdir()
    shutil.copy(ROOT / "assignments" / A01 / "assignment.toml", folder)
    (folder / "test_state.py").write_text(TESTS)
    monkeypatch.setenv("AUTOGRADER_SUBMISSION", str(REFERENCE_01))
    plugin, spy = StudentPlugin(folder), Spy()
    run_tests(plugin, [folder / "assignment.toml", folder / "test_state.py"], folder, helpers=(spy,))
    once, twice = spy.seen["test_grad_fn_once"], spy.seen["test_model_twice"]
    assert [call.name for call in once.calls] == ["grad_fn"] and once.metrics == {}
    assert [call.name for call in twice.calls] == ["model", "model"] and twice.metrics == {"calls": 2.0}
    assert once.test_id == "test_state.py::test_grad_fn_once" and once.task == "grad_fn"
    rule = next(test for test in plugin.tasks["grad_fn"].tests if test.name.endswith("follows its rules"))
    assert rule.status == "passed" and rule.metrics == {}, "the rule, checked after the run, has no test's state"
    assert context.current().calls == [] and context.current() is not context.current(), "no test is running"


def test_a_long_test_keeps_the_answers_of_its_latest_calls_only():
    """A submission that returns a huge value on every call cannot make the grader keep them all."""
    test = context.TestContext()
    for number in range(context.KEPT_VALUES + 4):
        test.add(context.Call("function", "model", (number,), {}, number, [number] * 3, [number]))
    assert len(test.calls) == context.KEPT_VALUES + 4  # every call still counts (seeds, messages)
    assert [call.value for call in test.calls[:4]] == [None] * 4 and all(
        call.args_after == [] for call in test.calls[:4]
    )
    assert [call.value[0] for call in test.calls[4:]] == list(range(4, context.KEPT_VALUES + 4))
