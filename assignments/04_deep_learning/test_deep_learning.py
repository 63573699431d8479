"""Public tests of assignment 04. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task. Tests that build
your network or train it go through ``probes.py`` (they can only receive data, not objects).
"""

import math

import torch
import torch.nn as nn

from autograder.testing import context, expect_close, expect_floats, expect_tensor, task
from autograder.testing.checks import failure

GRAD_KEYS = ("w1", "b1", "w3", "b3", "x")
REDUCTIONS = ("none", "mean", "sum")


def fail(message, detail=""):
    """Fail the test about the last call into your module (with a known mistake's hint if it matches)."""
    raise failure(message, detail, context.current().last_call)


def expect_value_error(result, call, names=()):
    """``result`` of the ``outcome`` probe must say that ``call`` raised ValueError naming ``names``."""
    if "raised" not in result:
        fail(f"{call} should raise ValueError, but it returned a value")
    if result["raised"] != "ValueError":
        fail(f"{call} should raise ValueError, but it raised {result['raised']}: {result['message']}")
    missing = [name for name in names if name not in result["message"]]
    if missing:
        fail(f"the ValueError of {call} should name the valid values {', '.join(map(repr, names))}", result["message"])


def ffn_forward(layers, x):
    """The forward pass of the lecture's FFN, composed from the network's own parameters."""
    y = x
    for number, name in enumerate(("layer1", "layer2", "layer3")):
        y = y @ layers[name]["weight"].T + layers[name]["bias"]
        if number < 2:
            y = torch.relu(y)
    return y


def expect_ffn(description, in_features, out_features, hidden_size, X):
    """The probe's description of an FFN: an nn.Module with the three layers, run in the right order."""
    if not description["is_module"]:
        fail("FFN must be an nn.Module: subclass nn.Module (capital M) and call super().__init__() first")
    shapes = {
        "layer1": (hidden_size, in_features),
        "layer2": (hidden_size, hidden_size),
        "layer3": (out_features, hidden_size),
    }
    for name, shape in shapes.items():
        layer = description["layers"][name]
        if layer["type"] != "Linear":
            fail(f"FFN needs an nn.Linear in attribute `{name}`, but it holds {layer['type']}")
        expect_tensor(layer["weight"], shape=shape, what=f"{name}.weight (nn.Linear({shape[1]}, {shape[0]}))")
        expect_tensor(layer["bias"], shape=shape[:1], what=f"{name}.bias")
    count = sum(h * i + h for h, i in shapes.values())
    if description["parameter_count"] != count:
        fail(
            "FFN's parameters() should hold the three layers' weights and biases and nothing else",
            f"got {description['parameter_count']} parameters, expected {count}",
        )
    expect_close(description["output"], ffn_forward(description["layers"], X), rtol=1e-4, atol=1e-5, what="FFN")


@task("FFN", points=2)
def test_ffn_is_the_lecture_network(submission):
    """FFN(4, 1, 4) has layer1, layer2, layer3 and computes layer3(ReLU(layer2(ReLU(layer1(x)))))."""
    X = torch.randn(10, 4)
    expect_ffn(submission.probe("build_ffn", 4, 1, 4, X), 4, 1, 4, X)


@task("FFN", points=1)
def test_ffn_of_another_size(submission):
    """FFN(3, 2, 5) maps 3 inputs through two hidden layers of 5 neurons to 2 outputs."""
    X = torch.randn(8, 3)
    expect_ffn(submission.probe("build_ffn", 3, 2, 5, X), 3, 2, 5, X)


def tiny_oracle(x, w1, b1, w3, b3, target):
    """Loss and gradients of the tiny network by autograd, in float64 (the test's oracle)."""
    values = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in zip(
        ("x", "w1", "b1", "w3", "b3"), (x, w1, b1, w3, b3), strict=True)}  # fmt: skip
    y3 = values["w3"] * torch.relu(values["w1"] * values["x"] + values["b1"]) + values["b3"]
    loss = (y3 - target) ** 2
    loss.backward()
    return loss.item(), {name: values[name].grad.item() for name in GRAD_KEYS}


def expect_tiny(result, expected, rtol=1e-5, atol=1e-6):
    """``(loss, grads)``: a Python float and a dict of Python floats with keys w1, b1, w3, b3, x."""
    want_loss, want_grads = expected
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail("tiny_network_grads should return a pair (loss, grads)")
    loss, grads = result
    expect_close(loss, want_loss, rtol=rtol, atol=atol, what="the loss of tiny_network_grads")
    if not isinstance(grads, dict) or set(grads) != set(GRAD_KEYS):
        fail(f"grads should be a dict with the keys {', '.join(GRAD_KEYS)}", f"got {grads!r}")
    for name in GRAD_KEYS:
        expect_close(grads[name], want_grads[name], rtol=rtol, atol=atol, what=f"grads[{name!r}]")


