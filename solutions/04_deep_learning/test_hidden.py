"""Hidden tests of assignment 04: the submission against torch and the reference solution."""

import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from autograder.testing import expect_close, fail, task
from autograder.testing.strategies import same_shape_pairs, shapes, tensors
from autograder.testing.support import assignment_support

support = assignment_support()
scalars = st.floats(-3, 3, width=32)


# --- FFN ------------------------------------------------------------------------------------


@task("FFN", points=2)
def test_ffn_of_several_sizes(submission):
    """FFN of other sizes: the right layers, registered, applied in order with ReLU between."""
    for in_features, out_features, hidden_size in [(6, 1, 6), (2, 3, 7), (5, 4, 3), (1, 1, 8)]:
        X = torch.randn(12, in_features) * 2
        support.expect_ffn(submission, in_features, out_features, hidden_size, X)


# --- backpropagation by hand ----------------------------------------------------------------


@task("tiny_network_grads", points=2)
@given(
    x=scalars, w1=scalars, w3=scalars, b3=scalars, target=scalars, size=st.floats(0.25, 4)
)  # fmt: skip
def test_tiny_network_grads_match_autograd(submission, x, w1, w3, b3, target, size):
    """tiny_network_grads agrees with autograd, with the ReLU on (y1 > 0) and off (y1 < 0)."""
    for y1 in (size, -size):
        point = (x, w1, y1 - w1 * x, w3, b3, target)
        support.expect_tiny(submission.tiny_network_grads(*point), support.tiny_oracle(*point))


# --- a gradient-descent step ----------------------------------------------------------------


@task("sgd_step", points=2)
@given(shape=shapes(min_dims=0, max_dims=2), lr=st.floats(1e-3, 0.5), data=st.data())
def test_sgd_step_on_tensors(submission, shape, lr, data):
    """sgd_step moves every parameter by -lr * its gradient, keyed by name, inputs unchanged."""
    names = ["weight", "bias", "scale"]
    params = {name: data.draw(tensors(shape, -5, 5)) for name in names}
    grads = {name: data.draw(tensors(shape, -5, 5)) for name in ["extra", *reversed(names)]}
    new_params = submission.sgd_step(params, grads, lr)
    if not isinstance(new_params, dict) or set(new_params) != set(params):
        fail("sgd_step should return a new dict with the keys of params")
    for name in names:
        expect_close(new_params[name], params[name] - lr * grads[name], rtol=1e-5, atol=1e-5, what="sgd_step")


# --- losses with a reduction ----------------------------------------------------------------


@task("mse_loss", points=2)
@given(pair=same_shape_pairs())
def test_mse_loss_matches_torch(submission, pair):
    """mse_loss equals nn.MSELoss for every reduction and any shape, and rejects other reductions."""
    support.expect_reductions(submission, "mse_loss", nn.MSELoss, *pair)


@task("l1_loss", points=1)
@given(pair=same_shape_pairs())
def test_l1_loss_matches_torch(submission, pair):
    """l1_loss equals nn.L1Loss for every reduction and any shape, and rejects other reductions."""
    support.expect_reductions(submission, "l1_loss", nn.L1Loss, *pair)


@task("multi_margin_loss", points=2)
@given(n=st.integers(1, 6), classes=st.integers(2, 6), margin=st.floats(0.1, 3), data=st.data())
def test_multi_margin_loss_matches_torch(submission, n, classes, margin, data):
    """multi_margin_loss equals nn.MultiMarginLoss for p 1 and 2, any margin and reduction."""
    x = data.draw(tensors((n, classes), -3, 3))
    y = torch.tensor(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    for p in (1, 2):
        support.expect_reductions(submission, "multi_margin_loss", nn.MultiMarginLoss, x, y, p=p, margin=margin)
    support.expect_value_error(submission.probe("outcome", "multi_margin_loss", x, y, p=4), "multi_margin_loss")


# --- likelihood losses ----------------------------------------------------------------------


@task("poisson_nll", points=1)
@given(shape=shapes(), data=st.data())
def test_poisson_nll_matches_torch(submission, shape, data):
    """poisson_nll equals nn.PoissonNLLLoss on log-rates elementwise, for any shape."""
    log_input = data.draw(tensors(shape, -4, 4))
    target = data.draw(tensors(shape, 0, 10)).round()
    want = nn.PoissonNLLLoss(log_input=True, full=False, reduction="none")(log_input, target)
    expect_close(submission.poisson_nll(log_input, target), want, rtol=1e-5, atol=1e-5)


@task("gaussian_nll", points=1)
@given(n=st.integers(1, 8), data=st.data())
def test_gaussian_nll_matches_torch(submission, n, data):
    """gaussian_nll equals nn.GaussianNLLLoss elementwise, with variances down to 0 clamped to eps."""
    tail = torch.tensor([0.0, 3e-7, 2e-5])  # variances at and below eps, and just above it
    mean = torch.cat([data.draw(tensors((n,), -5, 5)), torch.tensor([0.3, -1.0, 2.0])])
    target = torch.cat([data.draw(tensors((n,), -5, 5)), torch.tensor([0.3005, -0.999, 2.01])])
    var = torch.cat([data.draw(tensors((n,), 0, 5)), tail])
    want = nn.GaussianNLLLoss(full=False, eps=1e-6, reduction="none")(mean, target, var)
    expect_close(submission.gaussian_nll(mean, target, var), want, rtol=1e-5, atol=1e-5)


@task("exponential_nll", points=1)
@given(n=st.integers(1, 10), data=st.data())
def test_exponential_nll_matches_torch(submission, n, data):
    """exponential_nll is the summed -log p(y) under Exponential(rate) for any rates and observations."""
    rate = data.draw(tensors((n,), 0.0625, 5))
    y = data.draw(tensors((n,), 0, 5))
    want = -torch.distributions.Exponential(rate.double()).log_prob(y.double()).sum()
    expect_close(submission.exponential_nll(rate, y), want.float(), rtol=1e-4, atol=1e-4)


@task("weibull_nll", points=1)
@given(n=st.integers(1, 8), data=st.data())
def test_weibull_nll_matches_torch(submission, n, data):
    """weibull_nll is the summed -log p(y) under Weibull with clamped parameters, for any observations."""
    params = torch.cat([data.draw(tensors((n, 2), 0.25, 3)), torch.tensor([[-0.5, 1.2], [0.8, 0.0]])])
    y = torch.cat([data.draw(tensors((n, 1), 0.0625, 3)), torch.tensor([[1e-5], [0.7]])])
    expect_close(submission.weibull_nll(params, y), support.weibull_nll(params, y).float(), rtol=1e-4, atol=1e-3)


# --- training -------------------------------------------------------------------------------


@task("train_ffn", points=2, timeout=30)
def test_train_ffn_on_other_data_and_seeds(submission, trusted):
    """train_ffn on another linear target follows full-batch SGD and converges; its seed decides the start."""
    X = torch.randn(120, 3)
    run = support.expect_train_ffn(submission, trusted, X, X.sum(1), torch.randn(60, 3), 16, 200, 0.05, 3)
    other = submission.probe("run_train_ffn", X, X.sum(1), 16, 1, 0.05, 4)
    if other["built"] and torch.equal(other["built"][0]["layer1.weight"], run["built"][0]["layer1.weight"]):
        fail("train_ffn gives the same run for different seeds: seed torch with the given seed")
