"""Hidden tests of assignment 02: the submission against the reference solution."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.testing import expect_close, expect_equal, expect_floats, fail, remembered, task
from autograder.testing.curves import record_losses
from autograder.testing.strategies import shapes, tensors
from autograder.testing.support import assignment_support

support = assignment_support()
scalars = st.floats(-5, 5, width=32)
parameters = st.one_of(scalars, scalars.map(torch.tensor))
sizes = st.integers(1, 6)


# autograd_grad


@task("autograd_grad", points=2)
@given(shape=shapes(max_dims=2), w=parameters, b=parameters, data=st.data())
def test_autograd_grad_matches_a_gradient_check(submission, reference, shape, w, b, data):
    """autograd_grad agrees with autograd of the MSE in float64 for any shape and float or tensor w, b."""
    x = data.draw(tensors(shape, -3, 3))
    y = data.draw(tensors(shape, -3, 3))
    grad = submission.autograd_grad(x, y, w, b)
    expect_close(grad, reference.autograd_grad(x.double(), y.double(), w, b).float(), rtol=1e-4, atol=1e-4)
    if grad.requires_grad:
        fail("autograd_grad returned a tensor that requires grad: return it detached")


@task("autograd_grad", points=1)
def test_autograd_grad_on_float64(submission, reference):
    """autograd_grad works on float64 data with 0-d float64 parameters."""
    x, y = torch.rand(40, dtype=torch.float64) * 4, torch.randn(40, dtype=torch.float64)
    w, b = torch.tensor(-0.6, dtype=torch.float64), torch.tensor(1.5, dtype=torch.float64)
    expect_close(submission.autograd_grad(x, y, w, b), reference.autograd_grad(x, y, w, b), rtol=1e-6, atol=1e-8)


# fit_autograd


@task("fit_autograd", points=2)
def test_fit_autograd_follows_the_reference_step_by_step(submission, reference):
    """Five epochs give the reference's params and losses (gradients cleared every epoch)."""
    x, y = torch.rand(30) * 3, torch.randn(30) + 2
    params = torch.tensor([0.5, -0.3])
    got_params, got_losses = submission.fit_autograd(5, 0.05, params, x, y)
    want_params, want_losses = remembered(reference.fit_autograd)(5, 0.05, params, x, y)
    expect_floats(got_losses, 5)
    record_losses(got_losses, want_losses)
    expect_close(torch.tensor(got_losses), torch.tensor(want_losses), rtol=1e-5)
    expect_close(got_params, want_params, rtol=1e-5)
    if got_params.requires_grad:
        fail("fit_autograd returned params that still require grad: return params.detach()")


