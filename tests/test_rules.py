"""The task rules on source alone: correct answers in many styles pass, every evasion breaks.

Fast (no sandbox, no torch): each case is a module checked with ``rules.find_violations``
against the real manifests of 01 and 04, so a change to the rules is checked in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import REFERENCE_01, ROOT

from autograder import course, rules

A01, A04 = course.load("01_gradient_descent", ROOT), course.load("04_deep_learning", ROOT)
REFERENCE_04 = (ROOT / "solutions" / "04_deep_learning" / "deep_learning.py").read_text()


def violations(source: str, task: str, assignment: course.Assignment = A01) -> list[rules.Violation]:
    rules_of = {entry.name: entry.forbid for entry in assignment.tasks}
    return rules.find_violations(textwrap.dedent(source), task, assignment.task(task).forbid, rules_of)


def breaks(source: str, task: str, assignment: course.Assignment = A01) -> str:
    """The message of the first break of ``task``'s rule; fails when there is none."""
    found = violations(source, task, assignment)
    assert found, f"{task} was not charged for:\n{textwrap.dedent(source)}"
    return found[0].message(assignment.task(task).rule)


# --- 01: grad_fn must not use autograd -----------------------------------------------------------------

AUTOGRAD_EVASIONS = {
    "inside an if": """
        import torch
        if True:
            def grad_fn(x, y, y_hat, w, b):
                p = torch.tensor([w, b]).requires_grad_()
                return p
        """,
    "import inside try": """
        try:
            from torch.autograd import grad as g
        except ImportError:
            g = None
        def grad_fn(x, y, y_hat, w, b):
            return g(y_hat, w)
        """,
    "alias made in a with": """
        import torch
        with open(__file__) as f:
            ag = torch.autograd
        def grad_fn(x, y, y_hat, w, b):
            return ag.grad(y_hat, w)
        """,
    "alias made by a for": """
        import torch
        for ag in [torch.autograd]:
            pass
        def grad_fn(x, y, y_hat, w, b):
            return ag.grad(y_hat, w)
        """,
    "alias made in a match": """
        import torch
        match 1:
            case _:
                ag = torch.autograd
        def grad_fn(x, y, y_hat, w, b):
            return ag.grad(y_hat, w)
        """,
    "walrus": """
        import torch
        if (ag := torch.autograd) is not None:
            pass
        def grad_fn(x, y, y_hat, w, b):
            return ag.grad(y_hat, w)
        """,
    "global set in another function": """
        import torch
        def setup():
            global ag
            ag = torch.autograd
        setup()
        def grad_fn(x, y, y_hat, w, b):
            return ag.grad(y_hat, w)
        """,
    "getattr under another name": """
        import torch
        g = getattr
        def grad_fn(x, y, y_hat, w, b):
            return g(torch, "auto" + "grad").grad(y_hat, w)
        """,
    "reduce over getattr": """
        import functools, torch
        def grad_fn(x, y, y_hat, w, b):
            return functools.reduce(getattr, ["autograd", "grad"], torch)(y_hat, w)
        """,
    "getattr from __builtins__": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            return __builtins__["getattr"](torch, "autograd")
        """,
    "computed getattr on a library": """
        import torch
        NAME = "auto" + "grad"
        def grad_fn(x, y, y_hat, w, b):
            return getattr(torch, NAME).grad(y_hat, w)
        """,
    "computed getattr on a value": """
        def grad_fn(x, y, y_hat, w, b):
            loss = ((y_hat - y) ** 2).mean()
            getattr(loss, "back" + "ward")()
        """,
    "helper getattr called with a forbidden constant": """
        def call(obj, name):
            return getattr(obj, name)()
        def grad_fn(x, y, y_hat, w, b):
            return call(y_hat.sum(), "backward")
        """,
    "helper getattr passed around": """
        def call(obj, name):
            return getattr(obj, name)()
        run = call
        def grad_fn(x, y, y_hat, w, b):
            return run(y_hat.sum(), "mean")
        """,
    "torch.ops.aten": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            return torch.ops.aten.mse_loss_backward(y_hat, y_hat, y, 1)
        """,
    "torch.func.grad": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            return torch.func.grad(lambda p: ((p[0] * x + p[1] - y) ** 2).mean())(torch.stack([w, b]))
        """,
    "jacrev imported from torch.func": """
        from torch.func import jacrev
        def grad_fn(x, y, y_hat, w, b):
            return jacrev(lambda p: p)(w)
        """,
    "vars(torch)": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            return vars(torch)["autograd"]
        """,
    "torch.__dict__": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            return torch.__dict__["autograd"]
        """,
    "sys.modules": """
        import sys
        def grad_fn(x, y, y_hat, w, b):
            return sys.modules["torch.autograd"]
        """,
    "__import__": """
        def grad_fn(x, y, y_hat, w, b):
            return __import__("torch.auto" + "grad")
        """,
    "importlib": """
        import importlib
        def grad_fn(x, y, y_hat, w, b):
            return importlib.import_module("torch.auto" + "grad")
        """,
    "eval": """
        def grad_fn(x, y, y_hat, w, b):
            return eval("y_hat.sum().back" + "ward()")
        """,
    "exec in module code": """
        exec("import torch")
        def grad_fn(x, y, y_hat, w, b):
            return y_hat
        """,
    "attrgetter": """
        import operator, torch
        def grad_fn(x, y, y_hat, w, b):
            return operator.attrgetter("auto" + "grad")(torch)
        """,
    "unbound Tensor.backward": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            torch.Tensor.backward(y_hat.sum())
        """,
    "decorator": """
        import torch
        def wrap(f):
            return lambda *a: torch.autograd.grad(*a)
        @wrap
        def grad_fn(x, y, y_hat, w, b):
            return None
        """,
    "default argument": """
        import torch
        def grad_fn(x, y, y_hat, w, b, g=torch.autograd.grad):
            return g(y_hat, w)
        """,
    "lambda helper": """
        import torch
        helper = lambda loss, p: torch.autograd.grad(loss, p)
        def grad_fn(x, y, y_hat, w, b):
            return helper(y_hat.sum(), w)
        """,
    "class body": """
        import torch
        class H:
            g = staticmethod(torch.autograd.grad)
        def grad_fn(x, y, y_hat, w, b):
            return H.g(y_hat.sum(), w)
        """,
    "__subclasses__ walk": """
        def grad_fn(x, y, y_hat, w, b):
            return [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "Function"]
        """,
    "from torch import autograd as a": """
        from torch import autograd as a
        def grad_fn(x, y, y_hat, w, b):
            return a.grad(y_hat, w)
        """,
    "setattr on a module": """
        import torch
        setattr(torch, "helper", torch.autograd.grad)
        def grad_fn(x, y, y_hat, w, b):
            return torch.helper(y_hat.sum(), w)
        """,
    "attribute patched in a function": """
        import torch
        def install():
            torch.Tensor.go = torch.Tensor.backward
        def grad_fn(x, y, y_hat, w, b):
            y_hat.sum().go()
        """,
    "star import": """
        from torch.autograd import *
        def grad_fn(x, y, y_hat, w, b):
            return grad(y_hat.sum(), w)
        """,
    "grad_fn of a tensor": """
        def grad_fn(x, y, y_hat, w, b):
            return y_hat.sum().grad_fn(1.0)
        """,
    ".grad of a tensor": """
        def grad_fn(x, y, y_hat, w, b):
            return w.grad
        """,
    "library internals": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            return torch._C._functions
        """,
    "a registry filled elsewhere": """
        import torch
        REGISTRY = []
        def fill(items):
            items.append(torch.autograd.grad)
        fill(REGISTRY)
        def grad_fn(x, y, y_hat, w, b):
            return REGISTRY[0](y_hat.sum(), w)
        """,
    "another interpreter": """
        import subprocess
        def grad_fn(x, y, y_hat, w, b):
            return subprocess.run(["python", "-c", "print(1)"])
        """,
    "requires_grad keyword": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            return torch.tensor([1.0], requires_grad=True)
        """,
}


