def grad_fn(x, y, y_hat, w, b):
    dloss_dyhat = dloss_fn(y_hat, y)
    return torch.stack([(dloss_dyhat * dmodel_dw(x, w, b)).mean(), (dloss_dyhat * dmodel_db(x, w, b)).sum()])
