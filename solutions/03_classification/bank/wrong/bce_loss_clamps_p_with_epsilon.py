def bce_loss(p, y):
    p = torch.clamp(p, 1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
