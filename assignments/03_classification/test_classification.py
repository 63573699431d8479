"""Public tests of assignment 03. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task. The classifiers
are driven through ``probes.py``, which builds your model, runs it or trains it with your
own loss, and returns what the tests look at.
"""

import torch
import torch.nn.functional as F

from autograder.testing import expect_close, expect_equal, task
from autograder.testing.support import assignment_support

support = assignment_support()
EXTREMES = support.EXTREMES


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


@task("BinaryClassifier", points=4, timeout=30)
def test_binary_classifier_separates_two_circles(submission):
    """BinaryClassifier is Linear → ReLU → Linear returning logits; trained with Adam and your
    bce_with_logits it reaches 0.95 on held-out circles."""
    X = torch.randn(20, 2) * 2
    support.expect_classifier(submission, "BinaryClassifier", (2, 5, 1), X)
    support.expect_training(submission, "BinaryClassifier", (2, 16, 1), support.circles(0), 20, 0.1, 40,
                            "bce_with_logits", F.binary_cross_entropy_with_logits, 0, 0.95)  # fmt: skip


@task("MulticlassClassifier", points=4, timeout=30)
def test_multiclass_classifier_separates_four_blobs(submission):
    """MulticlassClassifier is Linear → ReLU → Linear returning logits; trained with Adam and your
    cross_entropy it reaches 0.95 on held-out blobs."""
    X = torch.randn(20, 2) * 2
    support.expect_classifier(submission, "MulticlassClassifier", (2, 5, 4), X)
    support.expect_training(submission, "MulticlassClassifier", (2, 8, 4), support.blobs(3), 10, 0.1, 25,
                            "cross_entropy", F.cross_entropy, 0, 0.95)  # fmt: skip


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
