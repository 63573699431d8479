"""Public tests of assignment 02. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task. Classes and the
trainer are driven through ``probes.py``, which builds your model (or one of the lecture's),
runs or trains it and returns what the tests look at.
"""

import torch

from autograder.testing import expect_close, expect_equal, expect_floats, fail, record_losses, task
from autograder.testing.support import assignment_support, expected_values

support = assignment_support()
expected = expected_values()  # the reference's results, written by `autograder sync`
X_SMALL, Y_SMALL = support.X_SMALL, support.Y_SMALL


@task("autograd_grad", points=2)
def test_autograd_grad_on_the_lecture_example(submission):
    """autograd_grad gives [dL/dw, dL/db] of the lecture's example (dL/dw = -9.3333), w a float and b a tensor."""
    grad = submission.autograd_grad(X_SMALL, Y_SMALL, 1.0, torch.tensor(0.0))
    expect_close(grad, torch.tensor([-28 / 3, -4.0]), rtol=1e-5)


@task("autograd_grad", points=1)
def test_autograd_grad_takes_tensor_parameters(submission):
    """autograd_grad takes w and b as 0-d tensors and leaves them unchanged."""
    x, y = support.regression_data(50)
    grad = submission.autograd_grad(x.flatten(), y.flatten(), torch.tensor(20.0), torch.tensor(3.0))
    support.expect_detached(grad, "autograd_grad's gradient")
    expect_close(grad, torch.tensor(expected["autograd_grad at (20, 3)"]), rtol=1e-4, atol=1e-3)


@task("fit_autograd", points=2)
def test_fit_autograd_takes_two_gradient_steps(submission):
    """Two epochs on the lecture's example: each moves params by -learning_rate * its own gradient."""
    params = torch.tensor([1.0, 0.0])
    new_params, losses = submission.fit_autograd(2, 0.1, params, X_SMALL, Y_SMALL)
    want_params, want_losses = expected["fit_autograd two steps on the lecture example"]
    expect_floats(losses, 2)
    record_losses(losses, want_losses)
    expect_close(torch.tensor(losses), torch.tensor(want_losses), rtol=1e-5)
    expect_close(new_params, torch.tensor(want_params))
    support.expect_detached(new_params, "fit_autograd's params")


@task("fit_autograd", points=2)
def test_fit_autograd_fits_a_regression_line(submission):
    """Gradient descent on make_regression data follows the expected losses to the least-squares line."""
    X, y = support.regression_data(100)
    x, y = X.flatten(), y.flatten()
    params, losses = submission.fit_autograd(150, 0.1, torch.tensor([0.0, 0.0]), x, y)
    expect_floats(losses, 150)
    want_losses = expected["fit_autograd 150 epochs on make_regression"][1]
    record_losses(losses, want_losses)
    expect_close(torch.tensor(losses), torch.tensor(want_losses), rtol=1e-3)
    support.expect_detached(params, "fit_autograd's params")
    expect_close(params, support.least_squares(X, y[:, None]).float(), rtol=1e-3, atol=1e-2)


@task("LinearRegression", points=2)
def test_linear_regression_is_one_linear_layer(submission):
    """LinearRegression(1, 1) is the layer `linear`: 2 parameters, output linear(x)."""
    X, _ = support.regression_data(20)
    support.expect_network(submission, "LinearRegression", (1, 1), X, names=["linear.weight", "linear.bias"])


@task("LinearRegression", points=1)
def test_linear_regression_with_three_features(submission):
    """LinearRegression(3, 1) for multiple linear regression has 4 parameters and outputs (N, 1)."""
    X, _ = support.regression_data(30, n_features=3)
    support.expect_network(submission, "LinearRegression", (3, 1), X, names=["linear.weight", "linear.bias"])


@task("NonlinearRegression", points=2)
def test_nonlinear_regression_of_the_lecture(submission):
    """NonlinearRegression(1, 3, 1) is Linear → Sigmoid → Linear with 10 parameters."""
    X = torch.randn(25, 1)
    support.expect_network(submission, "NonlinearRegression", (1, 3, 1), X)


@task("DeepRegression", points=2)
def test_deep_regression_of_the_lecture(submission):
    """DeepRegression(1, 5, 3, 1) is Linear → Sigmoid → Linear → Sigmoid → Linear with 32 parameters."""
    X = torch.randn(25, 1)
    support.expect_network(submission, "DeepRegression", (1, 5, 3, 1), X)


@task("trainer", points=2, timeout=30)
def test_trainer_steps_on_every_batch_and_records_epoch_means(submission):
    """Each step uses the gradient of its own batch (cleared before), and each epoch's entry is its mean batch loss."""
    X, y = support.regression_data(45, n_features=2)
    run = submission.probe("train", (2, 1), X, y, 3, 0.05, 10, seed=7)
    support.expect_replayed(run, X, y, epochs=3, batch_size=10, seed=7, optimizer="sgd", lr=0.05)


@task("trainer", points=2, timeout=30)
def test_trainer_fits_linear_regression(submission):
    """SGD with your trainer takes the lecture's linear model to the least-squares line."""
    X, y = support.regression_data(150)
    run = submission.probe("train", (1, 1), X[:100], y[:100], 25, 0.05, 12)
    support.expect_replayed(
        run, X[:100], y[:100], epochs=25, batch_size=12, seed=0, optimizer="sgd", lr=0.05, replayed=2
    )
    fit = support.least_squares(X[:100], y[:100])
    weight, bias = run["parameters"]
    expect_close(torch.cat([weight.flatten(), bias]), fit.float(), rtol=0.03, atol=1.0, what="the trained parameters")
    held_out = ((support.lecture_forward(run["parameters"], X[100:]) - y[100:]) ** 2).mean().item()
    best = ((X[100:].double() * fit[0] + fit[1] - y[100:].double()) ** 2).mean().item()
    if held_out > 1.1 * best:
        fail("the model trained by trainer predicts held-out data badly")


@task("count_parameters", points=2)
def test_count_parameters_of_the_lecture_models(submission):
    """count_parameters gives 2, 4, 10 and 32 for the lecture's models, as ints, and skips frozen layers."""
    for kind, sizes, want in [("sigmoid", (1, 1), 2), ("sigmoid", (3, 1), 4), ("sigmoid", (1, 3, 1), 10),
                              ("sigmoid", (1, 5, 3, 1), 32), ("frozen", (1, 5, 3, 1), 22)]:  # fmt: skip
        expect_equal(
            submission.probe("count", kind, sizes), want, what=f"count_parameters of a network of sizes {sizes}"
        )
