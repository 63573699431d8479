"""Probes: short, trusted functions that the tests run on your module.

A test cannot receive a network, only data, so where a test needs to build your ``FFN`` or
run your ``train_ffn`` it calls one of these functions, which does that and returns what the
test checks (parameters, outputs, loss histories). You can call them yourself to see what
the tests see, e.g. ``probes.build_ffn(deep_learning, 4, 1, 4, torch.randn(10, 4))``.
"""

import torch
import torch.nn as nn

LAYERS = ("layer1", "layer2", "layer3")


def describe_ffn(net, X):
    """What the tests check of a network: its type, its layers' parameters, its output on ``X``."""
    layers = {}
    for name in LAYERS:
        layer = getattr(net, name, None)
        if isinstance(layer, nn.Linear):
            layers[name] = {"type": "Linear", "weight": layer.weight.detach().clone(), "bias": layer.bias.detach()}
        else:
            layers[name] = {"type": type(layer).__name__}
    is_module = isinstance(net, nn.Module)
    return {
        "is_module": is_module,
        "layers": layers,
        "parameter_count": sum(p.numel() for p in net.parameters()) if is_module else 0,
        "output": net(X).detach(),
    }


def build_ffn(module, in_features, out_features, hidden_size, X):
    """Builds ``FFN(in_features, out_features, hidden_size)`` and describes it on inputs ``X``."""
    net = module.FFN(in_features, out_features, hidden_size)
    return describe_ffn(net, X)


def outcome(module, name, *args, **kwargs):
    """Calls ``name(*args, **kwargs)``: ``{"returned": value}``, or what it raised."""
    try:
        return {"returned": getattr(module, name)(*args, **kwargs)}
    except Exception as error:
        return {"raised": type(error).__name__, "message": str(error)}


def sgd_step_inputs_after(module, params, grads, lr):
    """Calls ``sgd_step`` and returns ``(new_params, params, grads)`` as they are afterwards."""
    new_params = module.sgd_step(params, grads, lr)
    return new_params, params, grads


def run_train_ffn(module, X, y, hidden_size, epochs, lr, seed, X_test, repeat_epochs):
    """Runs ``train_ffn`` for ``epochs``, then again with the same ``seed`` for ``repeat_epochs``
    (after changing the global random state); returns both runs' losses and trained networks
    (described on ``X_test``)."""
    runs = []
    for run_epochs, disturbance in ((epochs, None), (repeat_epochs, 12345)):
        if disturbance is not None:
            torch.manual_seed(disturbance)
        net, losses = module.train_ffn(X, y, hidden_size=hidden_size, epochs=run_epochs, lr=lr, seed=seed)
        runs.append({"losses": losses, "net": describe_ffn(net, X_test)})
    return runs
