"""``remembered``: an oracle computed once per process, as if it had been computed every time."""

from __future__ import annotations

import pytest
import torch

from autograder.testing import oracles, remembered

calls: list = []


@pytest.fixture(autouse=True)
def nothing_remembered():
    """Each test starts as a fresh process does (the results are kept per process, per function)."""
    oracles._results.clear()
    calls.clear()


def noisy_sum(x: torch.Tensor, scale: float = 1.0) -> tuple[torch.Tensor, list[float]]:
    """An oracle that draws random numbers, as a training run does."""
    calls.append(x)
    noise = torch.randn(3)
    return (x.sum() * scale + noise.sum(), [float(v) for v in noise])


def run_test(oracle, x_scale: float = 1.0):
    """What a test does: draw inputs, ask the oracle, draw again."""
    torch.manual_seed(0)
    x = torch.rand(4) * x_scale
    value = oracle(x, scale=2.0)
    return value, torch.rand(2)


def test_a_remembered_oracle_gives_what_computing_it_gives_and_leaves_the_same_random_state():
    computed = [run_test(noisy_sum) for _ in range(2)]
    oracle = remembered(noisy_sum)
    remembered_runs = [run_test(oracle) for _ in range(3)]
    assert len(calls) == 3  # twice unremembered, once remembered
    for (value, after), (want, want_after) in zip(remembered_runs, computed * 2, strict=False):
        assert torch.equal(value[0], want[0]) and value[1] == want[1]
        assert torch.equal(after, want_after)


def test_other_arguments_or_another_random_state_are_computed_again():
    oracle = remembered(noisy_sum)
    run_test(oracle)
    run_test(oracle, x_scale=2.0)
    torch.manual_seed(1)
    oracle(torch.rand(4) * 0 + 0.5, scale=2.0)
    torch.manual_seed(2)
    oracle(torch.rand(4) * 0 + 0.5, scale=2.0)
    assert len(calls) == 4


def test_each_call_gets_its_own_copy():
    oracle = remembered(noisy_sum)
    first, _ = run_test(oracle)
    first[1].append(99.0)
    second, _ = run_test(oracle)
    assert len(second[1]) == 3


def test_arguments_that_are_not_data_are_never_remembered():
    seen = []

    @remembered
    def apply(model, x):
        seen.append(model)
        return model(x)

    x = torch.ones(2)
    assert torch.equal(apply(torch.nn.Identity(), x), x)
    assert torch.equal(apply(lambda v: 2 * v, x), 2 * x)
    assert len(seen) == 2
