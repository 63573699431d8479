"""Hidden tests of assignment 01: the submission against the reference solution."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.testing import expect_close, expect_floats, remembered, task
from autograder.testing.curves import record_losses
from autograder.testing.strategies import same_shape_pairs, shapes, tensors
from autograder.testing.support import assignment_support

support = assignment_support()

scalars = st.floats(-5, 5, width=32)
parameters = st.one_of(scalars, scalars.map(torch.tensor))


@remembered
def autograd_gradient(reference, x, y, w, b):
    """[dL/dw, dL/db] by autograd through the reference model and loss, in float64."""
    params = torch.tensor([float(w), float(b)], dtype=torch.float64, requires_grad=True)
    loss = reference.loss_fn(reference.model(x.double(), params[0], params[1]), y.double())
    loss.backward()
    return params.grad


@task("model", points=1)
@given(x=tensors(shapes(max_dims=3)), w=parameters, b=parameters)
def test_model_matches_reference(submission, reference, x, w, b):
    """model agrees with w * x + b for any shape and float or tensor parameters."""
    expect_close(submission.model(x, w, b), reference.model(x, w, b))


@task("loss_fn", points=1)
@given(pair=same_shape_pairs())
def test_loss_fn_matches_reference(submission, reference, pair):
    """loss_fn is the mean squared error over every element, for any shape."""
    y_hat, y = pair
    expect_close(submission.loss_fn(y_hat, y), reference.loss_fn(y_hat, y), rtol=1e-5, atol=1e-5)


@task("loss_fn", points=1)
def test_loss_fn_averages_over_all_elements_of_a_matrix(submission, reference):
    """loss_fn averages over every element of 2-D inputs."""
    y_hat, y = torch.randn(7, 3), torch.randn(7, 3)
    expect_close(submission.loss_fn(y_hat, y), reference.loss_fn(y_hat, y))


@task("loss_fn", points=1)
def test_loss_fn_accepts_float64(submission, reference):
    """loss_fn works on float64 tensors."""
    y_hat, y = torch.randn(10, dtype=torch.float64), torch.randn(10, dtype=torch.float64)
    expect_close(submission.loss_fn(y_hat, y), reference.loss_fn(y_hat, y), rtol=1e-6)


@task("dloss_fn", points=2)
@given(pair=same_shape_pairs())
def test_dloss_fn_matches_reference(submission, reference, pair):
    """dloss_fn is 2 * (y_hat - y) elementwise, for any shape."""
    y_hat, y = pair
    expect_close(submission.dloss_fn(y_hat, y), reference.dloss_fn(y_hat, y))


@task("dmodel_dw", points=1)
@given(x=tensors(shapes()), w=scalars, b=scalars)
def test_dmodel_dw_matches_reference(submission, reference, x, w, b):
    """dmodel_dw is x whatever w and b are."""
    expect_close(submission.dmodel_dw(x, w, b), reference.dmodel_dw(x, w, b))


@task("dmodel_db", points=1)
@given(x=tensors(shapes()), w=scalars, b=scalars)
def test_dmodel_db_is_one_for_every_sample(submission, x, w, b):
    """dmodel_db broadcasts to ones of x's shape."""
    derivative = submission.dmodel_db(x, w, b)
    support.expect_ones(derivative, x)


@task("grad_fn", points=3)
@given(
    n=st.integers(2, 40),
    w=scalars,
    b=scalars,
    data=st.data(),
)
def test_grad_fn_matches_autograd_of_the_reference(submission, reference, n, w, b, data):
    """grad_fn agrees with autograd of the reference loss (a gradient check in float64)."""
    x = data.draw(tensors((n,), -3, 3))
    y = data.draw(tensors((n,), -3, 3))
    y_hat = reference.model(x, w, b)
    expected = autograd_gradient(reference, x, y, w, b)
    expect_close(submission.grad_fn(x, y, y_hat, w, b), expected.float(), rtol=1e-4, atol=1e-4)


@task("grad_fn", points=1)
def test_grad_fn_with_float64_data_and_tensor_parameters(submission, reference):
    """grad_fn works with float64 data and 0-d tensor parameters."""
    x, y = torch.rand(30, dtype=torch.float64) * 3, torch.rand(30, dtype=torch.float64)
    w, b = torch.tensor(0.7, dtype=torch.float64), torch.tensor(-0.2, dtype=torch.float64)
    grad = submission.grad_fn(x, y, reference.model(x, w, b), w, b)
    expect_close(grad, autograd_gradient(reference, x, y, w, b), rtol=1e-6, atol=1e-8)


@task("training_loop", points=2)
def test_training_loop_follows_the_reference_step_by_step(submission, reference):
    """Five epochs give the reference's params and losses exactly (up to rounding)."""
    x, y = torch.rand(20) * 2, torch.rand(20)
    params = torch.tensor([0.3, -0.4])
    got_params, got_losses = submission.training_loop(5, 0.05, params, x, y)
    want_params, want_losses = remembered(reference.training_loop)(5, 0.05, params, x, y)
    expect_floats(got_losses, 5)
    record_losses(got_losses, want_losses)
    expect_close(torch.tensor(got_losses), torch.tensor(want_losses), rtol=1e-5)
    expect_close(got_params, want_params, rtol=1e-5)


@task("training_loop", points=1)
def test_training_loop_converges_to_least_squares(submission, reference):
    """From another start and rate, gradient descent follows the reference to the least-squares fit."""
    x = torch.tensor(reference.X_OBSERVED)
    y = torch.tensor(reference.Y_OBSERVED)
    params, losses = submission.training_loop(800, 0.25, torch.tensor([-1.0, 2.0]), x, y)
    _, want_losses = remembered(reference.training_loop)(800, 0.25, torch.tensor([-1.0, 2.0]), x, y)
    expect_floats(losses, 800)
    record_losses(losses, want_losses)
    expect_close(torch.tensor(losses), torch.tensor(want_losses), rtol=1e-3, atol=1e-6)
    design = torch.stack([x, torch.ones_like(x)], 1).double()
    fit = torch.linalg.lstsq(design, y.double()[:, None]).solution.flatten()
    expect_close(params, fit.float(), rtol=1e-3, atol=1e-4)
