"""The reference's results that the public tests of 01 compare with.

``autograder sync`` writes what :func:`expected` returns to the assignment's
``expected.json``, so the public tests read values and no public file computes a gradient or
a descent. The reference runs in float64 on the lecture's data (``support.X``, ``support.Y``).
"""

import torch


def expected(reference, support):
    x, y = support.X.double(), support.Y.double()

    def gradient(w, b):
        return reference.grad_fn(x, y, reference.model(x, w, b), w, b)

    def descent(n_epochs, learning_rate, start):
        return reference.training_loop(n_epochs, learning_rate, torch.tensor(start, dtype=torch.float64), x, y)

    return {
        "grad_fn at (0.5, 0.1)": gradient(0.5, 0.1),
        "grad_fn at (-1, 2)": gradient(-1.0, 2.0),
        "training_loop one step from (0.8, 0.5)": descent(1, 0.1, [0.8, 0.5]),
        "training_loop 1000 epochs from (1, 0)": descent(1000, 0.3, [1.0, 0.0]),
    }