@pytest.mark.parametrize("source", AUTOGRAD_EVASIONS.values(), ids=AUTOGRAD_EVASIONS.keys())
def test_every_evasion_of_the_autograd_rule_breaks_it(source):
    assert "no autograd" in breaks(source, "grad_fn")


CORRECT_01_STYLES = {
    "the reference": REFERENCE_01.read_text(),
    "no_grad and a local named grad": """
        import torch
        def grad_fn(x, y, y_hat, w, b):
            with torch.no_grad():
                d = 2 * (y_hat - y)
                return torch.stack([(d * x).mean(), d.mean()])
        def training_loop(n_epochs, learning_rate, params, x, y):
            losses = []
            for _ in range(n_epochs):
                y_hat = params[0] * x + params[1]
                losses.append(float(((y_hat - y) ** 2).mean()))
                grad = grad_fn(x, y, y_hat, params[0], params[1])
                params = params - learning_rate * grad
            return params, losses
        if __name__ == "__main__":
            print(training_loop(3, 0.1, torch.zeros(2), torch.ones(3), torch.ones(3)))
        """,
    "explicit imports and python loops": """
        from torch import stack, tensor
        import math
        def grad_fn(x, y, y_hat, w, b):
            dw = db = 0.0
            for xi, yi, pi in zip(x.tolist(), y.tolist(), y_hat.tolist()):
                dw += 2 * (pi - yi) * xi
                db += 2 * (pi - yi)
            return tensor([dw / len(x), db / len(x)])
        def training_loop(n_epochs, learning_rate, params, x, y, step=None):
            losses = []
            for epoch in range(n_epochs):
                y_hat = params[0] * x + params[1]
                losses.append(math.fsum(((y_hat - y) ** 2).tolist()) / len(x))
                params = stack([p - learning_rate * g for p, g in zip(params, grad_fn(x, y, y_hat, *params))])
            return params, losses
        """,
}


