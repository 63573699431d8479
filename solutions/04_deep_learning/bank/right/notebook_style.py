# complete module
# A student's notebook, exported: imports, exploration at the top level, the lecture's checks.
import torch
import torch.nn as nn


class FFN(nn.Module):
    def __init__(self, in_features, out_features, hidden_size):
        super().__init__()
        self.layer1 = nn.Linear(in_features, hidden_size)
        self.layer2 = nn.Linear(hidden_size, hidden_size)
        self.layer3 = nn.Linear(hidden_size, out_features)

    def forward(self, x):
        y = self.layer1(x)
        y = torch.relu(y)
        y = self.layer2(y)
        y = y.clamp(min=0)
        return self.layer3(y)


net = FFN(3, 1, 2)
print(net.layer1.weight, net.layer1.bias)
x = torch.ones([10, 3])
print(torch.matmul(x, net.layer1.weight.T) + net.layer1.bias)


def tiny_network_grads(x, w1, b1, w3, b3, target):
    y1 = w1 * x + b1
    y2 = y1 if y1 > 0 else 0.0
    y3 = w3 * y2 + b3
    dl_dy3 = 2 * (y3 - target)
    dl_dy1 = dl_dy3 * w3 if y1 > 0 else 0.0
    grads = {"w1": dl_dy1 * x, "b1": dl_dy1, "w3": dl_dy3 * y2, "b3": dl_dy3, "x": dl_dy1 * w1}
    return (y3 - target) ** 2, grads


loss, grads = tiny_network_grads(5.0, 3.0, 2.0, -0.5, 4.0, 2.0)
print(loss, grads)


def sgd_step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


print(sgd_step({"w1": 3.0, "b1": 2.0, "w3": -0.5, "b3": 4.0}, grads, 1e-3))


def mse_loss(input, target, reduction="mean"):
    per_sample = (input - target) ** 2
    if reduction == "mean":
        return per_sample.mean()
    elif reduction == "sum":
        return per_sample.sum()
    elif reduction == "none":
        return per_sample
    else:
        raise ValueError("reduction should be 'none', 'mean' or 'sum'")


def l1_loss(input, target, reduction="mean"):
    per_sample = (input - target).abs()
    if reduction == "mean":
        return per_sample.mean()
    elif reduction == "sum":
        return per_sample.sum()
    elif reduction == "none":
        return per_sample
    else:
        raise ValueError("reduction should be 'none', 'mean' or 'sum'")


torch.manual_seed(0)
x = torch.rand([5, 1])
y = torch.rand([5, 1])
print(mse_loss(x, y), nn.MSELoss()(x, y))


def multi_margin_loss(input, target, p=1, margin=1.0, reduction="mean"):
    if p not in [1, 2]:
        raise ValueError("p should be 1 or 2")
    n, c = input.shape
    x_y = input[range(n), target].reshape(n, 1)
    per_sample = torch.clamp(margin - x_y + input, min=0) ** p
    per_sample[range(n), target] = 0
    per_sample = per_sample.sum(dim=1) / c
    if reduction == "mean":
        return per_sample.mean()
    elif reduction == "sum":
        return per_sample.sum()
    elif reduction == "none":
        return per_sample
    else:
        raise ValueError("reduction should be 'none', 'mean' or 'sum'")


def poisson_nll(log_input, target):
    return torch.exp(log_input) - target * log_input


def gaussian_nll(mean, target, var):
    var = var.clamp(min=1e-6)
    return 0.5 * (torch.log(var) + (mean - target) ** 2 / var)


def exponential_nll(rate, y):
    dist = torch.distributions.Exponential(rate)
    return -dist.log_prob(y).sum()


def weibull_nll(params, y):
    scale_p = torch.clamp(params[:, 0].unsqueeze(1), min=1e-6)
    concentration_p = torch.clamp(params[:, 1].unsqueeze(1), min=1e-6)
    dist = torch.distributions.Weibull(scale_p, concentration_p)
    return -dist.log_prob(y).sum()


def train_ffn(X, y, hidden_size=4, epochs=400, lr=1e-2, seed=0):
    torch.manual_seed(seed)
    net = FFN(X.shape[1], 1, hidden_size)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        y_pred = net(X).squeeze(1)
        loss = nn.MSELoss()(y_pred, y)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    return net, losses


X = torch.randn([100, 4])
net, losses = train_ffn(X, torch.sum(X, axis=1), epochs=20)
print(losses[0], losses[-1])
