"""Assignment 03: probabilities, classification losses and classifiers.

For classification a network outputs one score per class (for two classes, a single
score), the *logits*: numbers between -inf and +inf. To read them as probabilities we pass
them through the sigmoid (binary) or the softmax (multiclass); to train we need a loss that
is differentiable, unlike the true classification loss ``1[prediction != label]``: the
binary cross-entropy (log loss), the cross-entropy or the hinge loss.

The exponentials inside these functions overflow for large inputs: ``exp(1000)`` is
``inf`` in float32 and ``inf / inf`` is ``nan``. Each function here must stay finite and
correct for logits as large as 1e4, which takes the tricks of the lecture (shift the
logits by their maximum, the log-sum-exp trick, clamped logs).

Rules: you write the library's functions yourself, so ``sigmoid``, ``softmax``,
``cross_entropy``, ``bce_loss``, ``bce_with_logits`` and ``hinge_loss`` must not use their
library counterparts (each docstring says which). Helpers of your own are fine, including
your own ``softmax``.
"""

import torch
from torch import nn


def sigmoid(x):
    """The sigmoid ``S(x) = 1 / (1 + exp(-x))``, elementwise.

    Squashes any real number into (0, 1). Must be finite and correct for ``abs(x)`` up to
    1e4 (``exp(x) / (1 + exp(x))`` is ``inf / inf = nan`` there).

    Rule: must not use a library sigmoid: write 1 / (1 + exp(-x)) yourself. Not allowed: any
    library sigmoid or log-sigmoid, or a function or layer that computes one (``sigmoid``,
    ``Sigmoid``, ``logsigmoid``, ``expit``, ``softplus``, ``silu``, ``glu``, and the gates
    of ``LSTM``, ``GRU`` and their cells); any library loss or likelihood (every loss
    function and loss class of ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``,
    ``F.kl_div`` and ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``,
    SciPy (``scipy``) or scikit-learn (``sklearn``)).

    Returns:
        A tensor of the shape of ``x``.
    """
    # BEGIN SOLUTION
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))
    # END SOLUTION


