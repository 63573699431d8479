"""What the public and the hidden tests of assignment 04 share: oracles and the checks of each
task. Every quantity is judged here, from the data the probes return."""

import math

import torch

from autograder.testing import expect_close, expect_floats, expect_tensor, fail, probing, record_losses
from autograder.testing.support import expect_module, linear_weights

GRAD_KEYS = ("w1", "b1", "w3", "b3", "x")
LAYERS = ("layer1", "layer2", "layer3")
REDUCTIONS = ("none", "mean", "sum")


def expect_value_error(result, call, names=()):
    """``result`` of the ``outcome`` probe must say that ``call`` raised ValueError naming ``names``."""
    if "raised" not in result:
        fail(f"{call} should raise ValueError, but it returned a value")
    if result["raised"] != "ValueError":
        fail(f"{call} should raise ValueError, but it raised {result['raised']}", result["message"])
    missing = [name for name in names if name not in result["message"]]
    if missing:
        fail(f"the ValueError of {call} should name the valid values {', '.join(map(repr, names))}", result["message"])


def ffn_shapes(in_features, out_features, hidden_size):
    """The shape of every parameter of FFN(in_features, out_features, hidden_size), by name."""
    sizes = {"layer1": (hidden_size, in_features), "layer2": (hidden_size, hidden_size)}
    sizes["layer3"] = (out_features, hidden_size)
    return {f"{layer}.{kind}": shape if kind == "weight" else shape[:1] for layer, shape in sizes.items()
            for kind in ("weight", "bias")}  # fmt: skip


def ffn_network(weights):
    """The lecture's FFN run here, from its parameters by name."""
    widths = [weights["layer1.weight"].shape[1], *(weights[f"{layer}.weight"].shape[0] for layer in LAYERS)]
    network = probing.network([widths[0], widths[1], "relu", widths[2], "relu", widths[3]])
    return probing.load(network, list(weights.values()))


def expect_ffn_weights(weights, in_features, out_features, hidden_size, what="FFN"):
    """``weights`` (parameters by name) must be those of FFN(in_features, out_features, hidden_size)."""
    shapes = ffn_shapes(in_features, out_features, hidden_size)
    if list(weights) != list(shapes):
        fail(
            f"{what}'s parameters() should be the nn.Linear layers layer1, layer2 and layer3 (made in this "
            "order), their weights and biases and nothing else",
            f"got {', '.join(weights) or 'none'}",
        )
    for name, shape in shapes.items():
        expect_tensor(weights[name], shape=shape, what=f"{what}'s {name}")


def expect_ffn(submission, in_features, out_features, hidden_size, X):
    """FFN(in_features, out_features, hidden_size), built in the probe with weights drawn here: an
    nn.Module with the three layers, run in the right order, giving the output of those weights."""
    shapes = ffn_shapes(in_features, out_features, hidden_size)
    given = linear_weights([shapes[f"{layer}.weight"] for layer in LAYERS])
    description = submission.probe("build_ffn", in_features, out_features, hidden_size, X, given)
    expect_module(description, "FFN")
    weights = dict(zip(description["names"], description["parameters"], strict=True))
    expect_ffn_weights(weights, in_features, out_features, hidden_size)
    called = [weight for weight, _, _ in description["linear_calls"]]
    if len(called) != 3 or not all(torch.equal(w, weights[f"{n}.weight"]) for w, n in zip(called, LAYERS, strict=True)):
        fail("FFN's forward should call layer1, layer2 and layer3, once each and in this order")
    with torch.no_grad():
        network = ffn_network(dict(zip(shapes, [tensor for layer in given for tensor in layer], strict=True)))
        expect_close(description["output"], network(X), rtol=1e-4, atol=1e-5, what="FFN")


def tiny_oracle(x, w1, b1, w3, b3, target):
    """Loss and gradients of the tiny network by autograd, in float64 (the test's oracle)."""
    values = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in zip(
        ("x", "w1", "b1", "w3", "b3"), (x, w1, b1, w3, b3), strict=True)}  # fmt: skip
    y3 = values["w3"] * torch.relu(values["w1"] * values["x"] + values["b1"]) + values["b3"]
    loss = (y3 - target) ** 2
    loss.backward()
    return loss.item(), {name: values[name].grad.item() for name in GRAD_KEYS}


