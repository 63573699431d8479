"""Public tests of assignment 03. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task. The classifiers
are driven through ``probes.py``, which builds your model, runs it or trains it with your
own loss, and returns what the tests look at.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from autograder.testing import context, expect_close, expect_equal, task
from autograder.testing.checks import failure

# Large logits and probabilities at the edges: every function must stay finite and right there.
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
        fail(f"{what} could not be built and run: {info['error']}")
    if not info["is_module"]:
        fail(f"{what} is not an nn.Module: the class must inherit from nn.Module")
    calls = info["linear_calls"]
    shapes = [tuple(weight.shape) for weight, _, _ in calls]
    if shapes != [(hidden, size_in), (size_out, hidden)] or any(bias is None for _, bias, _ in calls):
        fail(f"{what}'s forward should call nn.Linear({size_in}, {hidden}) then nn.Linear({hidden}, {size_out})")
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


@task("sigmoid", points=2)
def test_sigmoid_is_one_over_one_plus_exp(submission):
    """sigmoid is 1 / (1 + exp(-x)), finite and right for abs(x) up to 1e4."""
    expect_close(submission.sigmoid(EXTREMES), torch.sigmoid(EXTREMES.double()).float(), rtol=1e-5, atol=1e-7)


@task("softmax", points=2)
def test_softmax_of_the_lecture_examples(submission):
    """softmax of [1, 2, 3] and of [1000, 2000, 3000] (rows of a batch) is finite and right."""
    x = torch.tensor([[1.0, 2.0, 3.0], [1000.0, 2000.0, 3000.0]])
    expect_close(submission.softmax(x), torch.tensor([[0.09003057, 0.24472847, 0.66524096], [0.0, 0.0, 1.0]]))


@task("softmax", points=1)
def test_softmax_along_a_given_dim(submission):
    """softmax(x, dim=1) of a 3-D tensor normalises along dim 1, for slices of very different scales."""
    x = torch.arange(8.0).reshape(2, 2, 2) * torch.tensor([1.0, -3000.0])[:, None, None]
    x[0, 1, 0] = 1e4
    atol = 1e-6 * x.abs().max().item()
    expect_close(submission.softmax(x, dim=1), torch.softmax(x.double(), 1).float(), atol=atol)


@task("cross_entropy", points=2)
def test_cross_entropy_matches_torch_with_large_logits(submission):
    """cross_entropy equals F.cross_entropy for logits around 100 and of magnitude 1e4."""
    logits = torch.tensor([[100.0, 99.0, 97.0], [90.0, 91.5, -90.0], [0.2, 0.7, 0.1], [2.0, 1.0, 0.5]])
    target = torch.tensor([0, 1, 2, 0])
    expect_close(submission.cross_entropy(logits, target), F.cross_entropy(logits.double(), target).float())
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [0.2, 0.7, 0.1], [2.0, 1.0, 0.5]])
    target = torch.tensor([1, 1, 2, 0])
    expected = F.cross_entropy(logits.double(), target).float()
    expect_close(submission.cross_entropy(logits, target), expected, atol=1e-2)


@task("bce_loss", points=2)
def test_bce_loss_matches_torch_at_zero_and_one(submission):
    """bce_loss equals nn.BCELoss for probabilities exactly 0 and 1 and soft targets."""
    p = torch.tensor([[0.0], [1.0], [0.0], [1.0], [0.3], [0.9]])
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0], [0.6], [0.25]])
    expect_close(submission.bce_loss(p, y), torch.nn.BCELoss()(p.double(), y.double()).float(), rtol=1e-5)


@task("bce_with_logits", points=2)
def test_bce_with_logits_matches_torch_with_large_logits(submission):
    """bce_with_logits equals nn.BCEWithLogitsLoss, also for abs(z) up to 1e4."""
    z = EXTREMES[:, None]
    y = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.2, 1.0, 0.0, 1.0, 0.0])[:, None]
    expect_close(submission.bce_with_logits(z, y), F.binary_cross_entropy_with_logits(z.double(), y.double()).float())


@task("hinge_loss", points=2)
def test_hinge_loss_of_the_lecture(submission):
    """The lecture's hinge example 0.7 - 0.15 + 1, a row with zero loss, and their mean."""
    scores = torch.tensor([[0.15, 0.7, 0.1], [1.0, 2.0, 3.5], [0.0, 0.4, 0.9]])
    target = torch.tensor([0, 2, 1])
    expect_close(submission.hinge_loss(scores, target), torch.tensor((1.55 + 0.0 + 1.5) / 3))


