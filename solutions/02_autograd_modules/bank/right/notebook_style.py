# complete module
# A student's notebook, exported: the lecture's exploration at the top level.
import numpy as np
import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

X = torch.tensor([1.0, 2.0, 3.0], requires_grad=False)
w = torch.tensor([1.0], requires_grad=True)  # Random initial weight
y = torch.tensor([2.0, 4.0, 6.0], requires_grad=False)  # Target values
mse = ((X * w - y) ** 2).mean()
mse.backward()
print(w.grad)


def autograd_grad(x, y, w, b):
    w = torch.tensor(float(w), requires_grad=True)
    b = torch.tensor(float(b), requires_grad=True)
    mse = ((x * w + b - y) ** 2).mean()
    mse.backward()
    return torch.stack([w.grad, b.grad])


def fit_autograd(n_epochs, learning_rate, params, x, y):
    params = params.detach().clone().requires_grad_(True)
    losses = []
    for _ in range(n_epochs):
        loss = ((params[0] * x + params[1] - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            params -= learning_rate * params.grad
            params.grad.zero_()
    return params.detach(), losses


class LinearRegression(nn.Module):
    def __init__(self, input_size, output_size):
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)

    def forward(self, x):
        out = self.linear(x)
        return out


class NonlinearRegression(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden = nn.Linear(input_size, hidden_size)
        self.output = nn.Linear(hidden_size, output_size)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x = self.hidden(x)
        x = self.sigmoid(x)
        x = self.output(x)
        return x


class DeepRegression(nn.Module):
    def __init__(self, input_size, hidden_size_1, hidden_size_2, output_size):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(input_size, hidden_size_1),
            nn.Sigmoid(),
            nn.Linear(hidden_size_1, hidden_size_2),
            nn.Sigmoid(),
            nn.Linear(hidden_size_2, output_size),
        )

    def forward(self, x):
        out = self.main(x)
        return out


def trainer(model, criterion, optimizer, dataloader, epochs=5):
    history = []
    for _ in range(epochs):
        losses = 0
        for X, y in dataloader:
            optimizer.zero_grad()
            y_hat = model(X)
            loss = criterion(y_hat, y)
            loss.backward()
            optimizer.step()
            losses += loss.item()
        history.append(losses / len(dataloader))
    return history


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


np.random.seed(2020)
X = np.sort(np.random.randn(100))
y = X**2 + 15 * np.sin(X) ** 3
dataset = TensorDataset(torch.tensor(X[:, None], dtype=torch.float32), torch.tensor(y[:, None], dtype=torch.float32))
model = NonlinearRegression(1, 3, 1)
print(count_parameters(model))
print(trainer(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), DataLoader(dataset, batch_size=50), 2))