def expect_tiny(result, expected, rtol=1e-5, atol=1e-6):
    """``(loss, grads)``: a Python float and a dict of Python floats with keys w1, b1, w3, b3, x."""
    want_loss, want_grads = expected
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail("tiny_network_grads should return a pair (loss, grads)")
    loss, grads = result
    expect_close(loss, want_loss, rtol=rtol, atol=atol, what="the loss of tiny_network_grads")
    if not isinstance(grads, dict) or set(grads) != set(GRAD_KEYS):
        fail(f"grads should be a dict with the keys {', '.join(GRAD_KEYS)}", f"got {grads!r}")
    for name in GRAD_KEYS:
        expect_close(grads[name], want_grads[name], rtol=rtol, atol=atol, what=f"grads[{name!r}]")


def weibull_nll(params, y):
    """The summed -log p(y) under Weibull(scale, concentration), each clamped to at least 1e-6,
    in float64 (the test's oracle)."""
    scale = params[:, :1].clamp(min=1e-6).double()
    concentration = params[:, 1:].clamp(min=1e-6).double()
    return -torch.distributions.Weibull(scale, concentration).log_prob(y.double()).sum()


def expect_reductions(submission, name, torch_loss, x, y, **kwargs):
    """``name`` equals ``torch_loss`` for every reduction and the default, and rejects another."""
    for reduction in REDUCTIONS:
        want = torch_loss(reduction=reduction, **kwargs)(x, y)
        expect_close(getattr(submission, name)(x, y, reduction=reduction, **kwargs), want, rtol=1e-5, atol=1e-5,
                     what=f"{name}(reduction={reduction!r})")  # fmt: skip
    expect_close(getattr(submission, name)(x, y, **kwargs), torch_loss(**kwargs)(x, y), rtol=1e-5, atol=1e-5,
                 what=f"{name} (default reduction)")  # fmt: skip
    result = submission.probe("outcome", name, x, y, reduction="elementwise", **kwargs)
    expect_value_error(result, f"{name}(..., reduction='elementwise')", REDUCTIONS)


def expect_train_ffn(submission, trusted, X, y, X_test, hidden_size, epochs, lr, seed):
    """Runs the submission's ``train_ffn`` and judges the run here: the losses and the trained
    weights must be those of the trusted ``train_ffn`` started from the network the submission
    built; the loss must fall, the trained network (run here) must predict ``X_test`` (never
    sent to the probe), and the same seed must give the same run. Returns the run."""
    run = submission.probe("run_train_ffn", X, y, hidden_size, epochs, lr, seed)
    losses = expect_floats(run["losses"], epochs, what="train_ffn's losses")
    if not run["built"]:
        fail("train_ffn should build its network with FFN(X.shape[1], 1, hidden_size)")
    initial = run["built"][0]
    expect_ffn_weights(initial, X.shape[1], 1, hidden_size, what="the FFN that train_ffn built")
    with probing.building(trusted, "FFN", lambda net: probing.load(net, list(initial.values()))), probing.one_thread():
        replay, expected = trusted.train_ffn(X, y, hidden_size=hidden_size, epochs=epochs, lr=lr, seed=seed)
    record_losses(losses, expected)
    expect_close(torch.tensor(losses), torch.tensor(expected), rtol=1e-3, atol=1e-5,
                 what="train_ffn's losses (full-batch SGD on the MSE, each recorded before its step)")  # fmt: skip
    if not math.isfinite(losses[-1]) or not losses[-1] < 0.1 * losses[0]:
        fail("train_ffn does not converge: the last loss should be well below a tenth of the first")
    trained = run["trained"]
    expect_ffn_weights(trained, X.shape[1], 1, hidden_size, what="the network train_ffn returned")
    replayed = probing.named_weights(replay).values()
    if not all(torch.allclose(w, e, rtol=1e-3, atol=1e-4) for w, e in zip(trained.values(), replayed, strict=True)):
        fail("the network train_ffn returned is not the one it trained, step by step, from the FFN it built")
    with torch.no_grad():
        test_mse = ((ffn_network(trained)(X_test).squeeze(1) - X_test.sum(1)) ** 2).mean().item()
    if not test_mse < 0.3:
        fail("the trained network predicts new inputs badly", f"mean squared error {test_mse:.4g} on new inputs")
    again = submission.probe("run_train_ffn", X, y, hidden_size, 1, lr, seed)
    if not again["built"] or not all(torch.equal(again["built"][0][n], initial[n]) for n in initial):
        fail("two runs of train_ffn with the same seed started from different networks: call torch.manual_seed(seed)")
    return run
