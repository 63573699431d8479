"""Known-mistake hints: named only on enough evidence, matched on exceptions too, carried in the result model."""

import json
import shutil

import torch
from conftest import A01, REFERENCE_01, ROOT, run_cli

from autograder import bank
from autograder.course import load as load_assignment
from autograder.results import KNOWN_MISTAKE, GradingResult

RAISES_HINT = "model raises before computing anything: return w * x + b"
METRIC_TEST = '''

from autograder.testing import record_metric


@task("model", points=1)
def test_model_records_metrics(submission):
    """A test that records a curve and a number."""
    record_metric("curve", torch.tensor([1.0, 2.0, float("inf"), float("nan")]))  # a run that diverged
    record_metric("final", 0.5)
    expect_close(submission.model(torch.ones(2), 2.0, 1.0), torch.full((2,), 3.0))
'''

# One submission, three mistakes on three tasks:
# - a root-mean-square loss: on a one-element input it equals the bank's "absolute differences"
#   loss, a coincidence that must not be named;
# - a model that raises, as the bank's model_raises does (with another message);
# - dloss_fn without its factor 2, written unlike the bank's entry.
SUBMISSION = """

def loss_fn(y_hat, y):
    return ((y_hat - y) ** 2).mean().sqrt()


def model(x, w, b):
    raise ValueError(f"not done yet for {tuple(x.shape)}")


def dloss_fn(y_hat, y):
    difference = y_hat - y
    return difference
"""


def course_with_a_raising_mistake(tmp_path):
    """A copy of 01 whose bank holds two real mistakes and one that raises; one hidden test records metrics."""
    shutil.copytree(ROOT / "assignments" / A01, tmp_path / "assignments" / A01)
    shutil.copytree(ROOT / "solutions" / A01, tmp_path / "solutions" / A01)
    bank = tmp_path / "solutions" / A01 / "bank"
    for path in (bank / "wrong").glob("*.py"):
        if path.stem not in {"loss_fn_absolute", "dloss_fn_without_factor_2"}:
            path.unlink()
    (bank / "wrong" / "model_raises.py").write_text('def model(x, w, b):\n    raise ValueError("todo")\n')
    with (bank / "bank.toml").open("a") as toml:
        toml.write(f'\n[wrong.model_raises]\nloses = ["model", "training_loop"]\nhint = "{RAISES_HINT}"\n')
    hidden = tmp_path / "solutions" / A01 / "test_hidden.py"
    hidden.write_text(hidden.read_text() + METRIC_TEST)
    return tmp_path


def test_hints_name_mistakes_on_evidence_only_and_live_in_the_result(tmp_path):
    course = course_with_a_raising_mistake(tmp_path / "course")
    submission = tmp_path / "gradient_descent.py"
    submission.write_text(REFERENCE_01.read_text() + SUBMISSION)
    out, gradescope = tmp_path / "result.json", tmp_path / "results.json"
    done = run_cli("--course", course, "grade", A01, submission, "--json", out, "--gradescope", gradescope)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    tests = {task["name"]: task["tests"] for task in data["tasks"]}
    failing = {name: [t for t in found if t["status"] != "passed"] for name, found in tests.items()}

    assert failing["loss_fn"] and all(t["mistake"] == "" and t["hint"] == "" for t in failing["loss_fn"])
    assert "absolute differences" not in done.stdout
    assert {t["mistake"] for t in failing["dloss_fn"]} == {"dloss_fn_without_factor_2"}
    assert "model_raises" in {t["mistake"] for t in failing["model"]}
    assert RAISES_HINT in " ".join(done.stdout.split())  # the terminal table shows the hint

    recorded = next(t for t in tests["model"] if t["name"] == "A test that records a curve and a number")
    assert recorded["metrics"] == {"curve": [1.0, 2.0, None, None], "final": 0.5} and recorded["files"] == []

    outputs = [t["output"] for t in json.loads(gradescope.read_text())["tests"]]
    assert any(f"{KNOWN_MISTAKE}{RAISES_HINT}" in output for output in outputs)
    assert GradingResult.from_dict(data).to_dict() == data


def test_the_cache_of_bank_outputs_is_bounded_by_bytes(monkeypatch):
    monkeypatch.setattr(bank, "CACHE_BYTES", 10_000)
    monkeypatch.setattr(bank, "_outputs", type(bank._outputs)())
    monkeypatch.setattr(bank, "_sizes", {})
    for i in range(10):
        bank._remember(("key", i), bank.Outcome(torch.zeros(500), []))  # 2 kB each
    assert list(bank._outputs) == [("key", i) for i in range(6, 10)]  # the oldest went first
    assert sum(bank._sizes.values()) <= 10_000


def test_the_hint_search_leaves_to_the_rules_the_mistakes_they_catch():
    assignment = load_assignment(A01, ROOT)
    wrong = [entry for entry in bank.entries(assignment) if entry.kind == "wrong"]
    caught = {entry.name for entry in wrong if bank.caught_by_rule(assignment, entry)}
    assert caught == {"grad_fn_uses_autograd", "training_loop_uses_torch_optim"}  # never run: their values are right