@pytest.mark.parametrize("source", CORRECT_01_STYLES.values(), ids=CORRECT_01_STYLES.keys())
@pytest.mark.parametrize("task", ["grad_fn", "training_loop"])
def test_correct_answers_of_01_in_other_styles_follow_the_rules(source, task):
    assert violations(source, task) == []


def test_a_helper_break_names_the_path_to_it_and_its_line():
    source = """
        import torch

        def unpack(loss, p):
            return torch.autograd.grad(loss, p)

        def middle(loss, p):
            return unpack(loss, p)

        def grad_fn(x, y, y_hat, w, b):
            return middle(y_hat.sum(), w)
        """
    message = breaks(source, "grad_fn")
    assert "it calls middle, which calls unpack, which uses it (line 5)" in message
    assert "`torch.autograd`" in message


def test_a_break_inside_another_task_is_charged_to_that_task_only():
    source = REFERENCE_01.read_text().replace(
        "    dloss_dyhat = dloss_fn(y_hat, y)\n", "    dloss_dyhat = dloss_fn(y_hat, y)\n    y_hat.sum().backward()\n"
    )
    assert "`backward`" in breaks(source, "grad_fn")
    assert violations(source, "training_loop") == []


def test_what_only_the_callers_rule_forbids_is_charged_to_the_caller_through_the_other_task():
    source = REFERENCE_01.read_text().replace(
        "    dloss_dyhat = dloss_fn(y_hat, y)\n", "    dloss_dyhat = dloss_fn(y_hat, y)\n    torch.optim.SGD\n"
    )
    assert violations(source, "grad_fn") == []
    assert "it calls grad_fn, which uses it" in breaks(source, "training_loop")


def test_a_notebook_break_is_placed_in_its_cell():
    found = violations("import torch\ndef grad_fn(x, y, y_hat, w, b):\n    return w.grad\n", "grad_fn")
    message = found[0].message("no autograd", lambda line: f"line {line - 1} of cell 2")
    assert message.endswith("(line 2 of cell 2)")


def test_code_built_at_run_time_breaks_every_rule_and_says_so():
    message = breaks("def grad_fn(x, y, y_hat, w, b):\n    return eval('w')\n", "grad_fn")
    assert "code built at run time (`eval`)" in message and "line 2" in message


