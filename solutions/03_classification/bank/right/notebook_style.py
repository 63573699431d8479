# complete module
# A student's notebook, exported: the lecture's experiments at the top level.
import numpy as np
import torch
from torch import nn

x = softmax_input = [1, 2, 3]


def softmax(x, dim=-1):
    x = torch.as_tensor(x, dtype=torch.float32) if not isinstance(x, torch.Tensor) else x
    exps = torch.exp(x - x.max(dim=dim, keepdim=True).values)
    return exps / exps.sum(dim=dim, keepdim=True)


print("x = ", softmax([1, 2, 3]))
print("y = ", softmax([1000, 2000, 3000]))


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def cross_entropy(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    log_probs = logits - m - torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
    return -log_probs.gather(1, target.view(-1, 1)).mean()


def bce_loss(p, y):
    return -(y * torch.clamp(torch.log(p), min=-100) + (1 - y) * torch.clamp(torch.log(1 - p), min=-100)).mean()


def bce_with_logits(z, y):
    return (z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))).mean()


def hinge_loss(scores, target):
    correct = scores.gather(1, target.view(-1, 1))
    mask = torch.ones_like(scores, dtype=torch.bool).scatter(1, target.view(-1, 1), False)
    others = scores[mask].view(scores.shape[0], -1)
    return torch.clamp(others.max(dim=1).values - correct.view(-1) + 1, min=0).mean()


class BinaryClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, output_size))

    def forward(self, x):
        out = self.main(x)
        return out


class MulticlassClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, output_size))

    def forward(self, x):
        out = self.main(x)
        return out


def predict_binary(logits):
    return (logits > 0).long()


def predict_multiclass(logits):
    return logits.argmax(dim=1)


model = BinaryClassifier(2, 5, 1)
prediction = model(torch.tensor([[0, 0], [-1, -1]], dtype=torch.float32)).detach()
print(prediction, sigmoid(prediction), np.where(sigmoid(prediction) > 0.5, 1, 0))
