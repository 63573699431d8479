"""What the public and the hidden tests of assignment 02 share: the lecture's data and the
checks of the models and the trainer. Every quantity is judged here, from the data the probes
return."""

import itertools

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from autograder.testing import expect_close, expect_floats, fail, record_losses
from autograder.testing.support import expect_module, expect_steps, linear_weights

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}
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


def expect_detached(value, what):
    """A returned tensor must not require grad (it would drag its graph along)."""
    if isinstance(value, torch.Tensor) and value.requires_grad:
        fail(f"{what} still requires grad: return it detached (.detach())")


def expect_network(submission, what, sizes, X, names=None):
    """``what(*sizes)``, built in the probe with weights drawn here, is nn.Linear layers between
    consecutive ``sizes``, called in that order with a sigmoid between them, all registered,
    computing the output of those weights (with parameters ``names``, if given)."""
    layers = list(itertools.pairwise(sizes))
    weights = linear_weights([(size_out, size_in) for size_in, size_out in layers])
    info = submission.probe("inspect_model", what, sizes, X, weights)
    expect_module(info, what)
    calls = info["linear_calls"]
    if len(calls) != len(layers):
        fail(f"{what}'s forward used the wrong number of nn.Linear layers", f"{len(calls)}, expected {len(layers)}")
    for number, ((weight, bias, _), (size_in, size_out)) in enumerate(zip(calls, layers, strict=True), start=1):
        if tuple(weight.shape) != (size_out, size_in) or bias is None or tuple(bias.shape) != (size_out,):
            fail(f"{what}: a layer of forward is not an nn.Linear of the right sizes with a bias",
                 f"layer {number}: expected nn.Linear({size_in}, {size_out})")  # fmt: skip
    if not all(registered for _, _, registered in calls):
        fail(
            f"{what}: a layer is not registered, so parameters() does not see it (keep layers as "
            "attributes or in nn.Sequential / nn.ModuleList, never in a plain list)"
        )
    count = sum(p.numel() for p in info["parameters"])
    want = sum(size_in * size_out + size_out for size_in, size_out in layers)
    if count != want:
        fail(f"{what} has the wrong number of parameters", f"{count}, expected {want}")
    expected = lecture_forward([tensor for layer in weights for tensor in layer], X)
    if names is not None and info["names"] != names:
        fail(f"{what}'s parameters should be named {', '.join(names)}", f"got {info['names']}")
    expect_close(info["output"], expected.float(), rtol=1e-5, atol=1e-5, what=f"{what}'s forward")


def lecture_forward(parameters, X):
    """The lecture's models (Linear, Sigmoid, Linear, ...) from their parameters in order, in float64."""
    parameters = [p.double() for p in parameters]
    layers = list(zip(parameters[0::2], parameters[1::2], strict=True))
    out = X.double()
    for number, (weight, bias) in enumerate(layers):
        out = out @ weight.T + bias
        if number < len(layers) - 1:
            out = torch.sigmoid(out)
    return out


def shuffled(X, y, batch_size, seed):
    """The train probe's loader: shuffled batches, in the order its seed decides."""
    return DataLoader(TensorDataset(X, y), batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))


def batch_loss(parameters, X_batch, y_batch, criterion):
    """The criterion (``"mse"`` or ``"l1"``) of a lecture model of ``parameters`` on one batch, in float64."""
    error = lecture_forward(parameters, X_batch) - y_batch.double()
    return (error**2).mean() if criterion == "mse" else error.abs().mean()


def expect_replayed(run, X, y, epochs, batch_size, seed, optimizer, lr, criterion="mse", replayed=None):
    """Replays a run of the train probe (a lecture model, the probe's shuffled loader): every
    optimizer step must use the gradient of its own batch's loss, and the history must hold, for
    every epoch, the plain mean of its batch losses. The first ``replayed`` epochs (default: all)
    are replayed; the probe must have recorded their steps. The history is recorded beside the
    one its own steps' batch losses make."""
    history = expect_floats(run["history"], epochs, what="trainer's history")
    loader = shuffled(X, y, batch_size, seed)
    replayed = replayed or epochs
    batches = [batch for _ in range(replayed) for batch in loader]
    if len(run["steps"]) < len(batches):
        fail("the optimizer should make one step per batch", f"{len(run['steps'])} steps in {replayed} epochs")
    losses, got_grads, want_grads = [], [], []
    for step, (X_batch, y_batch) in zip(run["steps"], batches, strict=False):
        if any(grad is None for grad in step["grads"]):
            fail("optimizer.step() ran with no gradients: call backward() before step()")
        parameters = [p.double().requires_grad_() for p in step["parameters"]]
        loss = batch_loss(parameters, X_batch, y_batch, criterion)
        got_grads += [grad.flatten() for grad in step["grads"]]
        want_grads += [grad.flatten() for grad in torch.autograd.grad(loss, parameters)]
        losses.append(loss.item())
    per_epoch = len(loader)
    expected = [sum(losses[e * per_epoch : (e + 1) * per_epoch]) / per_epoch for e in range(replayed)]
    record_losses(history, expected)
    expect_close(torch.cat(got_grads), torch.cat(want_grads).float(), rtol=1e-3, atol=1e-4,
                 what="the gradients at the optimizer's steps")  # fmt: skip
    expect_close(torch.tensor(history[:replayed]), torch.tensor(expected), rtol=1e-5, what="trainer's history")
    if len(run["steps"]) != epochs * per_epoch:
        fail("the optimizer should make one step per batch", f"{len(run['steps'])} steps in {epochs} epochs")
    expect_steps(run["steps"], run["parameters"], OPTIMIZERS[optimizer], lr, "trainer")


def nonlinear_data(n_samples, seed):
    """The lecture's non-linear target y = x**2 + 15 sin(x)**3 on normal inputs (shuffled, not sorted)."""
    rng = np.random.RandomState(seed)
    x = rng.randn(n_samples)
    y = x**2 + 15 * np.sin(x) ** 3
    return torch.tensor(x[:, None], dtype=torch.float32), torch.tensor(y[:, None], dtype=torch.float32)
