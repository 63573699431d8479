"""What the public and the hidden tests of assignment 05 share: the expected data and the
checks of each task. Every quantity is judged here, from the data the probes return."""

from unittest import mock

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from autograder.testing import (
    expect_close,
    expect_equal,
    expect_floats,
    expect_tensor,
    fail,
    probing,
    record_losses,
    remembered,
)
from autograder.testing.support import expect_module, linear_weights

SPLIT_NAMES = ("X_train", "X_test", "y_train", "y_test")


@remembered
def digits_split(test_size=0.25, seed=0):
    """The expected split: scikit-learn's own, scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    return (
        torch.tensor(X_train / 16, dtype=torch.float32),
        torch.tensor(X_test / 16, dtype=torch.float32),
        torch.tensor(y_train),
        torch.tensor(y_test),
    )


def expect_split(result, test_size, seed):
    """``load_digits_tensors(test_size, seed)`` must give scikit-learn's stratified split."""
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        fail("load_digits_tensors should return four tensors: (X_train, X_test, y_train, y_test)")
    for name, got, want in zip(SPLIT_NAMES, result, digits_split(test_size, seed), strict=True):
        expect_tensor(got, shape=tuple(want.shape), floating=name.startswith("X"), what=f"load_digits_tensors' {name}")
        if got.dtype != want.dtype:
            fail(f"load_digits_tensors' {name} should have dtype {want.dtype}", f"got {got.dtype}")
        if name.startswith("X"):
            expect_close(got, want, what=f"load_digits_tensors' {name}")
        else:
            expect_equal(got, want, what=f"load_digits_tensors' {name}")


def mlp_layers(input_size, layer_sizes, output_size):
    """The layers of MultiLayerNet as ``probing.network`` takes them."""
    return [input_size, *[entry for size in layer_sizes for entry in (size, "relu")], output_size]


def expect_mlp(submission, input_size, layer_sizes, output_size, X):
    """MultiLayerNet(input_size, layer_sizes, output_size), built in the probe with weights drawn
    here: every layer registered, run in order, the logits those weights give."""
    sizes = [input_size, *layer_sizes, output_size]
    weights = linear_weights(list(zip(sizes[1:], sizes[:-1], strict=True)))
    description = submission.probe("build_mlp", input_size, layer_sizes, output_size, X, weights)
    expect_module(description, "MultiLayerNet")
    calls = description["linear_calls"]
    if len(calls) != len(sizes) - 1 or not all(registered for _, _, registered in calls):
        fail(
            "MultiLayerNet should call one registered nn.Linear per size in layer_sizes, plus the final one "
            "(keep them in an nn.ModuleList or nn.Sequential, not a plain list)",
            f"MultiLayerNet{(input_size, list(layer_sizes), output_size)}'s forward called {len(calls)} linear "
            f"layers, {sum(r for _, _, r in calls)} of them registered; expected {len(sizes) - 1}",
        )
    for number, (weight, bias, _) in enumerate(calls):
        shape = (sizes[number + 1], sizes[number])
        for part, tensor, want in (("weight", weight, shape), ("bias", bias, shape[:1])):
            expect_tensor(tensor, what=f"a linear layer's {part}")
            if tuple(tensor.shape) != want:  # which layer and its sizes tell of the inputs: detail only
                fail(
                    f"a linear layer's {part} has the wrong shape: layer i should be "
                    "nn.Linear(sizes[i], sizes[i + 1]) of sizes = [input_size, *layer_sizes, output_size]",
                    f"linear layer {number + 1}'s {part} has shape {tuple(tensor.shape)}, expected {want} "
                    f"(nn.Linear{shape[::-1]})",
                )
    if sum(p.numel() for p in description["parameters"]) != sum(w.numel() + b.numel() for w, b, _ in calls):
        fail("MultiLayerNet's parameters() should hold every layer's weight and bias, and nothing else")
    network = probing.load(probing.network(mlp_layers(input_size, layer_sizes, output_size)),
                           [tensor for layer in weights for tensor in layer])  # fmt: skip
    with torch.no_grad():
        expect_close(description["output"], network(X), rtol=1e-4, atol=1e-5, what="MultiLayerNet")


def expect_accuracy(result, weight, bias, X, y):
    """``accuracy`` of the probe's mode-aware linear model: its scores in eval mode without gradients."""
    want = ((X @ weight.T + bias).argmax(1) == y).double().mean().item()
    if isinstance(result, float) and abs(result - want) > 1e-6:
        wrong = {
            "in training mode": ((-(X @ weight.T + bias)).argmax(1) == y).double().mean().item(),
            "with gradients enabled": ((X @ weight.T + bias).roll(1, dims=1).argmax(1) == y).double().mean().item(),
        }
        for why, value in wrong.items():
            if abs(result - value) <= 1e-6:
                fail(
                    f"accuracy scores the model {why}: call model.eval() and compute the scores inside "
                    "`with torch.no_grad():`"
                )
    expect_close(result, want, rtol=1e-6, atol=1e-6, what="accuracy")


class RecordedBatches:
    """Stands in for the trusted ``fit``'s DataLoader: the batches the submission trained on."""

    def __init__(self, X, y, epochs):
        self.data, self.epochs, self.per_epoch = (X, y), iter(epochs), len(epochs[0])

    def __len__(self):
        return self.per_epoch

    def __iter__(self):
        X, y = self.data
        return ((X[batch], y[batch]) for batch in next(self.epochs))


