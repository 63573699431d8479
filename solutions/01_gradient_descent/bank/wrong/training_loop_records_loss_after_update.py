def training_loop(n_epochs, learning_rate, params, x, y):
    losses = []
    for _ in range(n_epochs):
        w, b = params
        params = params - learning_rate * grad_fn(x, y, model(x, w, b), w, b)
        losses.append(float(loss_fn(model(x, *params), y)))
    return params, losses
