def loss_fn(y_hat, y):
    return torch.sqrt(((y_hat - y) ** 2).mean())
