"""Probes: trusted code that drives your classes and your trainer, and returns plain data.

The tests cannot receive a model from your module (only data crosses to the tests), so
these functions build your model, or a model of the lecture, run it and describe what
happened: its parameters, the layers it called in order, its outputs, a loss history.
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


# The lecture's models, written out, so that testing the trainer and count_parameters does
# not depend on your own classes.
class _Linear(nn.Module):
    def __init__(self, input_size, output_size):
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)

    def forward(self, x):
        return self.linear(x)


class _Nonlinear(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(input_size, hidden_size), nn.Sigmoid(), nn.Linear(hidden_size, output_size))

    def forward(self, x):
        return self.main(x)


class _Deep(nn.Module):
    def __init__(self, input_size, hidden_size_1, hidden_size_2, output_size):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(input_size, hidden_size_1),
            nn.Sigmoid(),
            nn.Linear(hidden_size_1, hidden_size_2),
            nn.Sigmoid(),
            nn.Linear(hidden_size_2, output_size),
        )

    def forward(self, x):
        return self.main(x)


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


def _lecture_model(kind, sizes):
    if kind == "linear":
        return _Linear(*sizes)
    if kind == "nonlinear":
        return _Nonlinear(*sizes)
    if kind == "deep":
        return _Deep(*sizes)
    if kind == "frozen":  # a deep network whose first layer is frozen (requires_grad off)
        model = _Deep(*sizes)
        for parameter in model.main[0].parameters():
            parameter.requires_grad_(False)
        return model
    if kind == "tied":
        return _Tied(*sizes)
    if kind == "batchnorm":  # parameters and buffers (running statistics)
        return nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.BatchNorm1d(sizes[1]), nn.ReLU(), nn.Linear(*sizes[1:]))
    raise ValueError(f"unknown model kind {kind!r}")


def count(module, kind, sizes, seed=0):
    """Your ``count_parameters`` on one of the lecture's models (``kind``, ``sizes``)."""
    torch.manual_seed(seed)
    return module.count_parameters(_lecture_model(kind, sizes))


def _snapshot(model):
    return {
        "parameters": [p.detach().clone() for p in model.parameters()],
        "grads": [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()],
    }


def train(
    module, kind, sizes, X, y, epochs, lr, batch_size, optimizer="sgd", criterion="mse", seed=0, X_test=None, record=0
):
    """Train one of the lecture's models with your ``trainer``.

    The model is built after ``torch.manual_seed(seed)``; the data loader shuffles with a
    generator seeded with ``seed``. ``epochs=None`` leaves ``trainer``'s default. Returns a
    dict: ``history`` (what ``trainer`` returned), ``parameters`` (after training),
    ``predictions`` (the trained model on ``X_test``, if given) and, if ``record`` > 0,
    ``steps``: for each of the first ``record`` calls of ``optimizer.step()``, the parameters
    and their ``.grad`` just before it.
    """
    torch.manual_seed(seed)
    model = _lecture_model(kind, sizes)
    loss = {"mse": nn.MSELoss(), "l1": nn.L1Loss()}[criterion]
    make_optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    loader = DataLoader(
        TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    arguments = {} if epochs is None else {"epochs": epochs}
    chosen = make_optimizer(model.parameters(), lr=lr)
    steps = []
    if record:
        chosen.register_step_pre_hook(lambda *_: steps.append(_snapshot(model)) if len(steps) < record else None)
    history = module.trainer(model, loss, chosen, loader, **arguments)
    result = {"history": history, "parameters": [p.detach().clone() for p in model.parameters()]}
    if record:
        result["steps"] = steps
    if X_test is not None:
        with torch.no_grad():
            result["predictions"] = model(X_test)
    return result
