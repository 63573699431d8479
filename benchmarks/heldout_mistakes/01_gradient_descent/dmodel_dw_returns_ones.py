def dmodel_dw(x, w, b):
    return torch.ones_like(x)
