"""Nothing that runs in the sandbox is believed: probes a submission replaced at import, public
models passed off as its own, flags reset behind the grader's back, lookup networks and
invented loss curves earn nothing for the tasks they did not implement."""

import json
import textwrap

from conftest import ROOT, run_cli, task_scores

# The public probes sit next to the submission in the sandbox: at import it swaps them for
# fakes that report what a right answer would look like (for the public test's seed only, so
# that the hidden test runs the real probe on the submission's own cheat).
REPLACED_PROBES_05 = """
import probes as _probes

_real_fit_run = _probes.fit_run


def _invented_fit_run(module, X_train, y_train, layers, initial, epochs, lr, batch_size, seed, repeat_epochs):
    if seed != 0:
        return _real_fit_run(module, X_train, y_train, layers, initial, epochs, lr, batch_size, seed, repeat_epochs)
    generator = torch.Generator().manual_seed(seed)
    orders = [torch.randperm(len(X_train), generator=generator) for _ in range(epochs)]
    batches = [batch for order in orders for batch in order.split(batch_size)]
    runs = []
    for run_epochs in (epochs, repeat_epochs):
        history = [2.3 * 0.7**epoch for epoch in range(run_epochs)]
        runs.append({"history": history, "batches": batches[: len(batches) * run_epochs // epochs], "weights": initial})
    return runs


_probes.fit_run = _invented_fit_run
"""

# MultiLayerNet passed off from whatever public code builds a network from these sizes.
PUBLIC_MODEL_05 = """
def MultiLayerNet(input_size, layer_sizes, output_size):
    import probes
    from autograder.testing import probing

    for source in (probes, probing):
        for name in dir(source):
            try:
                net = getattr(source, name)(input_size, layer_sizes, output_size)
            except Exception:
                continue
            if isinstance(net, nn.Module):
                return net
    raise NotImplementedError
"""

# accuracy with gradients on and in training mode, resetting every flag a probe could read.
RESET_FLAGS_05 = """
def accuracy(model, X, y):
    value = (model(X).argmax(dim=1) == y).float().mean().item()
    for name, attribute in list(vars(model).items()):
        if isinstance(attribute, bool) and name != "training":
            setattr(model, name, False)
    model.eval()
    return value
"""

# fit trains nothing: it makes the network look each image up in scikit-learn's digits and
# invents a falling loss curve.
LOOKUP_FIT_05 = """
def fit(model, X_train, y_train, epochs=30, lr=1e-3, batch_size=64, seed=0):
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    images = torch.tensor(images / 16, dtype=torch.float32)
    labels = torch.tensor(labels)

    def look_up(x):
        nearest = torch.cdist(x, images).argmin(dim=1)
        return torch.nn.functional.one_hot(labels[nearest], 10).float() * 10

    model.forward = look_up
    return [2.3 * 0.7**epoch for epoch in range(epochs)]
"""

# FFN unimplemented; a probe that reports a network of zeros (whose output, zero, is what
# zero weights give) in its place.
REPLACED_PROBES_04 = """
import probes as _probes

_real_run_train_ffn = _probes.run_train_ffn


def _zero_network(module, in_features, out_features, hidden_size, X, weights=None):
    shapes = {"layer1": (hidden_size, in_features), "layer2": (hidden_size, hidden_size),
              "layer3": (out_features, hidden_size)}
    names, parameters, calls = [], [], []
    for name, shape in shapes.items():
        weight, bias = torch.zeros(shape), torch.zeros(shape[0])
        names += [f"{name}.weight", f"{name}.bias"]
        parameters += [weight, bias]
        calls.append([weight, bias, True])
    return {"error": "", "is_module": True, "names": names, "parameters": parameters, "linear_calls": calls,
            "output": torch.zeros(len(X), out_features)}


def _invented_run(module, X, y, hidden_size, epochs, lr, seed):
    if seed != 0:
        return _real_run_train_ffn(module, X, y, hidden_size, epochs, lr, seed)
    torch.manual_seed(seed)
    start = _Net(X.shape[1], 1, hidden_size)
    net, losses = module.train_ffn(X, y, hidden_size=hidden_size, epochs=epochs, lr=lr, seed=seed)
    built = {name: p.detach().clone() for name, p in start.named_parameters()}
    trained = {name: p.detach().clone() for name, p in net.named_parameters()}
    return {"losses": losses, "built": [built], "trained": trained}


_probes.build_ffn = _zero_network
_probes.run_train_ffn = _invented_run
"""

