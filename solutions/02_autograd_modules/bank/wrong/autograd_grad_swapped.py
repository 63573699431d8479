def autograd_grad(x, y, w, b):
    w = torch.tensor(float(w), requires_grad=True)
    b = torch.tensor(float(b), requires_grad=True)
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()
    return torch.stack([b.grad, w.grad])
