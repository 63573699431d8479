"""Public tests of assignment 02. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task. Classes and the
trainer are driven through ``probes.py``, which builds your model (or one of the lecture's),
runs or trains it and returns what the tests look at.
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from autograder.testing import context, expect_close, expect_equal, expect_floats, task
from autograder.testing.checks import failure

# The lecture's autograd example: X * w against y, with w = 1.
X_SMALL = torch.tensor([1.0, 2.0, 3.0])
Y_SMALL = torch.tensor([2.0, 4.0, 6.0])


def make_regression(n_samples, n_features, noise, random_state):
    """The points of sklearn's ``make_regression(n_samples, n_features, noise=noise, random_state=...)``.

    Its algorithm, written out so that the tests need not import scikit-learn (slow to import).
    """
    rng = np.random.RandomState(random_state)
    X = rng.standard_normal(size=(n_samples, n_features))
    y = X @ (100 * rng.uniform(size=(n_features, 1))) + rng.normal(scale=noise, size=(n_samples, 1))
    order = np.arange(n_samples)
    rng.shuffle(order)
    features = np.arange(n_features)
    rng.shuffle(features)
    return X[order][:, features], y[order, 0]


def regression_data(n_samples, n_features=1, random_state=0):
    """The lecture's make_regression data as float32 tensors: X (N, n_features) and y (N, 1)."""
    X, y = make_regression(n_samples, n_features, noise=10.0, random_state=random_state)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None]


def least_squares(X, y):
    """[w..., b] of the least-squares line, in float64 (what sklearn's LinearRegression finds)."""
    design = torch.cat([X, torch.ones(len(X), 1)], 1).double()
    return torch.linalg.lstsq(design, y.double()).solution.flatten()


def mse_gradient(x, y, w, b):
    """[dL/dw, dL/db] of the mean squared error by autograd in float64 (the test's oracle)."""
    params = torch.tensor([w, b], dtype=torch.float64, requires_grad=True)
    ((params[0] * x.double() + params[1] - y.double()) ** 2).mean().backward()
    return params.grad


def descend(n_epochs, learning_rate, params, x, y):
    """Gradient descent with the oracle's gradient: the losses fit_autograd must record."""
    params, losses = params.double(), []
    for _ in range(n_epochs):
        losses.append(((params[0] * x.double() + params[1] - y.double()) ** 2).mean().item())
        params = params - learning_rate * mse_gradient(x, y, *params.tolist())
    return losses


def fail(message, detail=""):
    """Fail the test on the last call into the submission (a known mistake's hint is added)."""
    raise failure(message, detail, context.current().last_call)


def expect_detached(value, what):
    """A returned tensor must not require grad (it would drag its graph along)."""
    if isinstance(value, torch.Tensor) and value.requires_grad:
        fail(f"{what} still requires grad: return it detached (.detach())")


def expect_network(info, what, layers, X, names=None):
    """``info`` (from the inspect_model probe) describes nn.Linear layers of ``layers`` sizes,
    called in that order with a sigmoid between them, all registered, computing the output."""
    if info["error"]:
        fail(f"{what} could not be built and run: {info['error']}")
    if not info["is_module"]:
        fail(f"{what} is not an nn.Module: the class must inherit from nn.Module")
    calls = info["linear_calls"]
    if len(calls) != len(layers):
        fail(f"{what}'s forward used {len(calls)} nn.Linear layers; expected {len(layers)}")
    for number, ((weight, bias, _), (size_in, size_out)) in enumerate(zip(calls, layers, strict=True), start=1):
        if tuple(weight.shape) != (size_out, size_in) or bias is None or tuple(bias.shape) != (size_out,):
            fail(f"{what}: layer {number} of forward is not nn.Linear({size_in}, {size_out}) with a bias")
    if not all(registered for _, _, registered in calls):
        fail(
            f"{what}: a layer is not registered, so parameters() does not see it (keep layers as "
            "attributes or in nn.Sequential / nn.ModuleList, never in a plain list)"
        )
    count = sum(p.numel() for p in info["parameters"])
    want = sum(size_in * size_out + size_out for size_in, size_out in layers)
    if count != want:
        fail(f"{what} has {count} parameters; expected {want}")
    expected = X.double()
    for number, (weight, bias, _) in enumerate(calls):
        expected = expected @ weight.double().T + bias.double()
        if number < len(calls) - 1:
            expected = torch.sigmoid(expected)
    if names is not None and info["names"] != names:
        fail(f"{what}'s parameters are {info['names']}; expected {names}")
    expect_close(info["output"], expected.float(), rtol=1e-5, atol=1e-5, what=f"{what}'s forward")


