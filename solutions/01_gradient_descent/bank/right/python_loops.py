def loss_fn(y_hat, y):
    flat_hat, flat = y_hat.flatten(), y.flatten()
    total = 0.0
    for i in range(len(flat)):
        total = total + (flat_hat[i] - flat[i]) ** 2
    return torch.as_tensor(total / len(flat), dtype=y_hat.dtype)


def training_loop(n_epochs, learning_rate, params, x, y):
    history = []
    epoch = 0
    while epoch < n_epochs:
        w, b = params[0], params[1]
        y_hat = model(x, w, b)
        history.append(loss_fn(y_hat, y).item())
        step = learning_rate * grad_fn(x, y, y_hat, w, b)
        params = torch.stack([params[0] - step[0], params[1] - step[1]])
        epoch += 1
    return params, history
