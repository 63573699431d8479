def loss_fn(y_hat, y):
    return torch.mean(torch.square(y_hat - y))


def dmodel_db(x, w, b):
    return torch.ones_like(x)


def grad_fn(x, y, y_hat, w, b):
    n = x.numel()
    residual = y_hat - y
    return torch.tensor([2 * (residual * x).sum() / n, 2 * residual.sum() / n], dtype=x.dtype)
