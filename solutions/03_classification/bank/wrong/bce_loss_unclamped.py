def bce_loss(p, y):
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
