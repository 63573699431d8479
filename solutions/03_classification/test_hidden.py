"""Hidden tests of assignment 03: the submission against torch's own functions."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset

from autograder.testing import context, expect_close, expect_equal, task
from autograder.testing.checks import failure
from autograder.testing.strategies import shapes, tensors

EXTREMES = torch.tensor([-1e4, -1000.0, -100.0, -20.0, -1.0, -0.25, 0.3, 2.0, 20.0, 100.0, 1000.0, 1e4])


def fail(message, detail=""):
    """Fail the test on the last call into the submission (a known mistake's hint is added)."""
    raise failure(message, detail, context.current().last_call)


def shuffled(rng, X, y):
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


def relu_network(parameters, X):
    """Linear → ReLU → Linear from its parameters in order, in float64."""
    weight_1, bias_1, weight_2, bias_2 = (p.double() for p in parameters)
    return torch.relu(X.double() @ weight_1.T + bias_1) @ weight_2.T + bias_2


def expect_classifier(info, what, sizes, X):
    """``info`` (from the inspect_model probe) describes Linear → ReLU → Linear of ``sizes``, all
    registered, returning the logits."""
    size_in, hidden, size_out = sizes
    if info["error"]:
        fail(f"{what} could not be built and run", info["error"])
    if not info["is_module"]:
        fail(f"{what} is not an nn.Module: the class must inherit from nn.Module")
    calls = info["linear_calls"]
    shapes = [tuple(weight.shape) for weight, _, _ in calls]
    if shapes != [(hidden, size_in), (size_out, hidden)] or any(bias is None for _, bias, _ in calls):
        fail(f"{what}'s forward should call two nn.Linear layers of the right sizes, with biases")
    if not all(registered for _, _, registered in calls) or len(info["parameters"]) != 4:
        fail(f"{what}: its layers must be registered (attributes, nn.Sequential), so parameters() sees them all")
    expected = relu_network([p for weight, bias, _ in calls for p in (weight, bias)], X)
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


def batches(max_classes=6, min_classes=2, low=-10.0, high=10.0):
    """(scores (N, C), target (N,)) with 2 <= N <= 8."""
    return st.tuples(st.integers(2, 8), st.integers(min_classes, max_classes)).flatmap(
        lambda nc: st.tuples(
            tensors(nc, low, high),
            st.lists(st.integers(0, nc[1] - 1), min_size=nc[0], max_size=nc[0]).map(torch.tensor),
        )
    )


@task("sigmoid", points=2)
@given(x=tensors(shapes(max_dims=3), -30, 30))
def test_sigmoid_matches_torch(submission, x):
    """sigmoid agrees with torch.sigmoid for any shape, also next to inputs of magnitude up to 1e4."""
    expect_close(submission.sigmoid(x), torch.sigmoid(x.double()).float(), rtol=1e-5, atol=1e-7)
    expect_close(submission.sigmoid(EXTREMES), torch.sigmoid(EXTREMES.double()).float(), rtol=1e-5, atol=1e-7)


@task("sigmoid", points=1)
def test_sigmoid_of_float64(submission):
    """sigmoid works on float64 inputs, large ones included."""
    x = torch.cat([EXTREMES.double(), torch.linspace(-40, 40, 81, dtype=torch.float64)])
    expect_close(submission.sigmoid(x), torch.sigmoid(x), rtol=1e-10, atol=1e-12)


@task("softmax", points=2)
@given(x=tensors(shapes(min_dims=2, max_dims=3, min_side=2), -1e4, 1e4), data=st.data())
def test_softmax_matches_torch_along_any_dim(submission, x, data):
    """softmax agrees with torch.softmax along any dim of any shape, for scores up to 1e4."""
    dim = data.draw(st.integers(-x.dim(), x.dim() - 1))
    atol = 1e-6 * max(1.0, x.abs().max().item())  # float32 rounding of scores near 1e4
    expect_close(submission.softmax(x, dim=dim), torch.softmax(x.double(), dim).float(), atol=atol)


@task("cross_entropy", points=3)
@given(batch=batches(low=-1e4, high=1e4))
def test_cross_entropy_matches_torch(submission, batch):
    """cross_entropy equals F.cross_entropy for logits up to 1e4 in magnitude."""
    logits, target = batch
    atol = 1e-6 * max(1.0, logits.abs().max().item())  # float32 rounding of logits near 1e4
    expect_close(submission.cross_entropy(logits, target), F.cross_entropy(logits.double(), target).float(),
                 rtol=1e-5, atol=atol)  # fmt: skip


@task("bce_loss", points=3)
@given(n=st.integers(1, 8), data=st.data())
def test_bce_loss_matches_torch(submission, n, data):
    """bce_loss equals nn.BCELoss for any probabilities, exact 0 and 1 among them, and soft targets."""
    p = torch.cat([data.draw(tensors((n,), 0, 1)), torch.tensor([0.0, 1.0, 0.0, 1.0])])[:, None]
    y = torch.cat([data.draw(tensors((n,), 0, 1)), torch.tensor([0.0, 1.0, 1.0, 0.0])])[:, None]
    expect_close(submission.bce_loss(p, y), torch.nn.BCELoss()(p.double(), y.double()).float(), rtol=1e-5, atol=1e-6)


@task("bce_with_logits", points=3)
@given(n=st.integers(1, 8), data=st.data())
def test_bce_with_logits_matches_torch(submission, n, data):
    """bce_with_logits equals nn.BCEWithLogitsLoss for any logits, large ones among them, and soft targets."""
    z = torch.cat([data.draw(tensors((n,), -50, 50)), EXTREMES])[:, None]
    y = torch.cat([data.draw(tensors((n,), 0, 1)), torch.rand(len(EXTREMES))])[:, None]
    expect_close(submission.bce_with_logits(z, y), F.binary_cross_entropy_with_logits(z.double(), y.double()).float(),
                 rtol=1e-5, atol=1e-6)  # fmt: skip


def hinge(scores, target):
    """The lecture's hinge loss, in float64 (the test's oracle)."""
    scores = scores.double()
    correct = scores[torch.arange(len(target)), target]
    others = scores.clone()
    others[torch.arange(len(target)), target] = float("-inf")
    return torch.clamp(others.max(1).values - correct + 1, min=0).mean()


@task("hinge_loss", points=2)
@given(batch=batches(min_classes=3, low=-3, high=3))
def test_hinge_loss_matches_the_formula(submission, batch):
    """hinge_loss is the batch mean of max(0, 1 + max other score - correct score), for any scores."""
    scores, target = batch
    classes = scores.shape[1]
    satisfied = torch.zeros(1, classes)
    satisfied[0, 0] = 5.0  # the correct class wins by more than 1: no loss
    violated = torch.linspace(0.5, 0.9, classes)[None]  # several classes beat the correct one
    scores = torch.cat([scores, satisfied, violated])
    target = torch.cat([target, torch.tensor([0, 0])])
    expect_close(submission.hinge_loss(scores, target), hinge(scores, target).float(), rtol=1e-5, atol=1e-6)


@task("BinaryClassifier", points=3, timeout=60)
def test_binary_classifier_on_other_sizes_and_circles(submission):
    """BinaryClassifier of other sizes is Linear → ReLU → Linear; trained with your bce_with_logits on
    other circles it reaches 0.95 held out."""
    for sizes in [(1, 3, 1), (4, 7, 2), (3, 1, 1)]:
        X = torch.randn(6, sizes[0]) * 2
        info = submission.probe("inspect_model", "BinaryClassifier", sizes, X)
        expect_classifier(info, "BinaryClassifier", sizes, X)
    X, y = make_circles(300, factor=0.5, noise=0.1, random_state=2020)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None]
    run = submission.probe("train_classifier", "BinaryClassifier", (2, 16, 1), X[:200], y[:200], 20, 0.1, 40,
                           "bce_with_logits", seed=1, X_test=X[200:])  # fmt: skip
    expect_trained(run, X[:200], y[:200], 40, 1, F.binary_cross_entropy_with_logits)
    if ((run["predictions"] > 0).float() == y[200:]).float().mean().item() < 0.95:
        fail("BinaryClassifier does not reach a held-out accuracy of 0.95")


