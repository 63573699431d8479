"""Assignment 01: gradient descent by hand on a linear model.

We want to discover the line that fits the lecture's observations: a model
``y_hat = w * x + b`` with a weight ``w`` and a bias ``b``. Learning means estimating
``w`` and ``b`` so that the loss, the mean squared error between the predictions
``y_hat`` and the observed outputs ``y``, is as small as possible.

You compute the gradient of the loss with respect to ``(w, b)`` yourself, with the
chain rule, and walk downhill with gradient descent. No autograd here: that comes in
the next assignment.
"""

import torch

X_OBSERVED = [round(0.1 * i, 1) for i in range(1, 26)]
Y_OBSERVED = [0.27, 0.3, 0.38, 0.36, 0.39, 0.42, 0.45, 0.40, 0.45, 0.54, 0.57, 0.6, 0.60,
              0.66, 0.69, 0.72, 0.75, 0.78, 0.81, 0.84, 0.87, 0.90, 0.93, 0.96, 0.99]  # fmt: skip


def model(x, w, b):
    """The linear model ``y_hat = w * x + b``.

    Args:
        x: tensor of inputs, any shape.
        w: the weight, a 0-d tensor or a float.
        b: the bias, a 0-d tensor or a float.

    Returns:
        A tensor of the same shape as ``x``.
    """
    raise NotImplementedError


def loss_fn(y_hat, y):
    """Mean squared error: ``L = mean((y_hat - y) ** 2)``.

    Args:
        y_hat: predictions of the model.
        y: observed outputs, the same shape as ``y_hat``.

    Returns:
        A 0-d tensor.
    """
    raise NotImplementedError


def dloss_fn(y_hat, y):
    """Derivative of each squared difference with respect to ``y_hat``.

    ``d(y_hat - y)**2 / dy_hat = 2 * (y_hat - y)``, element by element.

    Returns:
        A tensor of the same shape as ``y_hat``.
    """
    raise NotImplementedError


def dmodel_dw(x, w, b):
    """Partial derivative of the model with respect to ``w``: ``d(w * x + b)/dw = x``."""
    raise NotImplementedError


def dmodel_db(x, w, b):
    """Partial derivative of the model with respect to ``b``: ``d(w * x + b)/db = 1``.

    Returns ``1.0`` (or a tensor of ones that broadcasts against ``x``).
    """
    raise NotImplementedError


def grad_fn(x, y, y_hat, w, b):
    """Gradient of ``loss_fn(model(x, w, b), y)`` with respect to ``(w, b)``.

    By the chain rule, for every sample ``dL/dw = dL/dy_hat * dy_hat/dw`` and
    ``dL/db = dL/dy_hat * dy_hat/db``; the loss is a mean, so average these over the
    samples. Build it from ``dloss_fn``, ``dmodel_dw`` and ``dmodel_db``, using the given
    ``y_hat`` (which is ``model(x, w, b)``).

    Rule: no autograd: compute the gradient by the chain rule. Not allowed: ``backward``,
    ``torch.autograd``, ``requires_grad``, ``requires_grad_`` or ``grad``.

    Returns:
        A tensor of shape ``(2,)``: ``[dL/dw, dL/db]``.
    """
    raise NotImplementedError


def training_loop(n_epochs, learning_rate, params, x, y):
    """Gradient descent on ``(w, b)`` starting from ``params = tensor([w, b])``.

    In every epoch: predict with the current params, record ``loss_fn`` of that
    prediction as a Python float, get the gradient from ``grad_fn`` and take a step
    ``params = params - learning_rate * grad``.

    Rule: no autograd and no torch.optim: update the parameters yourself. Not allowed:
    ``backward``, ``torch.autograd``, ``requires_grad``, ``requires_grad_``, ``grad`` or
    ``torch.optim``.

    Returns:
        ``(params, losses)``: the final params (shape ``(2,)``) and a list of
        ``n_epochs`` floats, ``losses[i]`` being the loss before update ``i``.
    """
    raise NotImplementedError
