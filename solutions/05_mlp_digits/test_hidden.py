"""Hidden tests of assignment 05: the submission against scikit-learn, torch and the reference."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from autograder.testing import task
from autograder.testing.strategies import tensors
from autograder.testing.support import assignment_support

support = assignment_support()


@task("load_digits_tensors", points=2)
def test_load_digits_tensors_other_splits(submission):
    """Other test sizes and seeds give scikit-learn's stratified split, as float32 / int64 tensors in [0, 1]."""
    for test_size, seed in [(0.2, 3), (0.5, 11)]:
        support.expect_split(submission.load_digits_tensors(test_size=test_size, seed=seed), test_size, seed)


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
        support.expect_mlp(submission, input_size, layer_sizes, output_size, X)


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
    support.expect_accuracy(submission.probe("accuracy_of_linear_model", weight, bias, X, y), weight, bias, X, y)


@task("fit", points=3, timeout=30)
def test_fit_with_other_batches_seed_and_split(submission, trusted):
    """fit on another split, batch size and seed follows the reference's run and classifies held-out digits."""
    split = support.digits_split(0.25, 1)
    support.expect_fit(submission, trusted, split, [128, 64], 12, 1e-3, 50, 3, 0.93)