@task("tiny_network_grads", points=2)
def test_tiny_network_grads_of_the_lecture_example(submission):
    """The lecture's example (x=5, w1=3, b1=2, w3=-0.5, b3=4, target=2), and the same with the ReLU off."""
    lecture = {"w1": 32.5, "b1": 6.5, "w3": -221.0, "b3": -13.0, "x": 19.5}
    expect_tiny(submission.tiny_network_grads(5.0, 3.0, 2.0, -0.5, 4.0, 2.0), (42.25, lecture))
    # b1 = -20 makes y1 = -5 negative: the ReLU is off, so nothing flows back to w1, b1 or x.
    off = {"w1": 0.0, "b1": 0.0, "w3": 0.0, "b3": 4.0, "x": 0.0}
    expect_tiny(submission.tiny_network_grads(5.0, 3.0, -20.0, -0.5, 4.0, 2.0), (4.0, off))


@task("tiny_network_grads", points=1)
def test_tiny_network_grads_match_autograd(submission):
    """At other points, on both sides of the ReLU, tiny_network_grads agrees with autograd."""
    for point in [(1.5, -2.0, 4.0, 1.5, -1.0, 2.5), (-2.0, 0.5, 0.25, 3.0, 2.0, -1.0), (0.5, 2.0, 1.0, -1.5, 1.0, 3.0)]:
        expect_tiny(submission.tiny_network_grads(*point), tiny_oracle(*point))


@task("sgd_step", points=2)
def test_sgd_step_of_the_lecture_example(submission):
    """One step with lr 1e-3 from the lecture's weights, as floats and as tensors; the inputs stay unchanged."""
    params = {"w1": 3.0, "b1": 2.0, "w3": -0.5, "b3": 4.0}
    # The gradients come in another order and with the extra key "x", as tiny_network_grads gives them.
    grads = {"x": 19.5, "b3": -13.0, "w3": -221.0, "b1": 6.5, "w1": 32.5}
    want = {"w1": 2.9675, "b1": 1.9935, "w3": -0.279, "b3": 4.013}
    for as_tensor in (False, True):
        if as_tensor:
            params = {name: torch.tensor(value) for name, value in params.items()}
            grads = {name: torch.tensor(value) for name, value in grads.items()}
        new_params = submission.sgd_step(params, grads, 1e-3)
        if not isinstance(new_params, dict) or set(new_params) != set(params):
            fail("sgd_step should return a new dict with the keys of params", f"got {new_params!r}")
        for name, value in want.items():
            expected = torch.tensor(value) if as_tensor else value
            expect_close(new_params[name], expected, rtol=1e-5, atol=1e-6, what=f"sgd_step's {name}")


def lecture_regression_data():
    """The lecture's example of the continuous losses: x = rand(5, 1), y = rand(5, 1) after manual_seed(0)."""
    generator = torch.Generator().manual_seed(0)
    return torch.rand([5, 1], generator=generator), torch.rand([5, 1], generator=generator)


@task("mse_loss", points=2)
def test_mse_loss_of_the_lecture_example(submission):
    """mse_loss equals nn.MSELoss for each reduction (mean 0.1919, sum 0.9594), and rejects others."""
    x, y = lecture_regression_data()
    for reduction in REDUCTIONS:
        expect_close(submission.mse_loss(x, y, reduction=reduction), nn.MSELoss(reduction=reduction)(x, y))
    expect_close(submission.mse_loss(x, y), torch.tensor(0.1919), atol=1e-4, what="mse_loss (default reduction)")
    result = submission.probe("outcome", "mse_loss", x, y, reduction="average")
    expect_value_error(result, "mse_loss(..., reduction='average')", REDUCTIONS)


@task("l1_loss", points=2)
def test_l1_loss_of_the_lecture_example(submission):
    """l1_loss equals nn.L1Loss for each reduction, and rejects any other reduction."""
    x, y = lecture_regression_data()
    y = y - 0.5  # some predictions above the targets, some below
    for reduction in REDUCTIONS:
        expect_close(submission.l1_loss(x, y, reduction=reduction), nn.L1Loss(reduction=reduction)(x, y))
    expect_close(submission.l1_loss(x, y), nn.L1Loss()(x, y), what="l1_loss (default reduction)")
    result = submission.probe("outcome", "l1_loss", x, y, reduction="Sum")
    expect_value_error(result, "l1_loss(..., reduction='Sum')", REDUCTIONS)