def test_a_module_that_does_not_parse_has_no_rule_breaks():
    assert violations("def grad_fn(:\n", "grad_fn") == []


# --- 04: the loss tasks must not use their library losses ----------------------------------------------

LOSS_EVASIONS = {
    "functional through torch.nn": """
        import torch
        def mse_loss(input, target, reduction="mean"):
            return torch.nn.functional.mse_loss(input, target, reduction=reduction)
        """,
    "nn.functional": """
        from torch import nn
        def mse_loss(input, target, reduction="mean"):
            return nn.functional.mse_loss(input, target, reduction=reduction)
        """,
    "the loss module under another name": """
        import torch.nn as nn
        Loss = nn.MSELoss
        def mse_loss(input, target, reduction="mean"):
            return Loss(reduction=reduction)(input, target)
        """,
    "an internal op": """
        import torch
        def mse_loss(input, target, reduction="mean"):
            return torch._C._nn.mse_loss(input, target)
        """,
    "a tensor method patched in": """
        import torch
        import torch.nn.functional as F
        torch.Tensor.squared_error = F.mse_loss
        def mse_loss(input, target, reduction="mean"):
            return input.squared_error(target, reduction=reduction)
        """,
    "getattr on the library with the reduction": """
        import torch.nn.functional as F
        def mse_loss(input, target, reduction="mean"):
            return getattr(F, reduction)(input, target)
        """,
    "a reduction the module passes itself": """
        import torch.nn.functional as F
        def pick(input, reduction):
            return getattr(input, reduction)
        def mse_loss(input, target, reduction="mean"):
            return pick(F, "mse_loss")(input, target)
        """,
    "a default naming the library loss": """
        import torch.nn.functional as F
        def mse_loss(input, target, reduction="mean", how="mse_loss"):
            holder = F
            return getattr(holder, how)(input, target)
        """,
}


@pytest.mark.parametrize("source", LOSS_EVASIONS.values(), ids=LOSS_EVASIONS.keys())
def test_every_evasion_of_a_loss_rule_breaks_it(source):
    assert "must not use the library's MSE loss" in breaks(source, "mse_loss", A04)


CORRECT_LOSS_STYLES = {
    "getattr on a local tensor": """
        def mse_loss(input, target, reduction="mean"):
            losses = (input - target) ** 2
            if reduction == "none":
                return losses
            if reduction not in ("mean", "sum"):
                raise ValueError("reduction must be 'none', 'mean' or 'sum'")
            return getattr(losses, reduction)()
        """,
    "getattr on the computed value in place": """
        def mse_loss(input, target, reduction="mean"):
            if reduction not in ("none", "mean", "sum"):
                raise ValueError("reduction must be 'none', 'mean' or 'sum'")
            return (input - target).square() if reduction == "none" else getattr((input - target) ** 2, reduction)()
        """,
    "a shared reduction helper": """
        import torch
        def _reduce(losses, reduction):
            if reduction == "none":
                return losses
            if reduction in ("mean", "sum"):
                return getattr(losses, reduction)()
            raise ValueError(f"reduction must be 'none', 'mean' or 'sum', not {reduction!r}")
        def mse_loss(input, target, reduction="mean"):
            return _reduce(torch.square(input - target), reduction)
        def l1_loss(input, target, reduction="mean"):
            return _reduce(torch.abs(input - target), reduction)
        """,
    "getattr on a library call's result": """
        import torch
        def mse_loss(input, target, reduction="mean"):
            if reduction not in ("none", "mean", "sum"):
                raise ValueError("reduction must be 'none', 'mean' or 'sum'")
            if reduction == "none":
                return torch.square(input - target)
            return getattr(torch.square(input - target), reduction)()
        """,
    "a dispatch table and match": """
        import torch
        REDUCTIONS = {"none": lambda t: t, "mean": torch.mean, "sum": torch.sum}
        def mse_loss(input, target, reduction="mean"):
            match reduction:
                case "none" | "mean" | "sum":
                    return REDUCTIONS[reduction](torch.pow(input - target, 2))
                case _:
                    raise ValueError("reduction must be 'none', 'mean' or 'sum'")
        def l1_loss(input, target, reduction="mean"):
            if reduction not in REDUCTIONS:
                raise ValueError("reduction must be 'none', 'mean' or 'sum'")
            return REDUCTIONS[reduction]((input - target).abs())
        """,
    "a library loss elsewhere in the module": """
        import torch
        from torch import nn
        criterion = nn.MSELoss()
        def mse_loss(input, target, reduction="mean"):
            losses = (input - target) ** 2
            return {"none": losses, "mean": losses.mean(), "sum": losses.sum()}[reduction]
        def train_ffn(X, y, hidden_size=4, epochs=400, lr=1e-2, seed=0):
            losses = []
            loss = criterion(X.sum(1), y)
            loss.backward()
            losses.append(loss.item())
            return None, losses
        """,
}