def softmax(x, dim=-1):
    """The softmax along ``dim``: ``softmax(x)[i] = exp(x[i]) / sum_j exp(x[j])``.

    Turns arbitrary scores into a probability distribution along ``dim`` (the values are in
    [0, 1] and sum to 1), for a tensor of any shape. Numerically stable: since multiplying
    numerator and denominator by a constant ``C`` changes nothing, subtract the maximum along
    ``dim`` first, so the largest exponent is ``exp(0) = 1``.
    ``softmax(tensor([1000., 2000., 3000.]))`` is ``tensor([0., 0., 1.])``.

    Rule: must not use a library softmax or log-softmax. Not allowed: any library softmax,
    log-softmax or softmin, or a function or layer that computes one (``softmax``,
    ``Softmax``, ``log_softmax``, ``softmin``, ``gumbel_softmax``, attention such as
    ``scaled_dot_product_attention`` and ``MultiheadAttention``, and ``Transformer``
    layers); any library loss or likelihood (every loss function and loss class of
    ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``, ``F.kl_div`` and
    ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``, SciPy (``scipy``) or
    scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    shifted = x - x.amax(dim=dim, keepdim=True)
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=dim, keepdim=True)
    # END SOLUTION


def cross_entropy(logits, target):
    """The cross-entropy loss of logits, like ``F.cross_entropy``.

    ``logits`` has shape ``(N, C)``, ``target`` shape ``(N,)`` (int64 class indices). For each
    sample the loss is ``-log p_correct`` where ``p = softmax(logits[n])``; the result is the
    mean over the batch, a 0-d tensor. Stable for logits of magnitude 1e4: use
    ``log softmax(z)[k] = z[k] - logsumexp(z)`` with ``logsumexp(z) = m + log sum_j exp(z[j] - m)``,
    ``m = max_j z[j]``, instead of taking the log of a probability that rounded to 0.

    Rule: must not use a library softmax, log-softmax, cross-entropy or NLL loss. Not
    allowed: any library softmax, log-softmax or softmin, or a function or layer that
    computes one (``softmax``, ``Softmax``, ``log_softmax``, ``softmin``,
    ``gumbel_softmax``, attention such as ``scaled_dot_product_attention`` and
    ``MultiheadAttention``, and ``Transformer`` layers); any library loss or likelihood
    (every loss function and loss class of ``torch.nn``, such as ``F.mse_loss``,
    ``F.huber_loss``, ``F.kl_div`` and ``nn.CrossEntropyLoss``, and anything from
    ``torch.distributions``, SciPy (``scipy``) or scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    top = logits.amax(dim=1, keepdim=True)
    log_sum_exp = top.squeeze(1) + torch.log(torch.exp(logits - top).sum(dim=1))
    correct = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return (log_sum_exp - correct).mean()
    # END SOLUTION


def bce_loss(p, y):
    """Binary cross-entropy (log loss) of probabilities, exactly like ``nn.BCELoss()``.

    ``L = mean(-(y log p + (1 - y) log(1 - p)))`` over every element, with each log clamped
    to ``>= -100`` so that ``p`` equal to 0 or 1 gives a finite loss (and ``0 * log 0``
    never turns into ``nan``). ``p`` and ``y`` have the same shape; ``y`` may be soft (any
    value in [0, 1]).

    Rule: must not use the library's binary cross-entropy or any other library loss. Not
    allowed: any library loss or likelihood (every loss function and loss class of
    ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``, ``F.kl_div`` and
    ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``, SciPy (``scipy``) or
    scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    log_p = torch.clamp(torch.log(p), min=-100)
    log_not_p = torch.clamp(torch.log(1 - p), min=-100)
    return -(y * log_p + (1 - y) * log_not_p).mean()
    # END SOLUTION


def bce_with_logits(z, y):
    """Binary cross-entropy of logits, like ``nn.BCEWithLogitsLoss()`` (mean over every element).

    Combines the sigmoid and the binary cross-entropy: ``-(y log S(z) + (1 - y) log(1 - S(z)))``
    simplifies to ``log(1 + exp(z)) - y z``, and the log-sum-exp trick makes that stable:
    ``max(z, 0) - y z + log(1 + exp(-abs(z)))``. Finite and correct for ``abs(z)`` up to 1e4.

    Rule: must not use the library's binary cross-entropy or any other library loss. Not
    allowed: any library loss or likelihood (every loss function and loss class of
    ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``, ``F.kl_div`` and
    ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``, SciPy (``scipy``) or
    scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    return (torch.clamp(z, min=0) - y * z + torch.log1p(torch.exp(-z.abs()))).mean()
    # END SOLUTION


def hinge_loss(scores, target):
    """The multiclass hinge loss of the lecture, averaged over the batch.

    ``hinge = max(max_{i != correct} s_i - s_correct + 1, 0)``: the score of the true class
    must be 1 more than every other score for a zero loss. ``scores`` has shape ``(N, C)``
    (``C >= 2``), ``target`` shape ``(N,)`` (int64). Only the largest *other* score counts
    (``nn.MultiMarginLoss`` is different: it sums over the classes).

    Rule: must not use the library's margin losses or any other library loss. Not allowed:
    any library loss or likelihood (every loss function and loss class of ``torch.nn``, such
    as ``F.mse_loss``, ``F.huber_loss``, ``F.kl_div`` and ``nn.CrossEntropyLoss``, and
    anything from ``torch.distributions``, SciPy (``scipy``) or scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    correct = scores.gather(1, target.unsqueeze(1))
    is_correct = torch.zeros_like(scores, dtype=torch.bool).scatter(1, target.unsqueeze(1), True)
    best_other = scores.masked_fill(is_correct, float("-inf")).amax(dim=1)
    return torch.clamp(best_other - correct.squeeze(1) + 1, min=0).mean()
    # END SOLUTION


class BinaryClassifier(nn.Module):
    """Linear → ReLU → Linear, returning logits (no sigmoid at the end).

    The sigmoid is left to the loss (``bce_with_logits``), which is numerically more stable,
    and to ``predict_binary``.
    """

    def __init__(self, input_size, hidden_size, output_size):
        # BEGIN SOLUTION
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, output_size),
        )
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        return self.main(x)
        # END SOLUTION


class MulticlassClassifier(nn.Module):
    """Linear → ReLU → Linear, returning one logit per class (no softmax at the end).

    The softmax is left to the loss (``cross_entropy``); the predicted class is the argmax.
    """

    def __init__(self, input_size, hidden_size, output_size):
        # BEGIN SOLUTION
        super().__init__()
        self.hidden = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.output = nn.Linear(hidden_size, output_size)
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        return self.output(self.relu(self.hidden(x)))
        # END SOLUTION


def predict_binary(logits):
    """Class 1 where ``sigmoid(logits) > 0.5``, that is where ``logits > 0``, else class 0.

    Returns:
        An int64 tensor of 0s and 1s of the shape of ``logits``.
    """
    # BEGIN SOLUTION
    return (logits > 0).long()
    # END SOLUTION


def predict_multiclass(logits):
    """The class with the largest logit (and so the largest probability) of every row.

    Returns:
        An int64 tensor of shape ``(N,)``: the argmax over dim 1 of ``logits`` ``(N, C)``.
    """
    # BEGIN SOLUTION
    return logits.argmax(dim=1)
    # END SOLUTION