@task("multi_margin_loss", points=2)
def test_multi_margin_loss_of_the_lecture_example(submission):
    """The lecture's scores (rand(4, 3), manual_seed(2)): nn.MultiMarginLoss for p 1 and 2, margins 1 and 0.5."""
    x = torch.rand((4, 3), generator=torch.Generator().manual_seed(2))
    y = torch.tensor([2, 1, 0, 2])
    expect_close(
        submission.multi_margin_loss(x, y, reduction="none"),
        torch.tensor([0.5738, 0.5554, 0.6083, 0.5189]),
        atol=1e-4,
        what="multi_margin_loss(x, y, reduction='none')",
    )
    for p in (1, 2):
        for margin in (1.0, 0.5):
            for reduction in REDUCTIONS:
                want = nn.MultiMarginLoss(p=p, margin=margin, reduction=reduction)(x, y)
                got = submission.multi_margin_loss(x, y, p=p, margin=margin, reduction=reduction)
                expect_close(got, want, what=f"multi_margin_loss(p={p}, margin={margin}, reduction={reduction!r})")
    expect_value_error(submission.probe("outcome", "multi_margin_loss", x, y, p=3), "multi_margin_loss(..., p=3)")
    expect_value_error(
        submission.probe("outcome", "multi_margin_loss", x, y, reduction="avg"),
        "multi_margin_loss(..., reduction='avg')",
        REDUCTIONS,
    )


@task("poisson_nll", points=2)
def test_poisson_nll_of_the_lecture_example(submission):
    """The lecture's Poisson example: log-rates and counts give [-0.0888, 0.7997, 0.7265, 3.9148, -1.3360]."""
    log_input = torch.tensor([0.3923, -0.2236, -0.3195, -1.2050, 1.0445])
    target = torch.tensor([4.0, 0.0, 0.0, 3.0, 4.0])
    want = nn.PoissonNLLLoss(reduction="none")(log_input, target)
    expect_close(submission.poisson_nll(log_input, target), want, rtol=1e-5, atol=1e-5)


@task("gaussian_nll", points=2)
def test_gaussian_nll_of_the_lecture_example(submission):
    """The lecture's Gaussian example, plus variances below eps = 1e-6 (which are clamped)."""
    mean = torch.tensor([0.3923, -0.2236, -0.3195, -1.2050, 1.0445, 0.5, -0.5])
    var = torch.tensor([2.3668, 3.5731, 3.5409, 2.6081, 1.9573, 0.0, 1e-8])
    target = torch.tensor([1.3186, 0.7476, -1.3265, -1.2413, -0.1028, 0.499, -0.5005])
    want = nn.GaussianNLLLoss(reduction="none")(mean, target, var)
    expect_close(submission.gaussian_nll(mean, target, var), want, rtol=1e-5, atol=1e-5)


@task("exponential_nll", points=2)
def test_exponential_nll(submission):
    """The summed -log p(y) under Exponential(rate), as torch.distributions gives it."""
    rate = torch.tensor([0.5, 1.0, 2.0, 4.0, 0.25])
    y = torch.tensor([1.0, 0.2, 3.0, 0.1, 2.5])
    want = -torch.distributions.Exponential(rate).log_prob(y).sum()
    expect_close(submission.exponential_nll(rate, y), want, rtol=1e-5, atol=1e-5)


@task("weibull_nll", points=2)
def test_weibull_nll(submission):
    """The summed -log p(y) under Weibull(scale, concentration), each clamped to at least 1e-6."""
    params = torch.tensor([[1.0, 2.0], [2.0, 0.5], [0.5, 1.5], [-1.0, 1.0], [1.5, -0.5]])
    y = torch.tensor([[0.5], [1.0], [2.0], [0.001], [1.5]])
    scale = params[:, :1].clamp(min=1e-6).double()
    concentration = params[:, 1:].clamp(min=1e-6).double()
    want = -torch.distributions.Weibull(scale, concentration).log_prob(y.double()).sum()
    expect_close(submission.weibull_nll(params, y), want.float(), rtol=1e-4, atol=1e-3)


def expect_converged(runs, X, y, X_test, hidden_size, epochs):
    """Both runs of the probe: floats, converged, a consistent FFN, and the same losses (seeded)."""
    first, second = runs
    losses = expect_floats(first["losses"], epochs, what="train_ffn's losses")
    expect_ffn(first["net"], X.shape[1], 1, hidden_size, X_test)
    if not all(math.isfinite(loss) for loss in losses) or not losses[-1] < 0.1 * losses[0]:
        fail(
            "train_ffn does not converge: the last loss should be well below a tenth of the first",
            f"first loss {losses[0]:.4g}, last loss {losses[-1]:.4g}",
        )
    test_mse = ((first["net"]["output"].squeeze(1) - X_test.sum(1)) ** 2).mean().item()
    if not test_mse < 0.3:
        fail("the trained network predicts new inputs badly", f"mean squared error {test_mse:.4g} on new inputs")
    if list(second["losses"]) != losses[: len(second["losses"])]:
        fail("two runs of train_ffn with the same seed gave different losses: call torch.manual_seed(seed) first")


@task("train_ffn", points=3, timeout=60)
def test_train_ffn_learns_the_sum_of_the_inputs(submission):
    """The lecture's data (X = randn(100, 4), y = X.sum(1)): the loss falls, and the same seed gives the same run."""
    X = torch.randn(100, 4)
    y = torch.sum(X, axis=1)
    X_test = torch.randn(50, 4)
    runs = submission.probe("run_train_ffn", X, y, 16, 200, 0.05, 0, X_test, 10)
    expect_converged(runs, X, y, X_test, 16, 200)
