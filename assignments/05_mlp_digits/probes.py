"""Probes: short, trusted functions that the tests run on your module.

A test cannot receive a network, only data, so where a test needs to build your
``MultiLayerNet``, call your ``accuracy`` on a model or train a network with your ``fit``, it
calls one of these functions, which does that and returns data (weights, outputs, losses).
Everything is judged from that data in the tests. You can call them yourself to see what the
tests see, e.g. ``probes.build_mlp(mlp_digits, 64, [128, 64], 10, torch.rand(5, 64))``.
"""

import torch
import torch.nn as nn

from autograder.testing import probing


def build_mlp(module, input_size, layer_sizes, output_size, X, weights=None):
    """Builds ``MultiLayerNet(input_size, layer_sizes, output_size)``, loads ``weights`` into its
    linear layers and describes it on ``X`` (see ``probing.describe``)."""
    return probing.build(module, "MultiLayerNet", (input_size, layer_sizes, output_size), X, weights)


class ModeAwareModel(nn.Module):
    """A linear model that scores differently in training mode and with gradients enabled:
    ``accuracy`` sees the scores ``X @ weight.T + bias`` only in eval mode without gradients."""

    def __init__(self, weight, bias):
        super().__init__()
        self.linear = nn.Linear(weight.shape[1], weight.shape[0])
        probing.load(self.linear, [weight, bias])

    def forward(self, x):
        scores = self.linear(x)
        if self.training:
            scores = -scores
        if torch.is_grad_enabled():
            scores = scores.roll(1, dims=1)
        return scores


def accuracy_of_linear_model(module, weight, bias, X, y):
    """``accuracy(model, X, y)`` for a :class:`ModeAwareModel` handed over in training mode."""
    return module.accuracy(ModeAwareModel(weight, bias).train(), X, y)


class Recorder(nn.Module):
    """Wraps a network. Inputs carry the sample's index in an extra last column, which the
    recorder strips; every call with gradients enabled (a training step) notes its batch."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.batches = []

    def forward(self, x):
        if torch.is_grad_enabled():
            self.batches.append(x[:, -1].round().long())
        return self.net(x[:, :-1])


def fit_run(module, X_train, y_train, layers, initial, epochs, lr, batch_size, seed, repeat_epochs):
    """Trains ``probing.network(layers)``, starting from the weights ``initial``, with your
    ``fit``; then again for ``repeat_epochs`` with the same seed (after changing the global
    random state). Returns, for both runs, your loss history, the batches the network trained
    on (sample indices) and the trained weights."""
    indexed = torch.cat([X_train, torch.arange(len(X_train), dtype=X_train.dtype).unsqueeze(1)], dim=1)
    runs = []
    for run_epochs in (epochs, repeat_epochs):
        model = Recorder(probing.load(probing.network(layers), initial))
        torch.manual_seed(seed + 4321 + run_epochs)
        history = module.fit(model, indexed, y_train, epochs=run_epochs, lr=lr, batch_size=batch_size, seed=seed)
        runs.append({"history": history, "batches": model.batches, "weights": probing.weights(model.net)})
    return runs
