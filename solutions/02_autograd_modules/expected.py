"""The reference's results that the public tests of 02 compare with.

``autograder sync`` writes what :func:`expected` returns to the assignment's
``expected.json``, so the public tests read values and no public file computes a gradient or
a descent. The reference runs in float64 on the tests' data (from ``support``).
"""

import torch


def expected(reference, support):
    x, y = (data.flatten().double() for data in support.regression_data(50))
    X, Y = support.X_SMALL.double(), support.Y_SMALL.double()
    x_fit, y_fit = (data.flatten().double() for data in support.regression_data(100))
    zeros = torch.zeros(2, dtype=torch.float64)
    return {
        "autograd_grad at (20, 3)": reference.autograd_grad(x, y, 20.0, 3.0),
        "fit_autograd two steps on the lecture example": reference.fit_autograd(
            2, 0.1, torch.tensor([1.0, 0.0]).double(), X, Y
        ),
        "fit_autograd 150 epochs on make_regression": reference.fit_autograd(150, 0.1, zeros, x_fit, y_fit),
    }
