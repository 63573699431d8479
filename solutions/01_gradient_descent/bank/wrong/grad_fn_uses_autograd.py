def grad_fn(x, y, y_hat, w, b):
    params = torch.tensor([float(w), float(b)], dtype=torch.float64, requires_grad=True)
    loss_fn(model(x.double(), params[0], params[1]), y.double()).backward()
    return params.grad.to(x.dtype)
