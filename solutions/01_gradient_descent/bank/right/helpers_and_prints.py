def _mean(values):
    return values.sum() / values.numel()


def grad_fn(x, y, y_hat, w, b):
    per_sample = dloss_fn(y_hat, y)
    return torch.stack([_mean(per_sample * dmodel_dw(x, w, b)), _mean(per_sample * dmodel_db(x, w, b))])


def training_loop(n_epochs, learning_rate, params, x, y):
    losses = []
    for epoch in range(1, n_epochs + 1):
        w, b = params
        y_hat = model(x, w, b)
        loss = loss_fn(y_hat, y)
        losses.append(float(loss))
        gradient = grad_fn(x, y, y_hat, w, b)
        params = params - learning_rate * gradient
        if epoch % 100 == 0:
            print(f"Epoch {epoch}, Loss {float(loss):.6f}")
            print("    Params:", params)
            print("    Grad:  ", gradient)
    return params, losses
