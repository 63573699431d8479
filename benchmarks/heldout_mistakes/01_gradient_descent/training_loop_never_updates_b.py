def training_loop(n_epochs, learning_rate, params, x, y):
    losses = []
    for _ in range(n_epochs):
        w, b = params
        y_hat = model(x, w, b)
        losses.append(float(loss_fn(y_hat, y)))
        grad = grad_fn(x, y, y_hat, w, b)
        params = torch.stack([w - learning_rate * grad[0], b])
    return params, losses
