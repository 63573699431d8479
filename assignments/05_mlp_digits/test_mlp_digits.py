"""Public tests of assignment 05. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task. Tests that build
your network, call ``accuracy`` on a model or train with ``fit`` go through ``probes.py``.
"""

import math

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from autograder.testing import context, expect_close, expect_equal, expect_floats, expect_tensor, task
from autograder.testing.checks import failure


def fail(message, detail=""):
    """Fail the test about the last call into your module (with a known mistake's hint if it matches)."""
    raise failure(message, detail, context.current().last_call)


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
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        fail("load_digits_tensors should return four tensors: (X_train, X_test, y_train, y_test)")
    names = ("X_train", "X_test", "y_train", "y_test")
    for name, got, want in zip(names, result, digits_split(test_size, seed), strict=True):
        expect_tensor(got, shape=tuple(want.shape), floating=name.startswith("X"), what=f"load_digits_tensors' {name}")
        if got.dtype != want.dtype:
            fail(f"load_digits_tensors' {name} should have dtype {want.dtype}, not {got.dtype}")
        if name.startswith("X"):
            expect_close(got, want, what=f"load_digits_tensors' {name}")
        else:
            expect_equal(got, want, what=f"load_digits_tensors' {name}")


@task("load_digits_tensors", points=2)
def test_load_digits_tensors_gives_the_stratified_split(submission):
    """The default split (25 % held out, seed 0) and another (30 %, seed 5) match scikit-learn's, pixels / 16."""
    expect_split(submission.load_digits_tensors(), 0.25, 0)
    expect_split(submission.load_digits_tensors(test_size=0.3, seed=5), 0.3, 5)


def mlp_forward(linears, x):
    """The MLP's forward pass composed from its own layers: ReLU after each but the last."""
    out = x
    for number, (weight, bias) in enumerate(linears):
        out = out @ weight.T + bias
        if number < len(linears) - 1:
            out = torch.relu(out)
    return out


def expect_mlp(description, input_size, layer_sizes, output_size, X):
    """The probe's description of a MultiLayerNet: every layer registered, run in order, logits out."""
    if not description["is_module"]:
        fail("MultiLayerNet must be an nn.Module: subclass nn.Module and call super().__init__() first")
    sizes = [input_size, *layer_sizes, output_size]
    linears = description["linears"]
    if len(linears) != len(sizes) - 1:
        fail(
            f"MultiLayerNet{(input_size, list(layer_sizes), output_size)} should register {len(sizes) - 1} "
            "nn.Linear layers (keep them in an nn.ModuleList or nn.Sequential, not a plain list)",
            f"found {len(linears)}",
        )
    for number, (weight, bias) in enumerate(linears):
        shape = (sizes[number + 1], sizes[number])
        expect_tensor(weight, shape=shape, what=f"linear layer {number + 1}'s weight (nn.Linear{shape[::-1]})")
        expect_tensor(bias, shape=shape[:1], what=f"linear layer {number + 1}'s bias")
    count = sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1))
    if description["parameter_count"] != count:
        fail(
            "MultiLayerNet's parameters() should hold every layer's weight and bias, and nothing else",
            f"got {description['parameter_count']} parameters, expected {count}",
        )
    expect_close(description["output"], mlp_forward(linears, X), rtol=1e-4, atol=1e-5, what="MultiLayerNet")


@task("MultiLayerNet", points=2)
def test_multilayernet_for_the_digits(submission):
    """MultiLayerNet(64, [128, 64], 10) is Linear -> ReLU -> Linear -> ReLU -> Linear and returns logits."""
    X = torch.rand(16, 64)
    expect_mlp(submission.probe("build_mlp", 64, [128, 64], 10, X), 64, [128, 64], 10, X)


@task("MultiLayerNet", points=1)
def test_multilayernet_of_equal_sizes_and_of_none(submission):
    """MultiLayerNet(8, [8, 8], 3) passes the running activation on; MultiLayerNet(8, [], 3) is one Linear."""
    X = torch.randn(12, 8)
    expect_mlp(submission.probe("build_mlp", 8, [8, 8], 3, X), 8, [8, 8], 3, X)
    expect_mlp(submission.probe("build_mlp", 8, [], 3, X), 8, [], 3, X)


