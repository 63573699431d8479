# complete module
# A student's notebook, exported: imports, a look at the data at the top level, then the tasks.
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

digits = load_digits()
print(digits.data.shape, digits.target[:10], digits.data.max())


def load_digits_tensors(test_size=0.25, seed=0):
    X, y = load_digits(return_X_y=True)
    X = X / 16
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    X_train = torch.tensor(X_train).float()
    X_test = torch.tensor(X_test).float()
    y_train = torch.tensor(y_train).long()
    y_test = torch.tensor(y_test).long()
    return X_train, X_test, y_train, y_test


class MultiLayerNet(nn.Module):
    def __init__(self, input_size, layer_sizes, output_size):
        super().__init__()
        self.hidden = nn.ModuleList()
        size = input_size
        for width in layer_sizes:
            self.hidden.append(nn.Linear(size, width))
            size = width
        self.out = nn.Linear(size, output_size)

    def forward(self, x):
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.out(x)


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        preds = torch.argmax(model(X), dim=1)
    return (preds == y).sum().item() / len(y)


def fit(model, X_train, y_train, epochs=30, lr=1e-3, batch_size=64, seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    dl = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        epoch_losses = []
        for xb, yb in dl:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            epoch_losses.append(loss.item())
        losses.append(sum(epoch_losses) / len(epoch_losses))
        if epoch % 10 == 0:
            print(epoch, losses[-1])
    return losses


model = MultiLayerNet(64, [128, 64], 10)
print(model)
print(sum(p.numel() for p in model.parameters()))