@pytest.mark.parametrize("source", CORRECT_LOSS_STYLES.values(), ids=CORRECT_LOSS_STYLES.keys())
@pytest.mark.parametrize("task", ["mse_loss", "l1_loss", "tiny_network_grads"])
def test_correct_answers_of_04_in_other_styles_follow_the_rules(source, task):
    assert violations(source, task, A04) == []


@pytest.mark.parametrize("task", [entry.name for entry in A04.tasks if entry.forbid])
def test_the_reference_of_04_follows_every_rule(task):
    assert violations(REFERENCE_04, task, A04) == []


def test_checking_every_rule_of_a_module_takes_milliseconds():
    started = time.perf_counter()
    for entry in A04.tasks:
        violations(REFERENCE_04, entry.name, A04)
    assert time.perf_counter() - started < 1.0  # about 3 ms a task on an idle core


def test_a_shared_reduction_helper_stays_allowed_when_the_task_is_defined_again_later():
    redefined = REFERENCE_04 + textwrap.dedent(CORRECT_LOSS_STYLES["a shared reduction helper"])
    assert violations(redefined, "mse_loss", A04) == []


MORE_LOSS_EVASIONS = {
    "a library loss inside a longer name": """
        import torch.nn.functional as F
        def l1_loss(input, target, reduction="mean"):
            return F.smooth_l1_loss(input, target, reduction=reduction, beta=1e-12)
        """,
    "an import of the module itself": """
        import torch.nn.functional as F
        import deep_learning as me
        def library(input, target):
            return F.l1_loss(input, target)
        def l1_loss(input, target, reduction="mean"):
            return me.library(input, target)
        """,
}


@pytest.mark.parametrize("source", MORE_LOSS_EVASIONS.values(), ids=MORE_LOSS_EVASIONS.keys())
def test_longer_names_and_self_imports_break_a_loss_rule(source):
    assert any(found.used == "l1_loss" for found in violations(source, "l1_loss", A04))


def test_importing_a_module_the_code_could_have_written_breaks_the_rules():
    source = """
        import torch
        with open("cheat.py", "w") as f:
            f.write("import torch.nn.functional")
        import cheat
        def mse_loss(input, target, reduction="mean"):
            return cheat.go(input, target)
        """
    assert "`cheat`, a module not installed" in breaks(source, "mse_loss", A04)


def test_a_lambda_parameter_of_the_same_name_is_not_trusted():
    source = """
        def mse_loss(input, target, reduction="mean"):
            return (lambda reduction: getattr(input, reduction))("sig" + "moid")()
        """
    assert "`getattr` with a computed name" in breaks(source, "mse_loss", A04)


def test_a_keyword_counts_only_by_its_exact_name():
    source = """
        def weighted(losses, mse_loss_weight=1.0):
            return losses * mse_loss_weight
        def mse_loss(input, target, reduction="mean"):
            return weighted((input - target) ** 2, mse_loss_weight=1.0).mean()
        """
    assert violations(source, "mse_loss", A04) == []


