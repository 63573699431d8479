"""Assignment 02: autograd, ``nn.Module`` models and a generic training loop.

In assignment 01 you computed the gradient of the loss yourself with the chain rule. PyTorch
does that for you: every tensor that takes part in a computation on a tensor with
``requires_grad=True`` remembers how it was computed, and ``loss.backward()`` walks that
history backwards (back-propagation) and leaves the gradient in ``.grad``. This lets us do
gradient descent without worrying about the structure of our model.

Then we stop writing models by hand: every neural network in PyTorch is a class that
inherits from ``torch.nn.Module``, builds its layers in ``__init__`` (after calling
``super().__init__()``) and passes the input through them in ``forward``. A loss function
(the *criterion*), an optimizer and a data loader complete the picture, and one generic
``trainer`` trains any of them.
"""

import torch
from torch import nn


def autograd_grad(x, y, w, b):
    """Gradient of the mean squared error of ``w * x + b`` against ``y``, by autograd.

    ``L(w, b) = mean((w * x + b - y) ** 2)``: make ``w`` and ``b`` tensors that require
    gradients, compute ``L``, call ``L.backward()`` and read ``.grad``.

    Args:
        x: tensor of inputs, any shape.
        y: observed outputs, the same shape as ``x``.
        w: the weight, a float or a 0-d tensor (left unchanged: no ``requires_grad``
            switched on for the caller's tensor).
        b: the bias, a float or a 0-d tensor (likewise left unchanged).

    Returns:
        A detached tensor of shape ``(2,)``: ``[dL/dw, dL/db]``.
    """
    # BEGIN SOLUTION
    w = torch.as_tensor(w, dtype=x.dtype).detach().clone().requires_grad_(True)
    b = torch.as_tensor(b, dtype=x.dtype).detach().clone().requires_grad_(True)
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()
    return torch.stack([w.grad, b.grad]).detach()
    # END SOLUTION


def fit_autograd(n_epochs, learning_rate, params, x, y):
    """Gradient descent on ``params = tensor([w, b])`` with gradients from autograd.

    Same contract as ``training_loop`` of assignment 01: in every epoch predict
    ``w * x + b`` with the current params, record the mean squared error as a Python float
    (``losses[i]`` is the loss before update ``i``), compute the gradient with ``backward()``
    on a copy of ``params`` that requires gradients, and update it under ``torch.no_grad()``
    with ``params -= learning_rate * params.grad``. Gradients accumulate in ``.grad``:
    clear them every epoch (``params.grad.zero_()``). Do not change the caller's ``params``.

    Returns:
        ``(params, losses)``: the final params (shape ``(2,)``, detached, no longer
        requiring gradients) and a list of ``n_epochs`` floats.
    """
    # BEGIN SOLUTION
    params = params.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(n_epochs):
        y_hat = params[0] * x + params[1]
        loss = ((y_hat - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            params -= learning_rate * params.grad
        params.grad.zero_()
    return params.detach(), losses
    # END SOLUTION


class LinearRegression(nn.Module):
    """Linear regression as a neural network: one ``nn.Linear`` layer, ``y = x W^T + b``.

    The layer is the attribute ``linear``; ``forward(x)`` returns ``self.linear(x)``. For
    ``x`` of shape ``(N, input_size)`` the output has shape ``(N, output_size)``.
    """

    def __init__(self, input_size, output_size):
        # BEGIN SOLUTION
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        return self.linear(x)
        # END SOLUTION


class NonlinearRegression(nn.Module):
    """A shallow network: Linear → Sigmoid → Linear.

    ``H = sigmoid(X W1^T + b1)`` (``hidden_size`` nodes), ``Y = H W2^T + b2``. Every layer is
    registered (an attribute or inside ``nn.Sequential``), so ``parameters()`` sees all of
    them: ``NonlinearRegression(1, 3, 1)`` has 10 parameters (6 weights and 4 biases).
    """

    def __init__(self, input_size, hidden_size, output_size):
        # BEGIN SOLUTION
        super().__init__()
        self.hidden = nn.Linear(input_size, hidden_size)
        self.sigmoid = nn.Sigmoid()
        self.output = nn.Linear(hidden_size, output_size)
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        x = self.hidden(x)
        x = self.sigmoid(x)
        return self.output(x)
        # END SOLUTION


class DeepRegression(nn.Module):
    """A deep network: Linear → Sigmoid → Linear → Sigmoid → Linear.

    ``H1 = sigmoid(X W1^T + b1)``, ``H2 = sigmoid(H1 W2^T + b2)``, ``Y = H2 W3^T + b3``: the
    output of a layer is the input of the next. ``DeepRegression(1, 5, 3, 1)`` has 32
    parameters.
    """

    def __init__(self, input_size, hidden_size_1, hidden_size_2, output_size):
        # BEGIN SOLUTION
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(input_size, hidden_size_1),
            nn.Sigmoid(),
            nn.Linear(hidden_size_1, hidden_size_2),
            nn.Sigmoid(),
            nn.Linear(hidden_size_2, output_size),
        )
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        return self.main(x)
        # END SOLUTION


def trainer(model, criterion, optimizer, dataloader, epochs=5):
    """Train ``model`` on the batches of ``dataloader`` for ``epochs`` epochs.

    For each epoch and each batch ``(X, y)``: clear the gradients
    (``optimizer.zero_grad()``), forward pass ``y_hat = model(X)``, ``loss = criterion(y_hat,
    y)``, ``loss.backward()``, ``optimizer.step()``. The targets already have the shape of the
    model's output: do not reshape or flatten either.

    Returns:
        A list of ``epochs`` Python floats: for each epoch the plain mean of its batch losses
        (sum of the batch losses / number of batches).
    """
    # BEGIN SOLUTION
    history = []
    for _ in range(epochs):
        total = 0.0
        for X, y in dataloader:
            optimizer.zero_grad()
            loss = criterion(model(X), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        history.append(total / len(dataloader))
    return history
    # END SOLUTION


def count_parameters(model):
    """The number of trainable scalar parameters of ``model``, an ``int``.

    Count the elements of every tensor ``model.parameters()`` yields that requires gradients
    (a tensor shared by two layers is yielded, and counted, once).
    """
    # BEGIN SOLUTION
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
    # END SOLUTION
