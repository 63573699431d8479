"""What probes share: building, describing and training models in the sandbox, as plain data.

Every assignment's ``probes.py`` is built from these functions; they need only torch, so
they run in the sandbox as well as in a student's own process. A probe runs next to the
submission, which may have replaced it: so a probe only returns data (weights, shapes,
outputs, loss histories), and the tests judge every quantity in the grader from that data
(a trusted network loaded with the returned weights, a replay of the training).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

import torch
from torch import nn

from autograder.sandbox.execution import describe_error

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def error_text(error: BaseException, module: ModuleType) -> str:
    """``Type: message (line N of your file)`` for an exception the submission raised."""
    info = describe_error(error, getattr(module, "__file__", None) or "")
    where = f" (line {info['line']} of your file)" if info["line"] else ""
    return f"{info['type']}: {info['message']}{where}"


def weights(model: nn.Module) -> list[torch.Tensor]:
    """Copies of the model's parameters, in the order ``parameters()`` yields them."""
    return [p.detach().clone() for p in model.parameters()]


def step(model: nn.Module) -> dict[str, list]:
    """The model's parameters and their gradients (``None`` where there is none), copied."""
    return {
        "parameters": weights(model),
        "grads": [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()],
    }


def named_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """Copies of the model's parameters by name, as ``named_parameters()`` yields them."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def load(model: nn.Module, values: Sequence[torch.Tensor]) -> nn.Module:
    """Copy ``values`` into the model's parameters, in order; returns the model."""
    parameters = list(model.parameters())
    if len(parameters) != len(values) or any(p.shape != v.shape for p, v in zip(parameters, values, strict=False)):
        raise ValueError("the weights do not fit the network's parameters")
    with torch.no_grad():
        for parameter, value in zip(parameters, values, strict=True):
            parameter.copy_(value)
    return model


def network(layers: Sequence[Any]) -> nn.Sequential:
    """A network from a plain description: ``[64, "relu", 10]`` is Linear(64, 10) after a ReLU.

    Integers are the widths between linear layers; a name (``"relu"``, ``"sigmoid"``) is an
    activation after the linear layer before it.
    """
    modules: list[nn.Module] = []
    width = None
    for entry in layers:
        if isinstance(entry, str):
            modules.append(ACTIVATIONS[entry]())
        else:
            if width is not None:
                modules.append(nn.Linear(width, entry))
            width = entry
    return nn.Sequential(*modules)


def linear_calls(model: Any, X: torch.Tensor) -> tuple[list[nn.Linear], Any]:
    """Every ``nn.Linear`` of the model in the order ``model(X)`` called it, and the output."""
    calls: list[nn.Linear] = []
    hooks = []
    if isinstance(model, nn.Module):
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                hooks.append(layer.register_forward_hook(lambda layer, args, out: calls.append(layer)))
    try:
        with torch.no_grad():
            output = model(X)
    finally:
        for hook in hooks:
            hook.remove()
    return calls, output


def describe(model: Any, X: torch.Tensor, weights: Sequence[Sequence[torch.Tensor]] | None = None) -> dict:
    """What the tests check of a model: whether it is an ``nn.Module``, its parameters by
    name, every ``nn.Linear`` in the order ``forward`` called it (``[weight, bias, registered]``,
    ``registered`` being whether that weight is among ``parameters()``) and ``model(X)``.

    ``weights`` (``[weight, bias]`` for each linear layer, in the order ``forward`` calls
    them) are loaded into those layers first, where their number and shapes fit: then the
    tests know the output to expect without trusting the weights reported back.
    """
    calls, output = linear_calls(model, X)
    if weights is not None and _fits(calls, weights):
        with torch.no_grad():
            for layer, (weight, bias) in zip(calls, weights, strict=True):
                layer.weight.copy_(weight)
                layer.bias.copy_(bias)
        calls, output = linear_calls(model, X)
    parameters = list(model.named_parameters()) if isinstance(model, nn.Module) else []
    return {
        "is_module": isinstance(model, nn.Module),
        "names": [name for name, _ in parameters],
        "parameters": [p.detach().clone() for _, p in parameters],
        "linear_calls": [
            [
                layer.weight.detach().clone(),
                None if layer.bias is None else layer.bias.detach().clone(),
                any(p is layer.weight for _, p in parameters),
            ]
            for layer in calls
        ],
        "output": output.detach().clone() if isinstance(output, torch.Tensor) else output,
    }


def _fits(calls: list[nn.Linear], weights: Sequence[Sequence[torch.Tensor]]) -> bool:
    return len(calls) == len(weights) and all(
        layer.bias is not None and layer.weight.shape == weight.shape and layer.bias.shape == bias.shape
        for layer, (weight, bias) in zip(calls, weights, strict=True)
    )


def build(module: ModuleType, name: str, args: Sequence[Any], X: torch.Tensor, weights: Sequence | None = None) -> dict:
    """Build ``module.<name>(*args)`` and :func:`describe` it on ``X`` (with ``weights``);
    ``error`` says what went wrong building or running it (``""`` if nothing).
    NotImplementedError passes through."""
    try:
        description = describe(getattr(module, name)(*args), X, weights)
    except NotImplementedError:
        raise
    except Exception as error:
        return {"error": error_text(error, module)}
    return {"error": "", **description}


@contextlib.contextmanager
def building(module: ModuleType, name: str, each: Callable[[Any], None]) -> Iterator[None]:
    """While inside, every object that ``module.<name>(...)`` builds is passed to ``each``
    first (to record a network's initial weights, or to load given ones). A class keeps its
    name (so ``super(FFN, self)`` still works): its ``__init__`` is wrapped instead."""
    original = getattr(module, name)
    if not isinstance(original, type):

        def build_and_pass(*args: Any, **kwargs: Any) -> Any:
            built = original(*args, **kwargs)
            each(built)
            return built

        setattr(module, name, build_and_pass)
        try:
            yield
        finally:
            setattr(module, name, original)
        return
    own = vars(original).get("__init__")
    init = original.__init__

    def init_and_pass(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if type(self) is original:
            each(self)

    original.__init__ = init_and_pass
    try:
        yield
    finally:
        if own is None:
            del original.__init__
        else:
            original.__init__ = own


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread inside (as the sandbox does), so that a replay rounds alike."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
