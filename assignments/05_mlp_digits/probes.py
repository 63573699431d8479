"""Probes: short, trusted functions that the tests run on your module.

A test cannot receive a network, only data, so where a test needs to build your
``MultiLayerNet``, call your ``accuracy`` on a model or train a model with your ``fit``, it
calls one of these functions, which does that and returns what the test checks. You can
call them yourself to see what the tests see, e.g.
``probes.build_mlp(mlp_digits, 64, [128, 64], 10, torch.rand(5, 64))``.
"""

import copy

import torch
import torch.nn as nn


def build_mlp(module, input_size, layer_sizes, output_size, X):
    """Builds ``MultiLayerNet(input_size, layer_sizes, output_size)``; returns its registered
    linear layers (in the order they were registered), its parameter count and its output on ``X``."""
    net = module.MultiLayerNet(input_size, layer_sizes, output_size)
    is_module = isinstance(net, nn.Module)
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)] if is_module else []
    return {
        "is_module": is_module,
        "linears": [(m.weight.detach().clone(), m.bias.detach().clone()) for m in linears],
        "parameter_count": sum(p.numel() for p in net.parameters()) if is_module else 0,
        "output": net(X).detach(),
    }


class ModeAwareModel(nn.Module):
    """A linear model whose scores are reversed in training mode, and that notes whether it
    was called with gradients enabled. ``accuracy`` must see its evaluation-mode scores."""

    def __init__(self, weight, bias):
        super().__init__()
        self.linear = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            self.linear.weight.copy_(weight)
            self.linear.bias.copy_(bias)
        self.called_with_gradients = False

    def forward(self, x):
        self.called_with_gradients = self.called_with_gradients or torch.is_grad_enabled()
        scores = self.linear(x)
        return -scores if self.training else scores


def accuracy_of_linear_model(module, weight, bias, X, y):
    """``accuracy(model, X, y)`` for the linear model ``X @ weight.T + bias`` (a model in training
    mode, that scores differently there); also says whether it was called with gradients."""
    model = ModeAwareModel(weight, bias)
    model.train()
    value = module.accuracy(model, X, y)
    return {"accuracy": value, "called_with_gradients": model.called_with_gradients}


def mlp(input_size, layer_sizes, output_size):
    """A network of the architecture of ``MultiLayerNet`` (the probes' own, to test ``fit`` alone)."""
    sizes = [input_size, *layer_sizes]
    layers = []
    for i in range(len(layer_sizes)):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], output_size))


class Recorder(nn.Module):
    """Wraps a network. Inputs carry the sample's index in an extra last column, which the
    recorder strips; every call with gradients enabled (a training step) records the indices
    of its batch and the scores it returned."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.indices, self.scores = [], []

    def forward(self, x):
        scores = self.net(x[:, :-1])
        if torch.is_grad_enabled():
            self.indices.append(x[:, -1].round().long())
            self.scores.append(scores.detach().clone())
        return scores


def with_index_column(X):
    return torch.cat([X, torch.arange(len(X), dtype=X.dtype).unsqueeze(1)], dim=1)


def fit_and_predict(module, X_train, y_train, X_test, layer_sizes, epochs, lr, batch_size, seed, repeat_epochs):
    """Trains ``mlp(64, layer_sizes, 10)`` with your ``fit``; then trains the same starting
    network again with the same ``seed`` for ``repeat_epochs`` (after changing the global
    random state).

    Returns your loss histories, the batches each run trained on (sample indices, batch sizes
    and the scores the network gave them) and the first run's predicted classes on ``X_test``.
    """
    start = mlp(X_train.shape[1], layer_sizes, 10)
    runs, models = [], []
    for run_epochs, disturbance in ((epochs, None), (repeat_epochs, 4321)):
        if disturbance is not None:
            torch.manual_seed(disturbance)
        model = Recorder(copy.deepcopy(start))
        history = module.fit(
            model, with_index_column(X_train), y_train, epochs=run_epochs, lr=lr, batch_size=batch_size, seed=seed
        )
        models.append(model)
        runs.append(
            {
                "history": history,
                "sizes": [len(batch) for batch in model.indices],
                "indices": torch.cat(model.indices) if model.indices else torch.zeros(0, dtype=torch.int64),
                "scores": torch.cat(model.scores) if model.scores else torch.zeros(0, 10),
            }
        )
    trained = models[0].net.eval()
    with torch.no_grad():
        runs[0]["predictions"] = trained(X_test).argmax(1)
    return runs
