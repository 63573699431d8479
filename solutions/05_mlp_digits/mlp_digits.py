"""Assignment 05: a multi-layer perceptron on handwritten digits.

The multi-layer perceptron (MLP) applies a linear layer followed by an activation many
times in a row; this is called depth, and "deep learning" means using deep architectures.
A modern MLP uses the rectified linear unit ``ReLU(x) = max(x, 0)`` between its layers and
ends with a linear layer whose outputs are the scores (logits) of the classes. The
prediction is the class with the highest score, ``argmax_j p[j]``, and training minimises
the cross-entropy loss ``-log(p_correct class)`` of the softmax of the scores.

The data are real: the 1,797 handwritten digits bundled with scikit-learn, images of 8×8
pixels with values 0 to 16, in 10 classes (0 to 9).
"""

import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset


def load_digits_tensors(test_size=0.25, seed=0):
    """The digits as tensors, split into a training and a held-out test set.

    Split the 1,797 images with
    ``train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)`` (so every
    digit is as frequent in both parts), where ``X, y = load_digits(return_X_y=True)``.

    Returns:
        ``(X_train, X_test, y_train, y_test)``: the images as float32 tensors of shape
        ``(n, 64)`` scaled to [0, 1] (pixel values / 16), the labels as int64 tensors of
        shape ``(n,)``.
    """
    # BEGIN SOLUTION
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    return (
        torch.tensor(X_train / 16.0, dtype=torch.float32),
        torch.tensor(X_test / 16.0, dtype=torch.float32),
        torch.tensor(y_train, dtype=torch.int64),
        torch.tensor(y_test, dtype=torch.int64),
    )
    # END SOLUTION


class MultiLayerNet(nn.Module):
    """An MLP: a Linear followed by a ReLU for each size in ``layer_sizes``, then a final Linear.

    ``MultiLayerNet(64, [128, 64], 10)`` is ``Linear(64, 128) -> ReLU -> Linear(128, 64) ->
    ReLU -> Linear(64, 10)``; with ``layer_sizes = []`` it is a single ``Linear(64, 10)``.
    ``layer_sizes`` is a list or a tuple. Every layer must be registered with the module
    (``nn.ModuleList`` or ``nn.Sequential``, not a plain Python list) so that
    ``parameters()`` sees all of them. ``forward`` returns the logits: no softmax at the end.
    """

    def __init__(self, input_size, layer_sizes, output_size):
        # BEGIN SOLUTION
        super().__init__()
        sizes = [input_size, *layer_sizes]
        self.linear_layers = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        self.activation = nn.ReLU()
        self.final_linear = nn.Linear(sizes[-1], output_size)
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        out = x
        for linear_layer in self.linear_layers:
            out = self.activation(linear_layer(out))
        return self.final_linear(out)
        # END SOLUTION


def accuracy(model, X, y):
    """The fraction of the samples whose highest score is their label, as a Python float.

    Put the model in evaluation mode (``model.eval()``) and compute the scores without
    gradients (``with torch.no_grad():``); the prediction is the argmax over the classes
    (dimension 1). The model may be left in evaluation mode.
    """
    # BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        predictions = model(X).argmax(dim=1)
    return (predictions == y).float().mean().item()
    # END SOLUTION


def fit(model, X_train, y_train, epochs=30, lr=1e-3, batch_size=64, seed=0):
    """Train ``model`` by minibatch Adam on the cross-entropy loss.

    Batches come from a ``DataLoader`` over ``TensorDataset(X_train, y_train)`` with
    ``batch_size``, shuffled by a ``torch.Generator`` seeded with ``seed`` (the last, smaller
    batch is kept). Every batch: clear the gradients, compute
    ``nn.CrossEntropyLoss()(model(X_batch), y_batch)``, backward, step.

    Returns:
        A list of ``epochs`` Python floats: for each epoch, the plain mean of its batch
        losses (their sum divided by the number of batches).
    """
    # BEGIN SOLUTION
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    model.train()
    history = []
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in loader:
            optimizer.zero_grad()
            loss = criterion(model(X_batch), y_batch)
            loss.backward()
            optimizer.step()
            total += loss.item()
        history.append(total / len(loader))
    return history
    # END SOLUTION