def lecture_forward(parameters, X):
    """The lecture's models (Linear, Sigmoid, Linear, ...) from their parameters in order, in float64."""
    layers = list(zip(parameters[0::2], parameters[1::2], strict=True))
    out = X.double()
    for number, (weight, bias) in enumerate(layers):
        out = out @ weight.T + bias
        if number < len(layers) - 1:
            out = torch.sigmoid(out)
    return out


def expect_replayed(run, X, y, epochs, batch_size, seed, criterion="mse", replayed=None):
    """Replays a run of the train probe (a lecture model, the probe's shuffled loader): every
    optimizer step must use the gradient of its own batch's loss, and the history must hold, for
    every epoch, the plain mean of its batch losses. The first ``replayed`` epochs (default: all)
    are replayed; the probe must have recorded their steps."""
    history = expect_floats(run["history"], epochs, what="trainer's history")
    loader = DataLoader(TensorDataset(X, y), batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    replayed = replayed or epochs
    batches = [batch for _ in range(replayed) for batch in loader]
    if len(run["steps"]) != len(batches):
        fail(f"the optimizer made {len(run['steps'])} steps in {replayed} epochs; expected one per batch")
    losses, got_grads, want_grads = [], [], []
    for step, (X_batch, y_batch) in zip(run["steps"], batches, strict=True):
        if any(grad is None for grad in step["grads"]):
            fail("optimizer.step() ran with no gradients: call backward() before step()")
        parameters = [p.double().requires_grad_() for p in step["parameters"]]
        error = lecture_forward(parameters, X_batch) - y_batch.double()
        loss = (error**2).mean() if criterion == "mse" else error.abs().mean()
        got_grads += [grad.flatten() for grad in step["grads"]]
        want_grads += [grad.flatten() for grad in torch.autograd.grad(loss, parameters)]
        losses.append(loss.item())
    expect_close(torch.cat(got_grads), torch.cat(want_grads).float(), rtol=1e-3, atol=1e-4,
                 what="the gradients at the optimizer's steps")  # fmt: skip
    per_epoch = len(loader)
    expected = [sum(losses[e * per_epoch : (e + 1) * per_epoch]) / per_epoch for e in range(replayed)]
    expect_close(torch.tensor(history[:replayed]), torch.tensor(expected), rtol=1e-5, what="trainer's history")


@task("autograd_grad", points=2)
def test_autograd_grad_on_the_lecture_example(submission):
    """autograd_grad gives [dL/dw, dL/db] of the lecture's example (dL/dw = -9.3333), w a float and b a tensor."""
    grad = submission.autograd_grad(X_SMALL, Y_SMALL, 1.0, torch.tensor(0.0))
    expect_close(grad, torch.tensor([-28 / 3, -4.0]), rtol=1e-5)


@task("autograd_grad", points=1)
def test_autograd_grad_takes_tensor_parameters(submission):
    """autograd_grad takes w and b as 0-d tensors and leaves them unchanged."""
    x, y = regression_data(50)
    grad = submission.autograd_grad(x.flatten(), y.flatten(), torch.tensor(20.0), torch.tensor(3.0))
    expect_detached(grad, "autograd_grad's gradient")
    expect_close(grad, mse_gradient(x.flatten(), y.flatten(), 20.0, 3.0).float(), rtol=1e-4, atol=1e-3)


@task("fit_autograd", points=2)
def test_fit_autograd_takes_two_gradient_steps(submission):
    """Two epochs on the lecture's example: each moves params by -learning_rate * its own gradient."""
    params = torch.tensor([1.0, 0.0])
    new_params, losses = submission.fit_autograd(2, 0.1, params, X_SMALL, Y_SMALL)
    expect_floats(losses, 2)
    expect_close(torch.tensor(losses), torch.tensor(descend(2, 0.1, params, X_SMALL, Y_SMALL)), rtol=1e-5)
    after_one = torch.tensor([1 + 28 / 30, 0.4], dtype=torch.float64)  # 1 - 0.1 * (-28/3), 0 - 0.1 * (-4)
    expect_close(new_params, (after_one - 0.1 * mse_gradient(X_SMALL, Y_SMALL, *after_one.tolist())).float())
    expect_detached(new_params, "fit_autograd's params")


@task("fit_autograd", points=2)
def test_fit_autograd_fits_a_regression_line(submission):
    """Gradient descent on make_regression data follows the expected losses to the least-squares line."""
    X, y = regression_data(100)
    x, y = X.flatten(), y.flatten()
    params, losses = submission.fit_autograd(150, 0.1, torch.tensor([0.0, 0.0]), x, y)
    expect_floats(losses, 150)
    expect_close(torch.tensor(losses), torch.tensor(descend(150, 0.1, torch.tensor([0.0, 0.0]), x, y)), rtol=1e-3)
    expect_detached(params, "fit_autograd's params")
    expect_close(params, least_squares(X, y[:, None]).float(), rtol=1e-3, atol=1e-2)


@task("LinearRegression", points=2)
def test_linear_regression_is_one_linear_layer(submission):
    """LinearRegression(1, 1) is the layer `linear`: 2 parameters, output linear(x)."""
    X, _ = regression_data(20)
    info = submission.probe("inspect_model", "LinearRegression", (1, 1), X)
    expect_network(info, "LinearRegression(1, 1)", [(1, 1)], X, names=["linear.weight", "linear.bias"])


@task("LinearRegression", points=1)
def test_linear_regression_with_three_features(submission):
    """LinearRegression(3, 1) for multiple linear regression has 4 parameters and outputs (N, 1)."""
    X, _ = regression_data(30, n_features=3)
    info = submission.probe("inspect_model", "LinearRegression", (3, 1), X)
    expect_network(info, "LinearRegression(3, 1)", [(3, 1)], X, names=["linear.weight", "linear.bias"])


@task("NonlinearRegression", points=2)
def test_nonlinear_regression_of_the_lecture(submission):
    """NonlinearRegression(1, 3, 1) is Linear → Sigmoid → Linear with 10 parameters."""
    X = torch.randn(25, 1)
    info = submission.probe("inspect_model", "NonlinearRegression", (1, 3, 1), X)
    expect_network(info, "NonlinearRegression(1, 3, 1)", [(1, 3), (3, 1)], X)


@task("DeepRegression", points=2)
def test_deep_regression_of_the_lecture(submission):
    """DeepRegression(1, 5, 3, 1) is Linear → Sigmoid → Linear → Sigmoid → Linear with 32 parameters."""
    X = torch.randn(25, 1)
    info = submission.probe("inspect_model", "DeepRegression", (1, 5, 3, 1), X)
    expect_network(info, "DeepRegression(1, 5, 3, 1)", [(1, 5), (5, 3), (3, 1)], X)


@task("trainer", points=2, timeout=60)
def test_trainer_steps_on_every_batch_and_records_epoch_means(submission):
    """Each step uses the gradient of its own batch (cleared before), and each epoch's entry is its mean batch loss."""
    X, y = regression_data(45, n_features=2)
    run = submission.probe("train", "linear", (2, 1), X, y, 3, 0.05, 10, seed=7, record=10**6)
    expect_replayed(run, X, y, epochs=3, batch_size=10, seed=7)


@task("trainer", points=2, timeout=60)
def test_trainer_fits_linear_regression(submission):
    """SGD with your trainer takes the lecture's linear model to the least-squares line."""
    X, y = regression_data(150)
    run = submission.probe("train", "linear", (1, 1), X[:100], y[:100], 25, 0.05, 12, X_test=X[100:], record=18)
    expect_replayed(run, X[:100], y[:100], epochs=25, batch_size=12, seed=0, replayed=2)
    fit = least_squares(X[:100], y[:100])
    weight, bias = run["parameters"]
    expect_close(torch.cat([weight.flatten(), bias]), fit.float(), rtol=0.03, atol=1.0, what="the trained parameters")
    held_out = ((run["predictions"] - y[100:]) ** 2).mean().item()
    best = ((X[100:].double() * fit[0] + fit[1] - y[100:].double()) ** 2).mean().item()
    if held_out > 1.1 * best:
        fail("the model trained by trainer predicts held-out data badly")


@task("count_parameters", points=2)
def test_count_parameters_of_the_lecture_models(submission):
    """count_parameters gives 2, 4, 10 and 32 for the lecture's models, as ints, and skips frozen layers."""
    for kind, sizes, want in [("linear", (1, 1), 2), ("linear", (3, 1), 4), ("nonlinear", (1, 3, 1), 10),
                              ("deep", (1, 5, 3, 1), 32), ("frozen", (1, 5, 3, 1), 22)]:  # fmt: skip
        expect_equal(submission.probe("count", kind, sizes), want, what=f"count_parameters of the lecture's {kind}")
