"""Hidden tests of assignment 03: the submission against torch's own functions."""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from autograder.testing import expect_close, expect_equal, task
from autograder.testing.strategies import shapes, tensors
from autograder.testing.support import assignment_support

support = assignment_support()
EXTREMES = support.EXTREMES


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


@task("BinaryClassifier", points=3, timeout=30)
def test_binary_classifier_on_other_sizes_and_circles(submission):
    """BinaryClassifier of other sizes is Linear → ReLU → Linear; trained with your bce_with_logits on
    other circles it reaches 0.95 held out."""
    for sizes in [(1, 3, 1), (4, 7, 2), (3, 1, 1)]:
        X = torch.randn(6, sizes[0]) * 2
        support.expect_classifier(submission, "BinaryClassifier", sizes, X)
    support.expect_training(submission, "BinaryClassifier", (2, 16, 1), support.circles(2020), 20, 0.1, 40,
                            "bce_with_logits", F.binary_cross_entropy_with_logits, 1, 0.95)  # fmt: skip


@task("MulticlassClassifier", points=3, timeout=30)
def test_multiclass_classifier_on_other_sizes_and_blobs(submission):
    """MulticlassClassifier of other sizes is Linear → ReLU → Linear; trained with your cross_entropy on
    other blobs it reaches 0.95 held out."""
    for sizes in [(1, 3, 2), (4, 7, 6), (3, 2, 3)]:
        X = torch.randn(6, sizes[0]) * 2
        support.expect_classifier(submission, "MulticlassClassifier", sizes, X)
    support.expect_training(submission, "MulticlassClassifier", (2, 8, 4), support.blobs(7), 10, 0.1, 25,
                            "cross_entropy", F.cross_entropy, 2, 0.95)  # fmt: skip


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
