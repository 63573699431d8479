"""Probes: short, trusted functions that the tests run on your module.

A test cannot receive a network, only data, so where a test needs to build your ``FFN`` or
run your ``train_ffn`` it calls one of these functions, which does that and returns data
(parameters, outputs, loss histories); everything is judged from that data in the tests.
You can call them yourself to see what the tests see, e.g.
``probes.build_ffn(deep_learning, 4, 1, 4, torch.randn(10, 4))``.
"""

import torch

from autograder.testing import probing


def build_ffn(module, in_features, out_features, hidden_size, X, weights=None):
    """Builds ``FFN(in_features, out_features, hidden_size)``, loads ``weights`` into its linear
    layers and describes it on inputs ``X`` (see ``probing.describe``)."""
    return probing.build(module, "FFN", (in_features, out_features, hidden_size), X, weights)


def outcome(module, name, *args, **kwargs):
    """Calls ``name(*args, **kwargs)``: ``{"returned": value}``, or what it raised."""
    try:
        return {"returned": getattr(module, name)(*args, **kwargs)}
    except Exception as error:
        return {"raised": type(error).__name__, "message": str(error)}


def run_train_ffn(module, X, y, hidden_size, epochs, lr, seed):
    """Runs ``train_ffn``; returns its losses, the weights of every ``FFN`` it built as they
    were when built, and the returned network's."""
    built = []
    with probing.building(module, "FFN", lambda net: built.append(probing.named_weights(net))):
        net, losses = module.train_ffn(X, y, hidden_size=hidden_size, epochs=epochs, lr=lr, seed=seed)
    return {"losses": losses, "built": built, "trained": probing.named_weights(net)}
