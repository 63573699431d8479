"""Public tests of assignment 01. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task.
"""

import torch

from autograder.testing import expect_close, expect_floats, expect_tensor, record_losses, task
from autograder.testing.support import assignment_support, expected_values

support = assignment_support()
expected = expected_values()  # the reference's results, written by `autograder sync`
X, Y = support.X, support.Y


@task("model", points=1)
def test_model_is_a_line(submission):
    """model(x, w, b) computes w * x + b."""
    y_hat = submission.model(X, 0.5, 0.1)
    expect_close(y_hat, 0.5 * X + 0.1)


@task("model", points=1)
def test_model_takes_tensor_parameters_and_keeps_the_shape(submission):
    """model keeps the shape of x and takes w and b as 0-d tensors."""
    x = X.reshape(5, 5)
    y_hat = submission.model(x, torch.tensor(-2.0), torch.tensor(3.0))
    expect_close(y_hat, -2.0 * x + 3.0)


@task("loss_fn", points=2)
def test_loss_fn_is_the_mean_squared_error(submission):
    """loss_fn is the mean of the squared differences, a 0-d tensor."""
    y_hat = 0.5 * X + 0.1
    loss = submission.loss_fn(y_hat, Y)
    expect_close(loss, ((y_hat - Y) ** 2).mean())


@task("loss_fn", points=1)
def test_loss_fn_of_errors_of_half_is_a_quarter(submission):
    """Predictions off by 0.5, up or down, have a loss of 0.25."""
    signs = torch.tensor([(-1.0) ** i for i in range(len(Y))])
    expect_close(submission.loss_fn(Y + 0.5 * signs, Y), torch.tensor(0.25))


@task("dloss_fn", points=2)
def test_dloss_fn_is_twice_the_difference(submission):
    """dloss_fn gives 2 * (y_hat - y) for every sample."""
    y_hat = 0.5 * X + 0.1
    expect_close(submission.dloss_fn(y_hat, Y), 2 * (y_hat - Y))


@task("dmodel_dw", points=1)
def test_dmodel_dw_is_x(submission):
    """dmodel_dw is x, the input."""
    expect_close(submission.dmodel_dw(X, 0.5, 0.1), X)


@task("dmodel_db", points=1)
def test_dmodel_db_is_one(submission):
    """dmodel_db is 1 for every sample."""
    derivative = submission.dmodel_db(X, 0.5, 0.1)
    support.expect_ones(derivative, X)


@task("grad_fn", points=2)
def test_grad_fn_matches_autograd_on_the_lecture_data(submission):
    """grad_fn gives [dL/dw, dL/db], averaged over the samples."""
    w, b = 0.5, 0.1
    y_hat = w * X + b
    grad = submission.grad_fn(X, Y, y_hat, w, b)
    expect_close(grad, torch.tensor(expected["grad_fn at (0.5, 0.1)"]), rtol=1e-4, atol=1e-6)


@task("grad_fn", points=2)
def test_grad_fn_takes_tensor_parameters(submission):
    """grad_fn works with w and b given as 0-d tensors, at another point."""
    w, b = torch.tensor(-1.0), torch.tensor(2.0)
    grad = submission.grad_fn(X, Y, w * X + b, w, b)
    expect_close(grad, torch.tensor(expected["grad_fn at (-1, 2)"]), rtol=1e-4, atol=1e-6)


@task("training_loop", points=2)
def test_training_loop_takes_one_gradient_step(submission):
    """One epoch moves params by -learning_rate * gradient and records the loss before it."""
    new_params, losses = submission.training_loop(1, 0.1, torch.tensor([0.8, 0.5]), X, Y)
    want_params, want_losses = expected["training_loop one step from (0.8, 0.5)"]
    expect_close(new_params, torch.tensor(want_params), rtol=1e-4)
    expect_floats(losses, 1)
    expect_close(losses[0], want_losses[0], rtol=1e-4)


@task("training_loop", points=2)
def test_training_loop_fits_the_lecture_data(submission):
    """Gradient descent on the lecture's data follows the expected losses to the least-squares line."""
    params, losses = submission.training_loop(1000, 0.3, torch.tensor([1.0, 0.0]), X, Y)
    expect_floats(losses, 1000)
    want_losses = expected["training_loop 1000 epochs from (1, 0)"][1]
    record_losses(losses, want_losses)
    expect_close(torch.tensor(losses), torch.tensor(want_losses), rtol=1e-3, atol=1e-6)
    fit = torch.linalg.lstsq(torch.stack([X, torch.ones_like(X)], 1).double(), Y.double()[:, None]).solution
    expect_close(params, fit.flatten().float(), rtol=1e-3, atol=1e-4)
