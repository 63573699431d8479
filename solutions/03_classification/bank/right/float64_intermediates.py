def sigmoid(x):
    x64 = x.double()
    return torch.where(x64 < 0, torch.exp(x64) / (1 + torch.exp(x64)), 1 / (1 + torch.exp(-x64))).to(x.dtype)


def softmax(x, dim=-1):
    x64 = x.double()
    exps = torch.exp(x64 - x64.max(dim=dim, keepdim=True).values)
    return (exps / exps.sum(dim=dim, keepdim=True)).to(x.dtype)


def bce_loss(p, y):
    p64, y64 = p.double(), y.double()
    log_p = torch.log(p64).clamp(min=-100)
    log_not_p = torch.log1p(-p64).clamp(min=-100)
    return (-(y64 * log_p + (1 - y64) * log_not_p)).mean().to(p.dtype)
