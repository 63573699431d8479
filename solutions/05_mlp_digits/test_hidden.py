"""Hidden tests of assignment 05: the submission against scikit-learn, torch and the reference."""

import math

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from autograder.testing import context, expect_close, expect_equal, expect_floats, expect_tensor, task
from autograder.testing.checks import failure
from autograder.testing.strategies import tensors


def fail(message):
    raise failure(message, "", context.current().last_call)


def digits_split(test_size, seed):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    return (
        torch.tensor(X_train / 16, dtype=torch.float32),
        torch.tensor(X_test / 16, dtype=torch.float32),
        torch.tensor(y_train),
        torch.tensor(y_test),
    )


@task("load_digits_tensors", points=2)
def test_load_digits_tensors_other_splits(submission):
    """Other test sizes and seeds give scikit-learn's stratified split, as float32 / int64 tensors in [0, 1]."""
    for test_size, seed in [(0.2, 3), (0.5, 11)]:
        result = submission.load_digits_tensors(test_size=test_size, seed=seed)
        if not isinstance(result, (tuple, list)) or len(result) != 4:
            fail("load_digits_tensors should return four tensors: (X_train, X_test, y_train, y_test)")
        for name, got, want in zip(("X_train", "X_test", "y_train", "y_test"), result, digits_split(test_size, seed),
                                   strict=True):  # fmt: skip
            expect_tensor(got, shape=tuple(want.shape), floating=name.startswith("X"), what=name)
            if got.dtype != want.dtype:
                fail(f"load_digits_tensors' {name} should have dtype {want.dtype}")
            if name.startswith("X"):
                expect_close(got, want, what=name)
            else:
                expect_equal(got, want, what=name)


def mlp_forward(linears, x):
    out = x
    for number, (weight, bias) in enumerate(linears):
        out = out @ weight.T + bias
        if number < len(linears) - 1:
            out = torch.relu(out)
    return out


@task("MultiLayerNet", points=2)
def test_multilayernet_of_several_shapes(submission):
    """MultiLayerNet with layer_sizes as lists and tuples, empty to three layers: every layer registered, in order."""
    for input_size, layer_sizes, output_size in [
        (5, (7, 3), 4),
        (6, [], 2),
        (3, [9], 5),
        (4, (6, 5, 7), 2),
        (2, (), 3),
    ]:
        X = torch.randn(10, input_size) * 2
        description = submission.probe("build_mlp", input_size, layer_sizes, output_size, X)
        if not description["is_module"]:
            fail("MultiLayerNet must be an nn.Module")
        sizes = [input_size, *layer_sizes, output_size]
        linears = description["linears"]
        if len(linears) != len(sizes) - 1:
            fail("MultiLayerNet should register one nn.Linear per size in layer_sizes, plus the final one")
        for number, (weight, bias) in enumerate(linears):
            expect_tensor(weight, shape=(sizes[number + 1], sizes[number]), what="a linear layer's weight")
            expect_tensor(bias, shape=(sizes[number + 1],), what="a linear layer's bias")
        if description["parameter_count"] != sum(w.numel() + b.numel() for w, b in linears):
            fail("MultiLayerNet's parameters() should hold every layer's weight and bias, and nothing else")
        expect_close(description["output"], mlp_forward(linears, X), rtol=1e-4, atol=1e-5, what="MultiLayerNet")


@task("accuracy", points=2)
@given(n=st.integers(2, 60), classes=st.integers(2, 6), data=st.data())
def test_accuracy_of_random_linear_models(submission, n, classes, data):
    """accuracy is the fraction of right argmax predictions, in eval mode and without gradients, for any model."""
    weight = data.draw(tensors((classes, 3), -2, 2))
    bias = data.draw(tensors((classes,), -1, 1))
    X = data.draw(tensors((n, 3), -3, 3))
    scores = X @ weight.T + bias
    if (scores.topk(2, dim=1).values.diff(dim=1).abs() < 1e-3).any():
        return  # a near tie: argmax is not well defined
    y = torch.tensor(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    y[0] = scores[0].argmax()  # at least one right, so the accuracy is not 0
    result = submission.probe("accuracy_of_linear_model", weight, bias, X, y)
    expect_close(result["accuracy"], (scores.argmax(1) == y).double().mean().item(), rtol=1e-6, atol=1e-6)
    if result["called_with_gradients"]:
        fail("accuracy runs the model with gradients enabled: use `with torch.no_grad():`")


@task("fit", points=3, timeout=60)
def test_fit_with_other_batches_seed_and_split(submission):
    """fit on another split with batches of 50 and seed 3: exact per-epoch means, seeded shuffling, accuracy >= 0.93."""
    X_train, X_test, y_train, y_test = digits_split(0.25, 1)
    epochs, batch_size, n = 15, 50, len(y_train)
    first, second = submission.probe("fit_and_predict", X_train, y_train, X_test, [128, 64], epochs, 1e-3, 50, 3, 2)
    history = expect_floats(first["history"], epochs, what="fit's history")
    sizes, indices, scores = first["sizes"], first["indices"], first["scores"]
    batches_per_epoch = math.ceil(n / batch_size)
    if sum(sizes) != epochs * n or len(sizes) != epochs * batches_per_epoch:
        fail("fit should train on every sample once per epoch, in batches of batch_size (none dropped)")
    orders = indices.reshape(epochs, n)
    if not all(torch.equal(order.sort().values, torch.arange(n)) for order in orders):
        fail("every epoch of fit should go through every training sample exactly once")
    if torch.equal(orders[0], torch.arange(n)) or torch.equal(orders[0], orders[1]):
        fail("fit should shuffle the training samples, in a new order every epoch")
    batch_losses = [
        F.cross_entropy(s, y_train[i]).item() for s, i in zip(scores.split(sizes), indices.split(sizes), strict=True)
    ]
    means = torch.tensor(batch_losses).reshape(epochs, batches_per_epoch).mean(1)
    expect_close(torch.tensor(history), means, rtol=1e-4, atol=1e-5, what="fit's history")
    if list(second["history"]) != history[:2] or not torch.equal(second["indices"], indices[: 2 * n]):
        fail("fit with the same seed gave another run: shuffle with a torch.Generator seeded with seed")
    if not (first["predictions"] == y_test).double().mean().item() >= 0.93:
        fail("the trained network's held-out accuracy is below 0.93")
    other, _ = submission.probe("fit_and_predict", X_train, y_train, X_test, [8], 1, 1e-3, 50, 4, 1)
    if torch.equal(other["indices"], indices[:n]):
        fail("fit shuffles the same way for another seed: seed the generator with the seed argument")
