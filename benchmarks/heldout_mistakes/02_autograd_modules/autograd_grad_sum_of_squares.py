def autograd_grad(x, y, w, b):
    w = torch.tensor(float(w), dtype=x.dtype, requires_grad=True)
    b = torch.tensor(float(b), dtype=x.dtype, requires_grad=True)
    loss = torch.sum((w * x + b - y) ** 2)
    loss.backward()
    return torch.stack([w.grad, b.grad])
