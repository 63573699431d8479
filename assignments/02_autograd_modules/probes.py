"""Probes: trusted code that drives your classes and your trainer, and returns plain data.

The tests cannot receive a model from your module (only data crosses to the tests), so
these functions build your model, or a network described by layer sizes, run it and return
what happened: its parameters, the layers it called in order, its outputs, every step of a
training. Everything is judged from that data in the tests.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from autograder.testing import probing


def inspect_model(module, name, sizes, X, weights=None):
    """Build ``module.<name>(*sizes)``, load ``weights`` into its linear layers, run it on ``X``
    and describe it (see ``probing.describe``)."""
    return probing.build(module, name, sizes, X, weights)


class _Tied(nn.Module):
    """Two layers that share one weight tensor (weight tying): the tensor counts once."""

    def __init__(self, size, hidden_size):
        super().__init__()
        self.first = nn.Linear(size, size)
        self.second = nn.Linear(size, size)
        self.second.weight = self.first.weight
        self.output = nn.Linear(size, hidden_size)

    def forward(self, x):
        return self.output(torch.sigmoid(self.second(torch.sigmoid(self.first(x)))))


def network(kind, sizes):
    """A network for the trainer and count_parameters: Linear layers of ``sizes`` with a sigmoid
    between them (``"sigmoid"``), the same with its first layer frozen (``"frozen"``), a weight
    shared by two layers (``"tied"``) or a batch norm with its running statistics (``"batchnorm"``)."""
    if kind == "tied":
        return _Tied(*sizes)
    if kind == "batchnorm":
        return nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.BatchNorm1d(sizes[1]), nn.ReLU(), nn.Linear(*sizes[1:]))
    model = probing.network([sizes[0], *[entry for size in sizes[1:-1] for entry in (size, "sigmoid")], sizes[-1]])
    if kind == "frozen":
        model[0].requires_grad_(False)
    return model


def count(module, kind, sizes, seed=0):
    """Your ``count_parameters`` on ``network(kind, sizes)``."""
    torch.manual_seed(seed)
    return module.count_parameters(network(kind, sizes))


def train(module, sizes, X, y, epochs, lr, batch_size, optimizer="sgd", criterion="mse", seed=0):
    """Train ``network("sigmoid", sizes)`` with your ``trainer``.

    The network is built after ``torch.manual_seed(seed)``; the data loader shuffles with a
    generator seeded with ``seed``. ``epochs=None`` leaves ``trainer``'s default. Returns a
    dict: ``history`` (what ``trainer`` returned), ``parameters`` (after training) and
    ``steps``: for every call of ``optimizer.step()``, the parameters and their ``.grad``
    just before it.
    """
    torch.manual_seed(seed)
    model = network("sigmoid", sizes)
    loss = {"mse": nn.MSELoss(), "l1": nn.L1Loss()}[criterion]
    make_optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    loader = DataLoader(
        TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    arguments = {} if epochs is None else {"epochs": epochs}
    chosen = make_optimizer(model.parameters(), lr=lr)
    steps = []
    chosen.register_step_pre_hook(lambda *_: steps.append(probing.step(model)))
    history = module.trainer(model, loss, chosen, loader, **arguments)
    return {"history": history, "parameters": probing.weights(model), "steps": steps}