@task("fit_autograd", points=1)
def test_fit_autograd_converges_on_the_lecture_regression(submission, reference):
    """On the lecture's make_regression data, fit_autograd follows the reference's losses to the fitted line."""
    X, y = support.make_regression(500, 1, noise=10.0, random_state=0)
    x, y = torch.tensor(X[:, 0], dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    params, losses = submission.fit_autograd(120, 0.1, torch.tensor([1.0, 1.0]), x, y)
    _, want_losses = remembered(reference.fit_autograd)(120, 0.1, torch.tensor([1.0, 1.0]), x, y)
    expect_floats(losses, 120)
    record_losses(losses, want_losses)
    expect_close(torch.tensor(losses), torch.tensor(want_losses), rtol=1e-3)
    expect_close(params, torch.tensor([45.4969, -0.7691]), rtol=1e-3, atol=1e-2)
    if params.requires_grad:
        fail("fit_autograd returned params that still require grad: return params.detach()")


# the models


@task("LinearRegression", points=2)
@given(size_in=sizes, size_out=sizes, n=st.integers(1, 8))
def test_linear_regression_any_sizes(submission, size_in, size_out, n):
    """LinearRegression(in, out) is the layer `linear` for any sizes and batch."""
    X = torch.randn(n, size_in)
    support.expect_network(
        submission, "LinearRegression", (size_in, size_out), X, names=["linear.weight", "linear.bias"]
    )


@task("NonlinearRegression", points=2)
@given(size_in=sizes, hidden=sizes, size_out=sizes, n=st.integers(1, 8))
def test_nonlinear_regression_any_sizes(submission, size_in, hidden, size_out, n):
    """NonlinearRegression is Linear → Sigmoid → Linear for any sizes and batch."""
    X = torch.randn(n, size_in) * 2
    support.expect_network(submission, "NonlinearRegression", (size_in, hidden, size_out), X)


@task("DeepRegression", points=1)
def test_deep_regression_with_equal_sizes(submission):
    """DeepRegression(3, 3, 3, 3) feeds each layer's output to the next layer."""
    X = torch.randn(10, 3) * 2
    support.expect_network(submission, "DeepRegression", (3, 3, 3, 3), X)


@task("DeepRegression", points=1)
@given(size_in=sizes, hidden_1=sizes, hidden_2=sizes, size_out=sizes, n=st.integers(1, 8))
def test_deep_regression_any_sizes(submission, size_in, hidden_1, hidden_2, size_out, n):
    """DeepRegression is Linear → Sigmoid → Linear → Sigmoid → Linear for any sizes and batch."""
    X = torch.randn(n, size_in) * 2
    support.expect_network(submission, "DeepRegression", (size_in, hidden_1, hidden_2, size_out), X)


# trainer


@task("trainer", points=2, timeout=30)
def test_trainer_steps_with_adam_on_a_deep_model(submission):
    """Three epochs of Adam on a deep model: every step uses its own batch's gradient; epoch means recorded."""
    X, y = support.nonlinear_data(64, 3)
    run = submission.probe("train", (1, 5, 3, 1), X, y, 3, 0.01, 10, optimizer="adam", seed=3)
    support.expect_replayed(run, X, y, epochs=3, batch_size=10, seed=3, optimizer="adam", lr=0.01)


@task("trainer", points=1, timeout=30)
def test_trainer_uses_the_given_criterion_and_default_epochs(submission):
    """Called without epochs, trainer runs 5 epochs with the given criterion (L1) and optimizer (SGD)."""
    X, y = support.nonlinear_data(50, 4)
    run = submission.probe("train", (1, 4, 1), X, y, None, 0.1, 8, criterion="l1", seed=4)
    support.expect_replayed(run, X, y, epochs=5, batch_size=8, seed=4, optimizer="sgd", lr=0.1, criterion="l1")


@task("trainer", points=2, timeout=30)
def test_trainer_fits_the_nonlinear_target(submission):
    """A shallow network trained with your trainer predicts held-out points of x**2 + 15 sin(x)**3."""
    X, y = support.nonlinear_data(300, 2020)
    run = submission.probe("train", (1, 20, 1), X[:200], y[:200], 50, 0.2, 24, optimizer="adam")
    support.expect_replayed(run, X[:200], y[:200], epochs=50, batch_size=24, seed=0, optimizer="adam", lr=0.2,
                            replayed=2)  # fmt: skip
    held_out = ((support.lecture_forward(run["parameters"], X[200:]) - y[200:]) ** 2).mean().item()
    if not held_out < 3.0:  # the target's variance is about 55; the reference gets 0.47
        fail("the model trained by trainer predicts held-out data badly")


# count_parameters


@task("count_parameters", points=1)
def test_count_parameters_skips_frozen_parameters(submission):
    """count_parameters counts only parameters that require gradients."""
    expect_equal(submission.probe("count", "frozen", (2, 4, 3, 1)), 19, what="count_parameters")


@task("count_parameters", points=1)
def test_count_parameters_counts_shared_tensors_once_and_no_buffers(submission):
    """A weight shared by two layers counts once; buffers (BatchNorm statistics) and frozen layers do not count."""
    expect_equal(submission.probe("count", "tied", (3, 2)), 23, what="count_parameters")
    expect_equal(submission.probe("count", "batchnorm", (3, 4, 2)), 34, what="count_parameters")
    expect_equal(submission.probe("count", "frozen", (3, 2, 2, 1)), 9, what="count_parameters")


@task("count_parameters", points=1)
@given(sizes=st.tuples(sizes, sizes, sizes, sizes))
def test_count_parameters_of_deep_models(submission, sizes):
    """count_parameters of deep models of any sizes whose first layer is frozen."""
    _, b, c, d = sizes
    expect_equal(submission.probe("count", "frozen", sizes), b * c + c + c * d + d, what="count_parameters")
