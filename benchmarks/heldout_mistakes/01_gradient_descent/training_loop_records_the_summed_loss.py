def training_loop(n_epochs, learning_rate, params, x, y):
    losses = []
    for _ in range(n_epochs):
        w, b = params
        y_hat = model(x, w, b)
        losses.append(float(((y_hat - y) ** 2).sum()))
        params = params - learning_rate * grad_fn(x, y, y_hat, w, b)
    return params, losses