@task("BinaryClassifier", points=4, timeout=60)
def test_binary_classifier_separates_two_circles(submission):
    """BinaryClassifier is Linear → ReLU → Linear returning logits; trained with Adam and your
    bce_with_logits it reaches 0.95 on held-out circles."""
    X = torch.randn(20, 2) * 2
    info = submission.probe("inspect_model", "BinaryClassifier", (2, 5, 1), X)
    expect_classifier(info, "BinaryClassifier(2, 5, 1)", (2, 5, 1), X)
    X, y = make_circles(300, factor=0.5, noise=0.1, random_state=0)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None]
    run = submission.probe("train_classifier", "BinaryClassifier", (2, 16, 1), X[:200], y[:200], 20, 0.1, 40,
                           "bce_with_logits", X_test=X[200:])  # fmt: skip
    expect_trained(run, X[:200], y[:200], 40, 0, F.binary_cross_entropy_with_logits)
    accuracy = ((run["predictions"] > 0).float() == y[200:]).float().mean().item()
    if accuracy < 0.95:
        fail(f"BinaryClassifier reaches a held-out accuracy of {accuracy:.2f}; expected at least 0.95")


@task("MulticlassClassifier", points=4, timeout=60)
def test_multiclass_classifier_separates_four_blobs(submission):
    """MulticlassClassifier is Linear → ReLU → Linear returning logits; trained with Adam and your
    cross_entropy it reaches 0.95 on held-out blobs."""
    X = torch.randn(20, 2) * 2
    info = submission.probe("inspect_model", "MulticlassClassifier", (2, 5, 4), X)
    expect_classifier(info, "MulticlassClassifier(2, 5, 4)", (2, 5, 4), X)
    X, y = make_blobs(200, centers=4, center_box=(-1.2, 1.2), cluster_std=0.15, random_state=3)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    run = submission.probe("train_classifier", "MulticlassClassifier", (2, 8, 4), X[:150], y[:150], 10, 0.1, 25,
                           "cross_entropy", X_test=X[150:])  # fmt: skip
    expect_trained(run, X[:150], y[:150], 25, 0, F.cross_entropy)
    accuracy = (run["predictions"].argmax(1) == y[150:]).float().mean().item()
    if accuracy < 0.95:
        fail(f"MulticlassClassifier reaches a held-out accuracy of {accuracy:.2f}; expected at least 0.95")


@task("predict_binary", points=1)
def test_predict_binary_thresholds_the_probability(submission):
    """predict_binary gives int64 1 where sigmoid(logits) > 0.5, in the shape of the logits."""
    logits = torch.tensor([[-3.0], [0.2], [0.45], [-0.1], [7.0]])
    expect_equal(submission.predict_binary(logits), torch.tensor([[0], [1], [1], [0], [1]]))


@task("predict_multiclass", points=1)
def test_predict_multiclass_takes_the_argmax(submission):
    """predict_multiclass gives the int64 argmax of every row."""
    logits = torch.tensor(
        [[-1.0275, 4.6009, -0.8710, -4.8428], [-9.9652, -0.1649, 4.1314, -3.0913], [3.0, 1.0, 0.0, 2.0]]
    )
    expect_equal(submission.predict_multiclass(logits), torch.tensor([1, 2, 0]))
