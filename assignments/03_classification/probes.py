"""Probes: trusted code that drives your classifiers and returns plain data.

The tests cannot receive a model from your module (only data crosses to the tests), so
these functions build your classifier, run it or train it with your own loss, and describe
what happened: its parameters, the layers it called in order, its outputs, every step.
"""

import traceback

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def _error(error, module):
    """``Type: message (line N of your file)`` for an exception raised in ``module``."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == module.__file__:
            line = frame.lineno
    where = f" (line {line} of your file)" if line else ""
    return f"{type(error).__name__}: {error}{where}"


def inspect_model(module, name, sizes, X):
    """Build ``module.<name>(*sizes)``, run it on ``X`` and describe it.

    Returns a dict: ``error`` (``""``, or what went wrong building or running the model),
    ``is_module`` (whether it is an ``nn.Module``), ``names`` and ``parameters`` (as
    ``named_parameters()`` yields them), ``linear_calls`` (``[weight, bias, registered]`` of
    every ``nn.Linear`` in the order ``forward`` called them, ``registered`` being whether
    that weight is among ``parameters()``) and ``output`` (``model(X)``).
    """
    info = {"error": "", "is_module": False, "names": [], "parameters": [], "linear_calls": [], "output": None}
    try:
        model = getattr(module, name)(*sizes)
        info["is_module"] = isinstance(model, nn.Module)
        calls = []
        hooks = []
        if info["is_module"]:
            for layer in model.modules():
                if isinstance(layer, nn.Linear):
                    hooks.append(layer.register_forward_hook(lambda layer, args, out: calls.append(layer)))
        with torch.no_grad():
            output = model(X)
        for hook in hooks:
            hook.remove()
    except NotImplementedError:
        raise
    except Exception as error:
        info["error"] = _error(error, module)
        return info
    parameters = list(model.named_parameters()) if info["is_module"] else []
    info["names"] = [name for name, _ in parameters]
    info["parameters"] = [p.detach().clone() for _, p in parameters]
    info["linear_calls"] = [
        [
            layer.weight.detach().clone(),
            None if layer.bias is None else layer.bias.detach().clone(),
            any(p is layer.weight for _, p in parameters),
        ]
        for layer in calls
    ]
    info["output"] = output.detach().clone() if isinstance(output, torch.Tensor) else output
    return info


def train_classifier(module, name, sizes, X, y, epochs, lr, batch_size, loss, seed=0, X_test=None, record=16):
    """Train your classifier ``module.<name>(*sizes)`` with Adam and your loss ``module.<loss>``.

    The model is built after ``torch.manual_seed(seed)``; the data loader shuffles with a
    generator seeded with ``seed``. Every batch: ``zero_grad``, ``loss(model(X), y)``,
    ``backward``, ``step``. Returns a dict: ``steps`` (for each of the first ``record`` steps,
    the parameters before it, their gradients and the loss value) and ``predictions`` (the trained model's logits on
    ``X_test``, if given).
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
            if len(steps) < record:
                steps.append(
                    {
                        "parameters": [p.detach().clone() for p in model.parameters()],
                        "grads": [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()],
                        "loss": float(value.detach()),
                    }
                )
            optimizer.step()
    result = {"steps": steps}
    if X_test is not None:
        with torch.no_grad():
            result["predictions"] = model(X_test)
    return result