def expect_batches(batches, n, epochs, batch_size):
    """The batches of a run: ``batch_size`` samples (the last may be smaller), every sample once
    per epoch, shuffled anew every epoch. Returns them split by epoch."""
    per_epoch = -(-n // batch_size)
    sizes = [len(batch) for batch in batches]
    if len(sizes) != epochs * per_epoch or any(size != batch_size for size in sizes[: per_epoch - 1]):
        fail(
            "fit should train on batches of batch_size samples (only the last of an epoch may be smaller, none "
            "dropped), and run no other forward pass with gradients enabled",
            f"it trained on {len(sizes)} batches in {epochs} epochs; expected {per_epoch} per epoch",
        )
    orders = [torch.cat(batches[e * per_epoch : (e + 1) * per_epoch]) for e in range(epochs)]
    if not all(torch.equal(order.sort().values, torch.arange(n)) for order in orders):
        fail("every epoch of fit should go through every training sample exactly once")
    if torch.equal(orders[0], torch.arange(n)) or (epochs > 1 and torch.equal(orders[0], orders[1])):
        fail("fit should shuffle the training samples, in a new order every epoch (DataLoader(..., shuffle=True))")
    return [batches[e * per_epoch : (e + 1) * per_epoch] for e in range(epochs)]


# The least a cross-entropy over 10 classes can be when it is given probabilities instead of logits:
# -log(e / (e + 9)), reached by a one-hot input.
PROBABILITIES_FLOOR = 1.4612


def how_the_loss_went(history):
    """What the shape of a run's loss history says about the training, for a run whose weights are
    wrong: words for the message (a hidden test's too) and the numbers for the detail."""
    first, last, lowest = history[0], history[-1], min(history)
    if last > 0.98 * first:
        return ": the loss barely fell", f"from {first:.3f} to {last:.3f} over {len(history)} epochs"
    rises = [epoch for epoch in range(1, len(history)) if history[epoch] > 1.1 * min(history[:epoch])]
    if rises:
        return ": the loss rose again after falling", f"at epoch {rises[0] + 1}: {history}"
    if lowest >= PROBABILITIES_FLOOR:
        return (
            ": the loss never fell below the least a cross-entropy of the ten classes can be when it is "
            "given probabilities instead of logits",
            f"lowest loss {lowest:.4f}; the floor is -log(e / (e + 9)) = {PROBABILITIES_FLOOR}",
        )
    return "", ""


def expect_fit(submission, trusted, split, layer_sizes, epochs, lr, batch_size, seed, threshold):
    """Trains a network of MultiLayerNet's architecture with the submission's ``fit`` and judges
    the run in the test: its batches, its loss history and trained weights against the trusted
    ``fit`` replayed here from the same start on the same batches, the same run again for the
    same seed, and the trained network, run here, on held-out digits (noised here, never sent
    to the probe)."""
    X_train, X_test, y_train, y_test = split
    layers = mlp_layers(X_train.shape[1], layer_sizes, 10)
    initial = probing.weights(probing.network(layers))
    first, second = submission.probe("fit_run", X_train, y_train, layers, initial, epochs, lr, batch_size, seed, 2)
    history = expect_floats(first["history"], epochs, what="fit's history")
    epochs_of_batches = expect_batches(first["batches"], len(y_train), epochs, batch_size)
    replay = probing.load(probing.network(layers), initial)
    loader = RecordedBatches(X_train, y_train, epochs_of_batches)
    with mock.patch.object(trusted, "DataLoader", lambda *args, **kwargs: loader), probing.one_thread():
        expected = trusted.fit(replay, X_train, y_train, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    record_losses(history, expected)
    try:
        trained = probing.load(probing.network(layers), first["weights"])
    except (TypeError, ValueError, AttributeError):
        fail("fit should train the network it is given, in place")
    replayed = probing.weights(replay)
    if not all(torch.allclose(w, e, rtol=1e-2, atol=1e-3) for w, e in zip(first["weights"], replayed, strict=True)):
        shape, numbers = how_the_loss_went(history)
        fail(
            "fit's trained weights are not those of minibatch Adam on the cross-entropy from the given network" + shape,
            numbers,
        )
    expect_close(
        torch.tensor(history, dtype=torch.float64),
        torch.tensor(expected, dtype=torch.float64),
        rtol=1e-3,
        atol=1e-5,
        what="fit's history (per-epoch plain means of the batch losses)",
    )
    repeated = second["batches"]
    if (
        list(second["history"]) != history[:2]
        or len(repeated) != 2 * len(epochs_of_batches[0])
        or not all(torch.equal(a, b) for a, b in zip(repeated, first["batches"], strict=False))
    ):
        fail("fit with the same seed gave another run: shuffle with a torch.Generator seeded with seed")
    noise = torch.randn(X_test.shape, generator=torch.Generator().manual_seed(seed + 97))
    with torch.no_grad():
        accuracy = (trained((X_test + 0.05 * noise).clamp(0, 1)).argmax(1) == y_test).double().mean().item()
    if not accuracy >= threshold:
        fail(
            "the trained network's held-out accuracy is too low",
            f"accuracy {accuracy:.4f}, expected at least {threshold}",
        )