def expect_accuracy(result, weight, bias, X, y):
    want = ((X @ weight.T + bias).argmax(1) == y).double().mean().item()
    expect_close(result["accuracy"], want, rtol=1e-6, atol=1e-6, what="accuracy")
    if result["called_with_gradients"]:
        fail("accuracy runs the model with gradients enabled: compute the scores inside `with torch.no_grad():`")


@task("accuracy", points=2)
def test_accuracy_of_a_linear_model(submission):
    """accuracy is the fraction of argmax predictions equal to the labels, in eval mode, without gradients."""
    weight, bias = torch.randn(4, 3), torch.randn(4)
    X = torch.randn(40, 3)
    y = (X @ weight.T + bias).argmax(1)
    y[::3] = (y[::3] + 1) % 4  # every third prediction is wrong: 26 of 40 right
    expect_accuracy(submission.probe("accuracy_of_linear_model", weight, bias, X, y), weight, bias, X, y)


@task("accuracy", points=1)
def test_accuracy_of_ten_samples_of_ten_classes(submission):
    """Ten samples, ten classes: the argmax runs over the classes (dimension 1), not over the samples."""
    weight, bias = torch.eye(10), torch.zeros(10)
    X = torch.eye(10).roll(1, dims=1) + 0.01 * torch.rand(10, 10)  # sample i scores highest for class i + 1
    y = (torch.arange(10) + 1) % 10
    y[[2, 5, 7]] = (y[[2, 5, 7]] + 1) % 10  # three wrong labels: 7 of 10 right
    expect_accuracy(submission.probe("accuracy_of_linear_model", weight, bias, X, y), weight, bias, X, y)


def expect_fit(runs, y_train, y_test, epochs, repeat_epochs, batch_size, threshold):
    """The two runs of the fit probe: per-epoch plain means of the batch losses, every sample
    once per epoch in a seeded shuffled order, and held-out accuracy of at least ``threshold``."""
    first, second = runs
    history = expect_floats(first["history"], epochs, what="fit's history")
    n = len(y_train)
    sizes, indices, scores = first["sizes"], first["indices"], first["scores"]
    if sum(sizes) != epochs * n:
        fail(
            f"fit should train on every sample once per epoch ({n} samples, {epochs} epochs): "
            "no batch may be dropped, and no other forward pass may run with gradients enabled",
            f"it trained on {sum(sizes)} samples in all",
        )
    batch_losses = [
        F.cross_entropy(batch_scores, y_train[batch_indices]).item()
        for batch_scores, batch_indices in zip(scores.split(sizes), indices.split(sizes), strict=True)
    ]
    batches_per_epoch = math.ceil(n / batch_size)
    if len(sizes) != epochs * batches_per_epoch or any(s != batch_size for s in sizes[: batches_per_epoch - 1]):
        fail(f"fit should train on batches of batch_size={batch_size} samples, {batches_per_epoch} per epoch")
    orders = indices.reshape(epochs, n)
    if not all(torch.equal(order.sort().values, torch.arange(n)) for order in orders):
        fail("every epoch of fit should go through every training sample exactly once")
    if torch.equal(orders[0], torch.arange(n)) or torch.equal(orders[0], orders[1]):
        fail("fit should shuffle the training samples, in a new order every epoch (DataLoader(..., shuffle=True))")
    means = torch.tensor(batch_losses).reshape(epochs, batches_per_epoch).mean(1)
    expect_close(torch.tensor(history), means, rtol=1e-4, atol=1e-5, what="fit's history (per-epoch mean batch loss)")
    if list(second["history"]) != history[:repeat_epochs] or not torch.equal(
        second["indices"], indices[: repeat_epochs * n]
    ):
        fail("fit with the same seed gave another run: shuffle with a torch.Generator seeded with seed")
    accuracy = (first["predictions"] == y_test).double().mean().item()
    if not accuracy >= threshold:
        fail(f"the trained network's held-out accuracy is below {threshold}", f"accuracy {accuracy:.4f}")


@task("fit", points=3, timeout=60)
def test_fit_trains_a_digit_classifier(submission):
    """A 64-128-64-10 network trained with fit classifies held-out digits with accuracy at least 0.93."""
    X_train, X_test, y_train, y_test = digits_split()
    runs = submission.probe("fit_and_predict", X_train, y_train, X_test, [128, 64], 15, 1e-3, 64, 0, 2)
    expect_fit(runs, y_train, y_test, 15, 2, 64, 0.93)
