"""Assignment 04: deep learning — feed-forward networks, backpropagation and loss functions.

Deep learning is the process of training multi-layered neural networks. A feedforward
network is made up of multiple layers, each passing information only to the layer
immediately following it. Each neuron computes ``y = x A^T + b`` (an ``nn.Linear``), and
neurons are combined with non-linear activation functions such as
``ReLU(x) = x if x > 0 else 0``.

Training a network is a forward pass (the prediction), a loss function (how far the
predictions are from the desired values), a backward pass (the gradient at each point
along the network: backpropagation) and an optimization step. Here you build each piece:
a network, backpropagation by hand on the lecture's tiny network, a gradient-descent step,
the loss functions of the lecture with their reductions, negative log likelihoods of
distributions, and the lecture's end-to-end training run.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class FFN(nn.Module):
    """A feedforward network with two hidden layers of ``hidden_size`` neurons.

    ``layer1 = nn.Linear(in_features, hidden_size)``,
    ``layer2 = nn.Linear(hidden_size, hidden_size)``,
    ``layer3 = nn.Linear(hidden_size, out_features)``, in attributes of exactly these names.

    ``forward(x)`` passes the running activation from layer to layer:
    ``layer1 -> ReLU -> layer2 -> ReLU -> layer3`` (no activation after ``layer3``).
    """

    def __init__(self, in_features, out_features, hidden_size):
        # BEGIN SOLUTION
        super().__init__()
        self.layer1 = nn.Linear(in_features, hidden_size)
        self.layer2 = nn.Linear(hidden_size, hidden_size)
        self.layer3 = nn.Linear(hidden_size, out_features)
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        y = self.layer1(x)
        y = nn.ReLU()(y)
        y = self.layer2(y)
        y = F.relu(y)
        y = self.layer3(y)
        return y
        # END SOLUTION


def tiny_network_grads(x, w1, b1, w3, b3, target):
    """Backpropagation by hand through the lecture's very basic network.

    Forward::

        y1 = w1 * x + b1
        y2 = ReLU(y1)
        y3 = w3 * y2 + b3
        loss = (y3 - target) ** 2

    Backward, by the chain rule from the loss to each input:
    ``dl/dy3 = 2 * (y3 - target)``, ``dy3/dw3 = y2``, ``dy3/db3 = 1``, ``dy3/dy2 = w3``,
    ``dy2/dy1 = 1 if y1 > 0 else 0`` (ReLU; take 0 at ``y1 == 0``), ``dy1/dw1 = x``,
    ``dy1/db1 = 1``, ``dy1/dx = w1``.

    Rule: no autograd: backpropagate by hand with the chain rule. Not allowed: ``backward``,
    ``torch.autograd``, ``requires_grad``, ``requires_grad_`` or ``grad``.

    Args:
        x, w1, b1, w3, b3, target: Python floats.

    Returns:
        ``(loss, grads)``: the loss as a Python float and a dict of Python floats with keys
        ``"w1", "b1", "w3", "b3", "x"``, the derivative of the loss with respect to each.
        For ``x=5, w1=3, b1=2, w3=-0.5, b3=4, target=2``: loss 42.25, grads w1 32.5, b1 6.5,
        w3 -221, b3 -13, x 19.5.
    """
    # BEGIN SOLUTION
    y1 = w1 * x + b1
    y2 = max(y1, 0.0)
    y3 = w3 * y2 + b3
    loss = (y3 - target) ** 2

    dl_dy3 = 2 * (y3 - target)
    dl_dy2 = dl_dy3 * w3
    dl_dy1 = dl_dy2 * (1.0 if y1 > 0 else 0.0)
    grads = {
        "w1": dl_dy1 * x,
        "b1": dl_dy1,
        "w3": dl_dy3 * y2,
        "b3": dl_dy3,
        "x": dl_dy1 * w1,
    }
    return float(loss), {name: float(value) for name, value in grads.items()}
    # END SOLUTION


def sgd_step(params, grads, lr):
    """One step of gradient descent: move each weight by the negative of its gradient.

    ``w' = w - lr * dl/dw`` for every key of ``params`` (``grads`` may hold more keys, such
    as ``"x"``, which are ignored).

    Args:
        params: dict of parameter name -> value (Python floats or tensors).
        grads: dict of name -> gradient, with at least the keys of ``params``.
        lr: the learning rate.

    Returns:
        A new dict with the keys of ``params``. ``params`` and ``grads`` are left unchanged.
    """
    # BEGIN SOLUTION
    return {name: value - lr * grads[name] for name, value in params.items()}
    # END SOLUTION


def mse_loss(input, target, reduction="mean"):
    """Mean squared error loss with a reduction, like ``nn.MSELoss(reduction=...)``.

    Elementwise ``l_n = (x_n - y_n) ** 2``; then ``"none"`` returns these losses (the shape
    of ``input``), ``"mean"`` their mean and ``"sum"`` their sum (0-d tensors). Any other
    reduction raises ``ValueError`` naming the valid ones.

    Rule: must not use the library's MSE loss or any other library loss: write the formula.
    Not allowed: any library loss or likelihood (every loss function and loss class of
    ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``, ``F.kl_div`` and
    ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``, SciPy (``scipy``) or
    scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    losses = (input - target) ** 2
    if reduction == "none":
        return losses
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    raise ValueError(f"reduction must be one of 'none', 'mean' or 'sum', not {reduction!r}")
    # END SOLUTION


def l1_loss(input, target, reduction="mean"):
    """L1 loss with a reduction, like ``nn.L1Loss(reduction=...)``.

    Elementwise ``l_n = |x_n - y_n|``, then reduced as in ``mse_loss``; any other reduction
    raises ``ValueError`` naming the valid ones.

    Rule: must not use the library's L1 loss or any other library loss: write the formula.
    Not allowed: any library loss or likelihood (every loss function and loss class of
    ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``, ``F.kl_div`` and
    ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``, SciPy (``scipy``) or
    scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    losses = (input - target).abs()
    if reduction == "none":
        return losses
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    raise ValueError(f"reduction must be one of 'none', 'mean' or 'sum', not {reduction!r}")
    # END SOLUTION


def multi_margin_loss(input, target, p=1, margin=1.0, reduction="mean"):
    """Multi-class margin loss, like ``nn.MultiMarginLoss(p=p, margin=margin, reduction=...)``.

    For a sample ``x`` (a row of ``input``, of ``C`` scores) of class ``y``::

        l = sum over i != y of max(0, margin - x[y] + x[i]) ** p  /  C

    (the sum leaves out the correct class, and divides by the number of classes ``C``).
    ``"none"`` returns the ``N`` per-sample losses, ``"mean"`` and ``"sum"`` reduce them.
    ``p`` must be 1 or 2; another ``p`` or reduction raises ``ValueError``.

    Args:
        input: scores of shape ``(N, C)``.
        target: classes of shape ``(N,)``, int64.

    Rule: must not use the library's multi margin loss or any other library loss: write the
    formula. Not allowed: any library loss or likelihood (every loss function and loss class
    of ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``, ``F.kl_div`` and
    ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``, SciPy (``scipy``) or
    scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, not {p!r}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be one of 'none', 'mean' or 'sum', not {reduction!r}")
    correct = input.gather(1, target.unsqueeze(1))
    margins = (margin - correct + input).clamp(min=0) ** p
    others = torch.ones_like(input, dtype=torch.bool).scatter(1, target.unsqueeze(1), False)
    losses = (margins * others).sum(1) / input.shape[1]
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses
    # END SOLUTION


def poisson_nll(log_input, target):
    """Poisson negative log likelihood, elementwise, with the network predicting the log-rate.

    The network's output is the log of the rate ``λ`` of a Poisson distribution, and the
    target holds the observed counts. Dropping the term that does not depend on ``λ``::

        loss = exp(log_input) - target * log_input

    exactly like ``nn.PoissonNLLLoss(log_input=True, full=False, reduction="none")``.

    Rule: must not use the library's Poisson NLL loss or any other library loss or
    likelihood: write the formula. Not allowed: any library loss or likelihood (every loss
    function and loss class of ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``,
    ``F.kl_div`` and ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``,
    SciPy (``scipy``) or scikit-learn (``sklearn``)).

    Returns:
        A tensor of the shape of ``log_input``.
    """
    # BEGIN SOLUTION
    return torch.exp(log_input) - target * log_input
    # END SOLUTION


def gaussian_nll(mean, target, var):
    """Gaussian negative log likelihood, elementwise, with a predicted mean and variance.

    For numerical stability the variance is clamped to at least ``eps = 1e-6``; the
    constant ``log(2π) / 2`` is left out::

        var = max(var, 1e-6)
        loss = 0.5 * (log(var) + (mean - target) ** 2 / var)

    exactly like ``nn.GaussianNLLLoss(full=False, eps=1e-6, reduction="none")`` with ``var`` of
    the shape of ``mean``.

    Rule: must not use the library's Gaussian NLL loss or any other library loss or
    likelihood: write the formula. Not allowed: any library loss or likelihood (every loss
    function and loss class of ``torch.nn``, such as ``F.mse_loss``, ``F.huber_loss``,
    ``F.kl_div`` and ``nn.CrossEntropyLoss``, and anything from ``torch.distributions``,
    SciPy (``scipy``) or scikit-learn (``sklearn``)).
    """
    # BEGIN SOLUTION
    var = var.clamp(min=1e-6)
    return 0.5 * (torch.log(var) + (mean - target) ** 2 / var)
    # END SOLUTION


def exponential_nll(rate, y):
    """Negative log likelihood of observations ``y`` under ``Exponential(rate)``, summed.

    The network output gives the rate parameter ``λ`` of each observation (shape ``(N,)``).
    ``-log p(y) = -(log λ - λ y)``; the loss is the sum over the observations. The lecture
    does it with ``torch.distributions.exponential.Exponential(rate).log_prob(y)``.

    Returns:
        A 0-d tensor.
    """
    # BEGIN SOLUTION
    dist = torch.distributions.exponential.Exponential(rate)
    return -dist.log_prob(y).sum()
    # END SOLUTION


def weibull_nll(params, y):
    """Negative log likelihood of ``y`` under a Weibull distribution, summed.

    ``params`` of shape ``(N, 2)`` holds the scale (column 0) and concentration (column 1)
    of each observation. They cannot be negative, so each is clamped to at least ``1e-6``
    and kept in shape ``(N, 1)``, like ``y``. The loss is ``-sum(log p(y))`` under
    ``torch.distributions.weibull.Weibull(scale, concentration)``.

    Returns:
        A 0-d tensor.
    """
    # BEGIN SOLUTION
    scale = torch.clamp(params[:, 0].unsqueeze(1), min=1e-6)
    concentration = torch.clamp(params[:, 1].unsqueeze(1), min=1e-6)
    dist = torch.distributions.weibull.Weibull(scale, concentration)
    return -dist.log_prob(y).sum()
    # END SOLUTION


def train_ffn(X, y, hidden_size=4, epochs=400, lr=1e-2, seed=0):
    """The lecture's end-to-end example: fit an ``FFN`` to ``(X, y)`` by full-batch SGD.

    Seed torch with ``seed`` (``torch.manual_seed``), then build
    ``FFN(X.shape[1], 1, hidden_size)`` and a ``torch.optim.SGD`` optimizer with learning rate
    ``lr``. Every epoch: clear the gradients, predict ``net(X).squeeze(1)`` (shape ``(N,)``,
    like ``y``), compute the MSE loss, backward, record the loss as a Python float, step.

    Returns:
        ``(net, losses)``: the trained network and a list of ``epochs`` floats.
    """
    # BEGIN SOLUTION
    torch.manual_seed(seed)
    net = FFN(X.shape[1], 1, hidden_size)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        y_pred = net(X).squeeze(1)
        loss = nn.MSELoss()(y_pred, y)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    return net, losses
    # END SOLUTION
