def autograd_grad(x, y, w, b):
    params = torch.tensor([float(w), float(b)], dtype=torch.float64, requires_grad=True)
    loss = ((params[0] * x.double() + params[1] - y.double()) ** 2).mean()
    (grad,) = torch.autograd.grad(loss, [params])
    return grad.to(x.dtype)


def fit_autograd(n_epochs, learning_rate, params, x, y):
    w = params[0].detach().double().requires_grad_()
    b = params[1].detach().double().requires_grad_()
    x, y = x.double(), y.double()
    losses = []
    for _ in range(n_epochs):
        loss = torch.mean(torch.square(w * x + b - y))
        losses.append(float(loss))
        loss.backward()
        with torch.no_grad():
            w -= learning_rate * w.grad
            b -= learning_rate * b.grad
        w.grad = None
        b.grad = None
    return torch.stack([w, b]).detach().float(), losses
