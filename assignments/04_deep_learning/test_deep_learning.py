"""Public tests of assignment 04. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task. Tests that build
your network or train it go through ``probes.py`` (they can only receive data, not objects).
"""

import torch
import torch.nn as nn

from autograder.testing import expect_close, fail, task
from autograder.testing.support import assignment_support

support = assignment_support()
REDUCTIONS = support.REDUCTIONS


@task("FFN", points=2)
def test_ffn_is_the_lecture_network(submission):
    """FFN(4, 1, 4) has layer1, layer2, layer3 and computes layer3(ReLU(layer2(ReLU(layer1(x)))))."""
    X = torch.randn(10, 4)
    support.expect_ffn(submission, 4, 1, 4, X)


@task("FFN", points=1)
def test_ffn_of_another_size(submission):
    """FFN(3, 2, 5) maps 3 inputs through two hidden layers of 5 neurons to 2 outputs."""
    X = torch.randn(8, 3)
    support.expect_ffn(submission, 3, 2, 5, X)


@task("tiny_network_grads", points=2)
def test_tiny_network_grads_of_the_lecture_example(submission):
    """The lecture's example (x=5, w1=3, b1=2, w3=-0.5, b3=4, target=2), and the same with the ReLU off."""
    lecture = {"w1": 32.5, "b1": 6.5, "w3": -221.0, "b3": -13.0, "x": 19.5}
    support.expect_tiny(submission.tiny_network_grads(5.0, 3.0, 2.0, -0.5, 4.0, 2.0), (42.25, lecture))
    # b1 = -20 makes y1 = -5 negative: the ReLU is off, so nothing flows back to w1, b1 or x.
    off = {"w1": 0.0, "b1": 0.0, "w3": 0.0, "b3": 4.0, "x": 0.0}
    support.expect_tiny(submission.tiny_network_grads(5.0, 3.0, -20.0, -0.5, 4.0, 2.0), (4.0, off))


@task("tiny_network_grads", points=1)
def test_tiny_network_grads_match_autograd(submission):
    """At other points, on both sides of the ReLU, tiny_network_grads agrees with autograd."""
    for point in [(1.5, -2.0, 4.0, 1.5, -1.0, 2.5), (-2.0, 0.5, 0.25, 3.0, 2.0, -1.0), (0.5, 2.0, 1.0, -1.5, 1.0, 3.0)]:
        support.expect_tiny(submission.tiny_network_grads(*point), support.tiny_oracle(*point))


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
    support.expect_value_error(result, "mse_loss(..., reduction='average')", REDUCTIONS)


@task("l1_loss", points=2)
def test_l1_loss_of_the_lecture_example(submission):
    """l1_loss equals nn.L1Loss for each reduction, and rejects any other reduction."""
    x, y = lecture_regression_data()
    y = y - 0.5  # some predictions above the targets, some below
    for reduction in REDUCTIONS:
        expect_close(submission.l1_loss(x, y, reduction=reduction), nn.L1Loss(reduction=reduction)(x, y))
    expect_close(submission.l1_loss(x, y), nn.L1Loss()(x, y), what="l1_loss (default reduction)")
    result = submission.probe("outcome", "l1_loss", x, y, reduction="Sum")
    support.expect_value_error(result, "l1_loss(..., reduction='Sum')", REDUCTIONS)


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
    support.expect_value_error(
        submission.probe("outcome", "multi_margin_loss", x, y, p=3), "multi_margin_loss(..., p=3)"
    )
    support.expect_value_error(
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
    expect_close(submission.weibull_nll(params, y), support.weibull_nll(params, y).float(), rtol=1e-4, atol=1e-3)


@task("train_ffn", points=3, timeout=30)
def test_train_ffn_learns_the_sum_of_the_inputs(submission, trusted):
    """The lecture's data (X = randn(100, 4), y = X.sum(1)): full-batch SGD step by step, the loss falls, seeded."""
    X = torch.randn(100, 4)
    support.expect_train_ffn(submission, trusted, X, X.sum(1), torch.randn(50, 4), 16, 200, 0.05, 0)