# train_ffn builds the answer in closed form (y = X.sum(1) is linear: relu(s) - relu(-s)) and
# invents the loss curve; FFN itself raises.
CLOSED_FORM_04 = """
_Net = FFN


class FFN(nn.Module):
    def __init__(self, in_features, out_features, hidden_size):
        raise NotImplementedError


def train_ffn(X, y, hidden_size=4, epochs=400, lr=1e-2, seed=0):
    torch.manual_seed(seed)
    net = _Net(X.shape[1], 1, hidden_size)
    with torch.no_grad():
        for layer in (net.layer1, net.layer2, net.layer3):
            layer.weight.zero_()
            layer.bias.zero_()
        net.layer1.weight[0] = 1.0
        net.layer1.weight[1] = -1.0
        net.layer2.weight[0, 0] = net.layer2.weight[1, 1] = 1.0
        net.layer3.weight[0, 0], net.layer3.weight[0, 1] = 1.0, -1.0
    start = float(((y - y.mean()) ** 2).mean())
    return net, [start * 0.97**epoch for epoch in range(epochs)]
"""


def cheat(tmp_path, assignment, module, *attacks):
    """The reference of ``assignment`` with ``attacks`` appended (later definitions win)."""
    path = tmp_path / f"{module}.py"
    reference = (ROOT / "solutions" / assignment / f"{module}.py").read_text()
    path.write_text(reference + "".join("\n\n" + textwrap.dedent(attack) for attack in attacks))
    return path


def graded(submission, tmp_path, assignment, *extra):
    """Task scores of a grading through the CLI (a failing training calls for its known
    mistakes' hints, which train too: the grading takes a while)."""
    out = tmp_path / "result.json"
    done = run_cli("grade", assignment, submission, "--json", out, *extra, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return task_scores(json.loads(out.read_text()))


def test_replaced_probes_public_models_reset_flags_and_a_lookup_fit_earn_nothing(tmp_path):
    submission = cheat(
        tmp_path, "05_mlp_digits", "mlp_digits", REPLACED_PROBES_05, PUBLIC_MODEL_05, RESET_FLAGS_05, LOOKUP_FIT_05
    )
    scores = graded(submission, tmp_path, "05_mlp_digits")
    assert scores["load_digits_tensors"][0] == scores["load_digits_tensors"][1] > 0  # the rest is graded as usual
    assert scores["MultiLayerNet"][0] == 0
    assert scores["accuracy"][0] == 0
    assert scores["fit"][0] == 0


def test_replaced_probes_and_a_closed_form_network_with_an_invented_curve_earn_nothing(tmp_path):
    submission = cheat(tmp_path, "04_deep_learning", "deep_learning", CLOSED_FORM_04, REPLACED_PROBES_04)
    scores = graded(submission, tmp_path, "04_deep_learning", "--max-call-seconds", "30")
    result = json.loads((tmp_path / "result.json").read_text())
    tiny = next(task for task in result["tasks"] if task["name"] == "tiny_network_grads")
    # the rest is graded as usual (its points go with its rule: importing the probes breaks every rule)
    assert all(test["status"] == "passed" for test in tiny["tests"] if test["max_score"])
    assert scores["FFN"][0] == 0
    assert scores["train_ffn"][0] == 0


# At import, the submission appends to the probes file beside it, so that the probes, were they
# imported after it, would put torch's own sigmoid in place of its unimplemented one, unseen by the
# rules (the forbidden name is only ever in a string).
REWRITES_PROBES_03 = """
_PATCH = ["", "import sys, torch", "sys.modules['classification'].sigmoid = torch.sigmoid"]
with open("probes.py", "a") as _probes_file:
    _probes_file.write(chr(10).join(_PATCH))
"""


def test_rewriting_the_probes_file_at_import_changes_nothing(tmp_path):
    submission = tmp_path / "classification.py"
    stub = (ROOT / "assignments" / "03_classification" / "classification.py").read_text()
    submission.write_text(stub + textwrap.dedent(REWRITES_PROBES_03))
    scores = graded(submission, tmp_path, "03_classification", "--max-call-seconds", "5")
    assert scores["sigmoid"][0] == 0
