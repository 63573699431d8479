"""Public tests of assignment 05. Run them with ``pytest`` in this folder.

Each test checks one task; the summary at the end has one line per task. Tests that build
your network, call ``accuracy`` on a model or train with ``fit`` go through ``probes.py``;
what they check is in ``support.py``.
"""

import torch

from autograder.testing import task
from autograder.testing.support import assignment_support

support = assignment_support()


@task("load_digits_tensors", points=2)
def test_load_digits_tensors_gives_the_stratified_split(submission):
    """The default split (25 % held out, seed 0) and another (30 %, seed 5) match scikit-learn's, pixels / 16."""
    support.expect_split(submission.load_digits_tensors(), 0.25, 0)
    support.expect_split(submission.load_digits_tensors(test_size=0.3, seed=5), 0.3, 5)


@task("MultiLayerNet", points=2)
def test_multilayernet_for_the_digits(submission):
    """MultiLayerNet(64, [128, 64], 10) is Linear -> ReLU -> Linear -> ReLU -> Linear and returns logits."""
    X = torch.rand(16, 64)
    support.expect_mlp(submission, 64, [128, 64], 10, X)


@task("MultiLayerNet", points=1)
def test_multilayernet_of_equal_sizes_and_of_none(submission):
    """MultiLayerNet(8, [8, 8], 3) passes the running activation on; MultiLayerNet(8, [], 3) is one Linear."""
    X = torch.randn(12, 8)
    support.expect_mlp(submission, 8, [8, 8], 3, X)
    support.expect_mlp(submission, 8, [], 3, X)


@task("accuracy", points=2)
def test_accuracy_of_a_linear_model(submission):
    """accuracy is the fraction of argmax predictions equal to the labels, in eval mode, without gradients."""
    weight, bias = torch.randn(4, 3), torch.randn(4)
    X = torch.randn(40, 3)
    y = (X @ weight.T + bias).argmax(1)
    y[::3] = (y[::3] + 1) % 4  # every third prediction is wrong: 26 of 40 right
    support.expect_accuracy(submission.probe("accuracy_of_linear_model", weight, bias, X, y), weight, bias, X, y)


@task("accuracy", points=1)
def test_accuracy_of_ten_samples_of_ten_classes(submission):
    """Ten samples, ten classes: the argmax runs over the classes (dimension 1), not over the samples."""
    weight, bias = torch.eye(10), torch.zeros(10)
    X = torch.eye(10).roll(1, dims=1) + 0.01 * torch.rand(10, 10)  # sample i scores highest for class i + 1
    y = (torch.arange(10) + 1) % 10
    y[[2, 5, 7]] = (y[[2, 5, 7]] + 1) % 10  # three wrong labels: 7 of 10 right
    support.expect_accuracy(submission.probe("accuracy_of_linear_model", weight, bias, X, y), weight, bias, X, y)


@task("fit", points=3, timeout=30)
def test_fit_trains_a_digit_classifier(submission, trusted):
    """A 64-128-64-10 network trained with fit follows minibatch Adam and classifies held-out digits (>= 0.93)."""
    support.expect_fit(submission, trusted, support.digits_split(), [128, 64], 12, 1e-3, 64, 0, 0.93)
