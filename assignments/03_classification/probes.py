"""Probes: trusted code that drives your classifiers and returns plain data.

The tests cannot receive a model from your module (only data crosses to the tests), so
these functions build your classifier, run it or train it with your own loss, and return
what happened: its parameters, the layers it called in order, its outputs, every step.
Everything is judged from that data in the tests.
"""

import torch
from torch.utils.data import DataLoader, TensorDataset

from autograder.testing import probing


def inspect_model(module, name, sizes, X, weights=None):
    """Build ``module.<name>(*sizes)``, load ``weights`` into its linear layers, run it on ``X``
    and describe it (see ``probing.describe``)."""
    return probing.build(module, name, sizes, X, weights)


def train_classifier(module, name, sizes, X, y, epochs, lr, batch_size, loss, seed=0):
    """Train your classifier ``module.<name>(*sizes)`` with Adam and your loss ``module.<loss>``.

    The model is built after ``torch.manual_seed(seed)``; the data loader shuffles with a
    generator seeded with ``seed``. Every batch: ``zero_grad``, ``loss(model(X), y)``,
    ``backward``, ``step``. Returns a dict: ``steps`` (for every step, the parameters before
    it, their gradients and the loss value) and ``trained`` (the
    parameters after training).
    """
    torch.manual_seed(seed)
    model = getattr(module, name)(*sizes)
    criterion = getattr(module, loss)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(
        TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    steps = []
    for _ in range(epochs):
        for X_batch, y_batch in loader:
            optimizer.zero_grad()
            value = criterion(model(X_batch), y_batch)
            value.backward()
            steps.append({**probing.step(model), "loss": float(value.detach())})
            optimizer.step()
    return {"steps": steps, "trained": probing.weights(model)}
