def grad_fn(x, y, y_hat, w, b):
    prediction = model(x, w, b)
    per_sample = dloss_fn(prediction, y)
    return torch.stack([(per_sample * dmodel_dw(x, w, b)).mean(), (per_sample * dmodel_db(x, w, b)).mean()])