def test_the_named_break_is_the_same_in_every_process():
    source = AUTOGRAD_EVASIONS["a registry filled elsewhere"] + AUTOGRAD_EVASIONS["inside an if"]
    script = (
        "import sys, textwrap; from autograder import rules; "
        "print(rules.find_violations(textwrap.dedent(sys.stdin.read()), 'grad_fn', "
        "['backward', 'torch.autograd', 'requires_grad', 'requires_grad_', 'grad'])[0].message('r'))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            input=source,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


def test_a_module_too_deeply_nested_to_read_breaks_the_rules():
    source = "def grad_fn(x, y, y_hat, w, b):\n    return " + "-" * 100_000 + "w\n"
    assert "nested too deeply" in breaks(source, "grad_fn")


def test_a_library_loss_passed_into_the_task_breaks_its_rule():
    source = """
        import torch.nn.functional as F
        def mse_loss(input, target, reduction="mean", _kept={}):
            if callable(reduction):
                _kept["loss"] = reduction
            return _kept["loss"](input, target)
        mse_loss(None, None, F.mse_loss)
        """
    assert "is called by module-level code with an argument, which uses it (line 7)" in breaks(source, "mse_loss", A04)


def test_a_star_import_after_the_task_that_replaces_it_with_the_library_breaks_its_rule():
    source = 'def mse_loss(input, target, reduction="mean"):\n    return input\n\nfrom torch.nn.functional import *\n'
    assert "`mse_loss`" in breaks(source, "mse_loss", A04) and "line 4" in breaks(source, "mse_loss", A04)
    assert violations("from math import *\n\n" + source.split("\n\nfrom")[0], "mse_loss", A04) == []


MODULE_GETATTR_EVASIONS = {
    "a module __getattr__": """
        import torch.nn.functional as F
        def __getattr__(name):
            library = F
            return getattr(library, name)
        """,
    "a local alias of the library": """
        import torch.nn.functional as F
        def pick(reduction):
            library = F
            return getattr(library, reduction)
        def mse_loss(input, target, reduction="mean"):
            return pick(reduction)(input, target)
        """,
}


@pytest.mark.parametrize("source", MODULE_GETATTR_EVASIONS.values(), ids=MODULE_GETATTR_EVASIONS.keys())
def test_a_lookup_on_an_alias_of_a_library_or_in_a_module_getattr_breaks_the_rules(source):
    assert "`getattr` with a computed name" in breaks(source, "mse_loss", A04)


def test_a_lookup_on_a_slice_of_a_local_value_stays_allowed():
    source = """
        def mse_loss(input, target, reduction="mean"):
            squared = (input - target) ** 2
            losses = squared[...]
            if reduction not in ("mean", "sum"):
                return losses
            return getattr(losses, reduction)()
        """
    assert violations(source, "mse_loss", A04) == []


ENGINE_IMPORTS = {
    "import": "import autograder",
    "import of a submodule": "import autograder.testing.support",
    "import as": "import autograder.testing as t",
    "from import": "from autograder.testing import expect_close",
    "from import as": "from autograder.testing.support import assignment_support as s",
    "from the package": "from autograder import testing",
    "star import": "from autograder.testing import *",
    "inside a function": "def helper():\n    from autograder import bank\n    return bank",
    "in a try": "try:\n    import autograder as ag\nexcept ImportError:\n    ag = None",
}


@pytest.mark.parametrize("source", ENGINE_IMPORTS.values(), ids=ENGINE_IMPORTS.keys())
@pytest.mark.parametrize(("task", "assignment"), [("grad_fn", A01), ("training_loop", A01), ("mse_loss", A04)])
def test_a_module_that_imports_the_engine_breaks_every_rule(source, task, assignment):
    reference = REFERENCE_01.read_text() if assignment is A01 else REFERENCE_04
    found = violations(f"{reference}\n\n{source}\n", task, assignment)
    assert any(v.dynamic and v.used.startswith("`autograder") and "the grader's own code" in v.used for v in found)


def test_names_like_the_engine_that_are_not_it_break_nothing():
    source = REFERENCE_01.read_text() + "\n\nautograder = {'grad': 1}\nautograder_notes = autograder['grad']\n"
    assert violations(source, "grad_fn") == []
