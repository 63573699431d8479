"""What the public and the hidden tests of assignment 03 share: the lecture's data sets and the
checks of the classifiers. Every quantity is judged here, from the data the probes return."""

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from autograder.testing import expect_close, fail
from autograder.testing.support import expect_module, expect_steps, linear_weights

EXTREMES = torch.tensor([-1e4, -1000.0, -100.0, -20.0, -1.0, -0.25, 0.3, 2.0, 20.0, 100.0, 1000.0, 1e4])


def shuffled(rng, X, y):
    """``X`` and ``y`` in the order of a shuffle by ``rng`` (as scikit-learn shuffles)."""
    order = np.arange(len(X))
    rng.shuffle(order)
    return X[order], y[order]


def make_circles(n_samples, factor, noise, random_state):
    """The points of sklearn's ``make_circles`` (its algorithm, without importing scikit-learn)."""
    rng = np.random.RandomState(random_state)
    outer = np.linspace(0, 2 * np.pi, n_samples // 2, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_samples - n_samples // 2, endpoint=False)
    X = np.stack(
        [np.append(np.cos(outer), np.cos(inner) * factor), np.append(np.sin(outer), np.sin(inner) * factor)], 1
    )
    X, y = shuffled(rng, X, np.repeat([0, 1], [len(outer), len(inner)]))
    return X + rng.normal(scale=noise, size=X.shape), y


def make_blobs(n_samples, centers, center_box, cluster_std, random_state):
    """The points of sklearn's ``make_blobs`` in 2-D (its algorithm, without importing scikit-learn)."""
    rng = np.random.RandomState(random_state)
    middles = rng.uniform(center_box[0], center_box[1], size=(centers, 2))
    counts = [n_samples // centers + (k < n_samples % centers) for k in range(centers)]
    X = np.concatenate([rng.normal(loc=middles[k], scale=cluster_std, size=(n, 2)) for k, n in enumerate(counts)])
    return shuffled(rng, X, np.repeat(np.arange(centers), counts))


def circles(random_state):
    """The lecture's two circles as float32 tensors: 200 points to train on, 100 held out."""
    X, y = make_circles(300, factor=0.5, noise=0.1, random_state=random_state)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None]
    return X[:200], y[:200], X[200:], y[200:]


def blobs(random_state):
    """The lecture's four blobs as tensors: 150 points to train on, 50 held out."""
    X, y = make_blobs(200, centers=4, center_box=(-1.2, 1.2), cluster_std=0.15, random_state=random_state)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    return X[:150], y[:150], X[150:], y[150:]


def relu_network(parameters, X):
    """Linear → ReLU → Linear from its parameters in order, in float64."""
    weight_1, bias_1, weight_2, bias_2 = (p.double() for p in parameters)
    return torch.relu(X.double() @ weight_1.T + bias_1) @ weight_2.T + bias_2


def expect_classifier(submission, what, sizes, X):
    """``what(*sizes)``, built in the probe with weights drawn here, is Linear → ReLU → Linear of
    ``sizes``, all registered, returning the logits of those weights."""
    size_in, hidden, size_out = sizes
    weights = linear_weights([(hidden, size_in), (size_out, hidden)])
    info = submission.probe("inspect_model", what, sizes, X, weights)
    expect_module(info, what)
    calls = info["linear_calls"]
    shapes = [tuple(weight.shape) for weight, _, _ in calls]
    if shapes != [(hidden, size_in), (size_out, hidden)] or any(bias is None for _, bias, _ in calls):
        fail(f"{what}'s forward should call two nn.Linear layers of the right sizes, with biases",
             f"expected nn.Linear({size_in}, {hidden}) then nn.Linear({hidden}, {size_out})")  # fmt: skip
    if not all(registered for _, _, registered in calls) or len(info["parameters"]) != 4:
        fail(f"{what}: its layers must be registered (attributes, nn.Sequential), so parameters() sees them all")
    expected = relu_network([tensor for layer in weights for tensor in layer], X)
    expect_close(info["output"], expected.float(), rtol=1e-5, atol=1e-5, what=f"{what}'s logits")


def expect_trained(run, X, y, batch_size, seed, true_loss, replayed=16):
    """The first ``replayed`` steps of the probe's training used the right loss value and gradients
    (those of Linear → ReLU → Linear with the true loss at the step's parameters)."""
    loader = DataLoader(TensorDataset(X, y), batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    batches = [batch for _ in range(-(-replayed // len(loader))) for batch in loader][:replayed]
    got_losses, want_losses, got_grads, want_grads = [], [], [], []
    for step, (X_batch, y_batch) in zip(run["steps"], batches, strict=False):
        parameters = [p.double().requires_grad_() for p in step["parameters"]]
        loss = true_loss(relu_network(parameters, X_batch), y_batch)
        got_losses.append(step["loss"])
        want_losses.append(loss.item())
        if any(grad is None for grad in step["grads"]):
            fail("your loss gave no gradients for some parameters during training")
        got_grads += [grad.flatten() for grad in step["grads"]]
        want_grads += [grad.flatten() for grad in torch.autograd.grad(loss, parameters)]
    if len(got_losses) < min(replayed, len(batches)):
        fail("the training made fewer steps than there are batches")
    expect_close(
        torch.tensor(got_losses), torch.tensor(want_losses), rtol=1e-4, atol=1e-5, what="your loss in training"
    )
    expect_close(
        torch.cat(got_grads), torch.cat(want_grads).float(), rtol=1e-3, atol=1e-5, what="the gradients in training"
    )


def expect_training(submission, name, sizes, data, epochs, lr, batch_size, loss, true_loss, seed, threshold):
    """Trains the submission's classifier ``name`` with its loss ``loss`` in the probe and judges
    the run here: every step's loss and gradients (``true_loss`` at its parameters), every
    step's update (Adam replayed here on those gradients), and the accuracy of the trained
    network, run here on held-out points never sent to the probe."""
    X, y, X_test, y_test = data
    run = submission.probe("train_classifier", name, sizes, X, y, epochs, lr, batch_size, loss, seed=seed)
    expect_trained(run, X, y, batch_size, seed, true_loss, replayed=epochs * -(-len(X) // batch_size))
    expect_steps(run["steps"], run["trained"], torch.optim.Adam, lr, f"training {name}")
    logits = relu_network(run["trained"], X_test).float()
    predictions = (logits > 0).float() if logits.shape[1] == 1 else logits.argmax(1)
    accuracy = (predictions == y_test).float().mean().item()
    if not accuracy >= threshold:
        fail(f"{name} reaches too low a held-out accuracy", f"accuracy {accuracy:.2f}, expected at least {threshold}")