@task("MulticlassClassifier", points=3, timeout=60)
def test_multiclass_classifier_on_other_sizes_and_blobs(submission):
    """MulticlassClassifier of other sizes is Linear → ReLU → Linear; trained with your cross_entropy on
    other blobs it reaches 0.95 held out."""
    for sizes in [(1, 3, 2), (4, 7, 6), (3, 2, 3)]:
        X = torch.randn(6, sizes[0]) * 2
        info = submission.probe("inspect_model", "MulticlassClassifier", sizes, X)
        expect_classifier(info, "MulticlassClassifier", sizes, X)
    X, y = make_blobs(200, centers=4, center_box=(-1.2, 1.2), cluster_std=0.15, random_state=7)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    run = submission.probe("train_classifier", "MulticlassClassifier", (2, 8, 4), X[:150], y[:150], 10, 0.1, 25,
                           "cross_entropy", seed=2, X_test=X[150:])  # fmt: skip
    expect_trained(run, X[:150], y[:150], 25, 2, F.cross_entropy)
    if (run["predictions"].argmax(1) == y[150:]).float().mean().item() < 0.95:
        fail("MulticlassClassifier does not reach a held-out accuracy of 0.95")


@task("predict_binary", points=1)
@given(n=st.integers(1, 8), data=st.data())
def test_predict_binary_matches_the_threshold(submission, n, data):
    """predict_binary is (logits > 0) as int64 in the logits' shape, for logits away from 0."""
    magnitudes = data.draw(tensors((n,), 2**-10, 20))
    signs = torch.tensor(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    logits = torch.cat([magnitudes * signs, torch.tensor([0.3, -0.3, 0.7])])[:, None]  # 0.7 > 0.5 too
    expect_equal(submission.predict_binary(logits), (logits > 0).long())


@task("predict_multiclass", points=1)
@given(n=st.integers(2, 8), classes=st.integers(2, 6), data=st.data())
def test_predict_multiclass_matches_argmax(submission, n, classes, data):
    """predict_multiclass is the int64 argmax over dim 1 of any (N, C) logits (no ties)."""
    ranks = [data.draw(st.permutations(range(classes))) for _ in range(n)]
    logits = torch.tensor(ranks, dtype=torch.float32) * 0.5 + data.draw(tensors((n, classes), -0.125, 0.125))
    expect_equal(submission.predict_multiclass(logits), logits.argmax(1))
