def autograd_grad(x, y, w, b):
    w = torch.as_tensor(w, dtype=x.dtype)
    b = torch.as_tensor(b, dtype=x.dtype)
    w.requires_grad_(True)
    b.requires_grad_(True)
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()
    return torch.stack([w.grad, b.grad])
