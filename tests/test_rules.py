"""The task rules on source alone: correct answers in many styles pass, every evasion breaks.

Fast (no sandbox): each case is a module checked with ``rules.find_violations`` against the
real manifests of 01, 03 and 04, so a change to the rules is checked in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import REFERENCE_01, ROOT

from autograder import authoring, bank, course, rules

A01, A04 = course.load("01_gradient_descent", ROOT), course.load("04_deep_learning", ROOT)
A03 = course.load("03_classification", ROOT)
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
    "a module written at import and loaded with imp": """
        import imp, os
        open("helper.py", "w").write("import torch; g = lambda y, w: torch.autograd.grad(y.sum(), w)")
        helper = imp.load_source("helper", os.path.abspath("helper.py"))
        def grad_fn(x, y, y_hat, w, b):
            return helper.g(y_hat, w)
        """,
    "a zip written at import and loaded with zipimport": """
        import zipimport
        def grad_fn(x, y, y_hat, w, b):
            return zipimport.zipimporter("helper.zip").load_module("helper").g(y_hat, w)
        """,
    "a statement timed by timeit": """
        from timeit import Timer
        def grad_fn(x, y, y_hat, w, b):
            Timer("out.append(torch.autograd.grad(y_hat.sum(), w))", globals=globals()).timeit(1)
        """,
    "docstring examples run by doctest": """
        import doctest
        def grad_fn(x, y, y_hat, w, b):
            return doctest.run_docstring_examples(grad_fn, globals())
        """,
    "a string run by cProfile": """
        import cProfile
        def grad_fn(x, y, y_hat, w, b):
            cProfile.run("result = go()")
        """,
    "an object found by name through pydoc": """
        import pydoc
        def grad_fn(x, y, y_hat, w, b):
            return pydoc.locate("torch.autograd." + "grad")(y_hat.sum(), w)
        """,
    "an object found by name through mock": """
        from unittest import mock
        def grad_fn(x, y, y_hat, w, b):
            with mock.patch("torch.Tensor.mean", side_effect=lambda *a: 0):
                return y_hat
        """,
    "an attribute found by name through string.Formatter": """
        import string, torch
        def grad_fn(x, y, y_hat, w, b):
            return string.Formatter().get_field("0.autograd.grad", [torch], {})[0](y_hat.sum(), w)
        """,
    "a string annotation evaluated by typing": """
        import typing
        def helper(a: "torch.autograd.grad(y_hat.sum(), w)"):
            pass
        def grad_fn(x, y, y_hat, w, b):
            return typing.get_type_hints(helper, globals(), locals())["a"]
        """,
    "a folder put on the import path": """
        import sys
        sys.path.insert(0, ".")
        import colorsys
        def grad_fn(x, y, y_hat, w, b):
            return colorsys.g(y_hat, w)
        """,
    "a private module of the standard library": """
        import _imp
        def grad_fn(x, y, y_hat, w, b):
            return _imp
        """,
    "exec handed on by another module": """
        import dataclasses
        def grad_fn(x, y, y_hat, w, b):
            return dataclasses.builtins.exec("out = torch.autograd.grad(y_hat.sum(), w)")
        """,
    "sys.modules handed on by os": """
        import os
        def grad_fn(x, y, y_hat, w, b):
            return os.sys.modules["torch"].autograd.grad(y_hat.sum(), w)
        """,
    "a method found by name through xmlrpc": """
        import xmlrpc.server
        def grad_fn(x, y, y_hat, w, b):
            xmlrpc.server.resolve_dotted_attribute(y_hat.sum(), "backward")()
        """,
    "a method found by name through unittest": """
        import unittest
        def grad_fn(x, y, y_hat, w, b):
            unittest.TestLoader().loadTestsFromName("backward", y_hat.sum())
        """,
    "a traceback's frame": """
        import sys
        def grad_fn(x, y, y_hat, w, b):
            try:
                1 / 0
            except ZeroDivisionError:
                return sys.exc_info()[2].tb_frame.f_globals
        """,
    "a program run by posix": """
        import posix
        def grad_fn(x, y, y_hat, w, b):
            return posix.system("python -c 1")
        """,
    "an object imported by name through traitlets": """
        from traitlets.utils.importstring import import_item
        def grad_fn(x, y, y_hat, w, b):
            return import_item("torch.autograd.grad")(y_hat.sum(), w)
        """,
    "an object imported by name through IPython": """
        import IPython.display
        def grad_fn(x, y, y_hat, w, b):
            return IPython.utils.importstring.import_item("torch.autograd.grad")(y_hat.sum(), w)
        """,
    "a template that runs code": """
        import jinja2
        def grad_fn(x, y, y_hat, w, b):
            return jinja2.Template("{{ f(a, b) }}").render(f=w.add, a=b, b=y)
        """,
    "a Fortran function compiled at run time": """
        import numpy.f2py
        def grad_fn(x, y, y_hat, w, b):
            return numpy.f2py.compile("subroutine g; end", modulename="g")
        """,
    "a frame's builtins": """
        import sys
        def grad_fn(x, y, y_hat, w, b):
            return sys._getframe(0).f_builtins["ev" + "al"]("torch.autograd.grad(y_hat.sum(), w)")
        """,
}


@pytest.mark.parametrize("source", AUTOGRAD_EVASIONS.values(), ids=AUTOGRAD_EVASIONS.keys())
def test_every_evasion_of_the_autograd_rule_breaks_it(source):
    assert "no autograd" in breaks(source, "grad_fn")


CORRECT_01_STYLES = {
    "the reference": REFERENCE_01.read_text(),
    "the standard library's harmless modules": """
        import math, random, string, sys, time, typing, warnings
        from typing import List, Tuple
        import numpy as np
        import torch
        import matplotlib.pyplot as plt
        from IPython.display import display
        from sklearn.model_selection import train_test_split
        from scipy import special
        torch.random.manual_seed(int(np.random.default_rng(0).integers(10)))
        TRACE = torch.trace(torch.eye(2))
        def grad_fn(x, y, y_hat, w, b) -> torch.Tensor:
            d = 2 * (y_hat - y)
            return torch.stack([(d * x).mean(), d.mean()])
        def training_loop(n_epochs, learning_rate, params, x, y) -> Tuple[torch.Tensor, List[float]]:
            losses: typing.List[float] = []
            started = time.perf_counter()
            for _ in range(n_epochs):
                y_hat = params[0] * x + params[1]
                losses.append(float(((y_hat - y) ** 2).mean()))
                params = params - learning_rate * grad_fn(x, y, y_hat, *params)
            if not math.isfinite(losses[-1]):
                warnings.warn("diverged" + string.punctuation[0])
                print(random.random(), time.perf_counter() - started, file=sys.stderr)
            return params, losses
        """,
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
    assert any(found.used.endswith("l1_loss") for found in violations(source, "l1_loss", A04))


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


# --- 03 and 04: library wrappers of what a rule forbids ----------------------------------------------

WRAPPER_EVASIONS = {
    "sigmoid by a Bernoulli's probabilities": ("sigmoid", A03, "return torch.distributions.Bernoulli(logits=x).probs"),
    "sigmoid by a distribution imported by name": (
        "sigmoid",
        A03,
        "from torch.distributions import Bernoulli\n    return Bernoulli(logits=x).probs",
    ),
    "sigmoid by a library BCE": (
        "sigmoid",
        A03,
        "return torch.exp(-F.binary_cross_entropy_with_logits(x, torch.ones_like(x), reduction='none'))",
    ),
    "sigmoid by softplus": ("sigmoid", A03, "return torch.exp(-F.softplus(-x))"),
    "sigmoid by silu": ("sigmoid", A03, "return F.silu(x) / x"),
    "sigmoid by glu": ("sigmoid", A03, "return F.glu(torch.stack([torch.ones_like(x), x]), dim=0)"),
    "sigmoid by a GRU cell's gate": ("sigmoid", A03, "cell = nn.GRUCell(1, 1)\n    return cell(x, x)"),
    "sigmoid by scipy": ("sigmoid", A03, "import scipy.special\n    return torch.as_tensor(scipy.special.expit(x))"),
    "sigmoid by scipy.stats": ("sigmoid", A03, "from scipy import stats\n    return stats.logistic.cdf(x)"),
    "sigmoid by scikit-learn": ("sigmoid", A03, "from sklearn.linear_model import LogisticRegression\n    return x"),
    "softmax by a Categorical's probabilities": (
        "softmax",
        A03,
        "return torch.distributions.Categorical(logits=x.movedim(dim, -1)).probs.movedim(-1, dim)",
    ),
    "softmax by softmin": ("softmax", A03, "return F.softmin(-x, dim=dim)"),
    "softmax by attention": ("softmax", A03, "return F.scaled_dot_product_attention(x, x, x)"),
    "softmax by an attention layer": ("softmax", A03, "return nn.MultiheadAttention(1, 1)(x, x, x)[1]"),
    "softmax by a tensor's log_softmax": ("softmax", A03, "return x.log_softmax(dim).exp()"),
    "softmax by torch.special": ("softmax", A03, "return torch.special.softmax(x, dim)"),
    "softmax by gumbel_softmax": ("softmax", A03, "return F.gumbel_softmax(x, tau=1.0, dim=dim)"),
    "softmax by a library cross-entropy": (
        "softmax",
        A03,
        "return torch.exp(-F.cross_entropy(x, x, reduction='none'))",
    ),
    "cross_entropy by a Categorical's log_prob": (
        "cross_entropy",
        A03,
        "return -torch.distributions.Categorical(logits=logits).log_prob(target).mean()",
    ),
    "cross_entropy by kl_div": ("cross_entropy", A03, "return F.kl_div(logits, target)"),
    "cross_entropy by an alias of the distributions": (
        "cross_entropy",
        A03,
        "import torch.distributions as D\n    return -D.Categorical(logits=logits).log_prob(target).mean()",
    ),
    "bce_loss by a Bernoulli's log_prob": (
        "bce_loss",
        A03,
        "return -torch.distributions.Bernoulli(p).log_prob(y).mean()",
    ),
    "bce_loss by scikit-learn": ("bce_loss", A03, "from sklearn.metrics import log_loss\n    return log_loss(y, p)"),
    "bce_with_logits by a Bernoulli's log_prob": (
        "bce_with_logits",
        A03,
        "return -torch.distributions.Bernoulli(logits=z).log_prob(y).mean()",
    ),
    "bce_with_logits by soft_margin_loss": ("bce_with_logits", A03, "return F.soft_margin_loss(z, 2 * y - 1)"),
    "bce_with_logits by multilabel_soft_margin_loss": (
        "bce_with_logits",
        A03,
        "return F.multilabel_soft_margin_loss(z, y)",
    ),
    "hinge_loss by another margin loss": ("hinge_loss", A03, "return F.hinge_embedding_loss(scores, target)"),
    "mse_loss by huber_loss": (
        "mse_loss",
        A04,
        "return 2 * F.huber_loss(input, target, reduction=reduction, delta=1e30)",
    ),
    "mse_loss by a Normal's log_prob": (
        "mse_loss",
        A04,
        "return -torch.distributions.Normal(input, 1).log_prob(target)",
    ),
    "mse_loss by scikit-learn": (
        "mse_loss",
        A04,
        "import sklearn.metrics\n    return sklearn.metrics.mean_squared_error(input, target)",
    ),
    "l1_loss by smooth_l1_loss": (
        "l1_loss",
        A04,
        "return F.smooth_l1_loss(input, target, reduction=reduction, beta=0.0)",
    ),
    "l1_loss by a Laplace's log_prob": (
        "l1_loss",
        A04,
        "return -torch.distributions.Laplace(input, 1.0).log_prob(target)",
    ),
    "multi_margin_loss by a module loss": ("multi_margin_loss", A04, "return nn.MultiLabelMarginLoss()(input, target)"),
    "poisson_nll by a Poisson's log_prob": (
        "poisson_nll",
        A04,
        "return -torch.distributions.Poisson(log_input.exp()).log_prob(target)",
    ),
    "poisson_nll by torch's own alias": (
        "poisson_nll",
        A04,
        "return torch.poisson_nll_loss(log_input, target, True, False, 1e-8, 0)",
    ),
    "gaussian_nll by a Normal's log_prob": (
        "gaussian_nll",
        A04,
        "from torch.distributions import normal\n    return -normal.Normal(mean, var.sqrt()).log_prob(target)",
    ),
    "gaussian_nll by scipy.stats": (
        "gaussian_nll",
        A04,
        "import scipy.stats as st\n    return st.norm.logpdf(target, mean, var)",
    ),
}
SIGNATURES = {
    "sigmoid": "x",
    "softmax": "x, dim=-1",
    "cross_entropy": "logits, target",
    "bce_loss": "p, y",
    "bce_with_logits": "z, y",
    "hinge_loss": "scores, target",
    "mse_loss": "input, target, reduction='mean'",
    "l1_loss": "input, target, reduction='mean'",
    "multi_margin_loss": "input, target, p=1, margin=1.0, reduction='mean'",
    "poisson_nll": "log_input, target",
    "gaussian_nll": "mean, target, var",
}


@pytest.mark.parametrize(("task", "assignment", "body"), WRAPPER_EVASIONS.values(), ids=WRAPPER_EVASIONS.keys())
def test_a_library_wrapper_of_what_a_rule_forbids_breaks_it(task, assignment, body):
    imports = "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
    source = f"{imports}\n\ndef {task}({SIGNATURES[task]}):\n    {body}\n"
    found = violations(source, task, assignment)
    assert found and not found[0].dynamic, f"{task} was not charged for:\n{source}"


def correct_modules(assignment: course.Assignment) -> dict[str, str]:
    """The reference, every correct variant of the bank and every held-out mistake, as whole modules."""
    reference = assignment.reference_file.read_text()
    found = {"reference": reference}
    found |= {f"right/{e.name}": e.source(assignment) for e in bank.entries(assignment) if e.kind == "right"}
    held_out = ROOT / "benchmarks" / "heldout_mistakes" / assignment.id
    found |= {f"heldout/{f.stem}": bank.compose(reference, f.read_text()) for f in sorted(held_out.glob("*.py"))}
    return found


CORRECT_03_04 = [
    pytest.param(assignment, source, id=f"{assignment.id}-{name}")
    for assignment in (A03, A04)
    for name, source in correct_modules(assignment).items()
]


@pytest.mark.parametrize(("assignment", "source"), CORRECT_03_04)
def test_references_variants_and_held_out_mistakes_of_03_and_04_follow_every_rule(assignment, source):
    for entry in assignment.tasks:
        if entry.forbid:
            assert violations(source, entry.name, assignment) == [], entry.name


def test_the_losses_family_holds_every_loss_of_torch_and_every_distribution():
    import torch
    import torch.nn.functional as F
    from torch.nn.modules.loss import _Loss

    losses = [name for name in dir(F) if name.endswith("loss") or name in ("kl_div", "cross_entropy")]
    losses += [
        name
        for name in dir(torch.nn)
        if isinstance(getattr(torch.nn, name), type) and issubclass(getattr(torch.nn, name), _Loss)
    ]
    losses += [f"torch.{name}" for name in dir(torch) if name in losses]
    distributions = [f"torch.distributions.{name}" for name in torch.distributions.__all__]
    matcher = rules._Matcher(["@losses"])
    assert len(losses) > 40 and len(distributions) > 30
    assert [name for name in losses + distributions if not matcher.match([name])] == []
    assert matcher.match(["scipy.stats.norm"]) == "scipy" and matcher.match(["sklearn.metrics.log_loss"]) == "sklearn"


def test_a_family_names_its_entries_in_the_rule_students_read_and_an_unknown_one_is_an_authoring_error(tmp_path):
    sentence = authoring.rule_sentence(A03.task("softmax"), "``")
    assert (
        "``softmin``" in sentence
        and "``torch.distributions``" in sentence
        and "`softmin`" not in sentence.replace("``", "")
    )
    (tmp_path / "assignment.toml").write_text(
        'title = "t"\nmodule = "m"\n\n[[tasks]]\nname = "f"\nrule = "no"\nforbid = ["@nothing"]\n'
    )
    with pytest.raises(course.CourseError, match=r"assignment.toml:4: task 1 forbids '@nothing', which is no family"):
        course.read_assignment(tmp_path)


# --- bounds: a module too big to check breaks every rule ----------------------------------------------


def helpers(count: int, fan_out: int) -> str:
    """``count`` helpers, each calling the next ``fan_out``, the last of them using autograd."""
    calls = [" + ".join(f"h{j}()" for j in range(i + 1, min(i + 1 + fan_out, count))) or "0" for i in range(count)]
    calls[-1] = "torch.autograd.grad"
    return "import torch\n" + "".join(f"def h{i}():\n    return {c}\n" for i, c in enumerate(calls))


def test_a_long_chain_of_helpers_is_followed_to_its_end():
    source = helpers(1500, 1) + "def grad_fn(x, y, y_hat, w, b):\n    return h0()\n"
    message = breaks(source, "grad_fn")
    assert "`torch.autograd`" in message and "it calls h0, which calls h1" in message and "calls h1499" in message


@pytest.mark.parametrize(
    ("source", "why"),
    [
        (helpers(rules.MAX_UNITS + 1, 1), "more than 2,000 definitions and module-level statements"),
        (helpers(1500, 40), "more than 50,000 references between its definitions to follow"),
        (
            "".join(f"def f{i}(v, name):\n    return getattr(v * 1, name)() + f{i + 1}(v, name)\n" for i in range(400))
            + "def f400(v, name):\n    return getattr(v * 1, name)()\nf0(1, 'mean')\n",
            "more than 50,000 references between its definitions to follow",
        ),
    ],
    ids=["definitions", "references", "trusted lookups"],
)
def test_a_module_too_big_to_check_breaks_every_rule_and_says_why(source, why):
    source += "def grad_fn(x, y, y_hat, w, b):\n    return w\n"
    for task in ("grad_fn", "training_loop"):
        message = breaks(source, task)
        assert message.endswith(f"your module uses code too big to be checked ({why}) (line 1)")
    assert rules.reached_definitions(source, "grad_fn") == set()
